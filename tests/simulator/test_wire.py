"""The simulator's wire over a real socket, written byte by byte as real clients do."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import quote, urlencode

import pytest

from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, DEMO_USER_ID
from simulator.server import SimulatorServer
from tests import support
from tests.support import b64


def exchange(server, request: bytes) -> tuple[bytes, bytes]:
    """Write a request, read until the server closes, split on the first blank line."""
    with socket.create_connection(server.server_address[:2], timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def php_sample_request(server, path: str, fields: dict[str, str]) -> bytes:
    """The vendor PHP sample's request to ``server`` (tests.support.php_sample_request)."""
    return support.php_sample_request(*server.server_address[:2], path, fields)


def sample_send_fields(**overrides: str) -> dict[str, str]:
    """What the PHP sample posts for the demo account (tests.support)."""
    return support.php_sample_send_fields(DEMO_USER_ID, DEMO_SECURE_KEY, **overrides)


def test_php_sample_send(socket_server, demo_backend):
    head, body = exchange(socket_server, php_sample_request(
        socket_server, "/sms_sender.php", sample_send_fields()))

    assert head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    assert body == f"success,{DEMO_CREDITS - 2}".encode()
    call = demo_backend.calls[-1]
    assert call.path == "/sms_sender.php"
    assert call.content_type.startswith("multipart/form-data, boundary=")
    assert call.base64_mode
    assert call.fields["msg"] == "안녕하세요 {name}님"
    assert call.fields["returnurl"] == "http://shop/ok"
    assert call.fields["destination"] == "010-2222-3333|홍길동,010-3333-4444|김철수"
    assert [m.msg for m in demo_backend.messages] == ["안녕하세요 홍길동님", "안녕하세요 김철수님"]


@pytest.mark.parametrize(("overrides", "answer"), [
    ({"secure": b64("wrong")}, b"-102,"),
    ({"user_id": ""}, b"-101,"),
    ({"testflag": b64("Y")}, f"Test Success!,{DEMO_CREDITS}".encode()),
    ({"msg": "%%not base64%%"}, b"3203,"),
])
def test_php_sample_answers_always_carry_a_comma(socket_server, overrides, answer):
    _, body = exchange(socket_server, php_sample_request(
        socket_server, "/sms_sender.php", sample_send_fields(**overrides)))
    assert body == answer
    assert b"," in body


@pytest.mark.parametrize("mode", ["MQ==", "MQ", "1"])
def test_mode_may_come_with_or_without_padding_or_plain(socket_server, demo_backend, mode):
    _, body = exchange(socket_server, php_sample_request(
        socket_server, "/sms_sender.php", sample_send_fields(mode=mode)))
    assert body == f"success,{DEMO_CREDITS - 2}".encode()
    assert demo_backend.calls[-1].base64_mode


def test_php_sample_remaining(socket_server, demo_backend):
    fields = {"user_id": b64(DEMO_USER_ID), "secure": b64(DEMO_SECURE_KEY), "mode": b64("1")}
    _, body = exchange(socket_server, php_sample_request(socket_server, "/sms_remain.php",
                                                         fields))
    assert body.strip() == str(DEMO_CREDITS).encode()
    assert demo_backend.calls[-1].fields["user_id"] == DEMO_USER_ID


def test_plain_mode_with_euckr_urlencoded_text(socket_server, demo_backend):
    """The public cafe24-sms-django client: no ``mode``, plain fields, EUC-KR text."""
    body = urlencode({
        "user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY, "msg": "안녕하세요 고객님",
        "rphone": "010-2222-3333", "sphone1": "010", "sphone2": "1234", "sphone3": "5678",
    }, encoding="euc-kr").encode("ascii")
    assert quote("안".encode("euc-kr")) in body.decode()
    host, port = socket_server.server_address[:2]
    request = (f"POST /sms_sender.php HTTP/1.0\r\nHost: {host}:{port}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body

    _, answer = exchange(socket_server, request)

    assert answer == f"success,{DEMO_CREDITS - 1}".encode()
    head, _, tail = answer.decode().partition(",")
    assert (head, tail) == ("success", str(DEMO_CREDITS - 1))  # unpacks into exactly two
    call = demo_backend.calls[-1]
    assert not call.base64_mode
    assert call.raw["msg"] == "안녕하세요 고객님".encode("euc-kr")
    assert call.fields["msg"] == "안녕하세요 고객님"
    assert demo_backend.messages[0].msg == "안녕하세요 고객님"


def test_well_formed_multipart_with_closing_boundary(socket_server, demo_backend):
    boundary = "XyZ0123"
    fields = sample_send_fields(msg=b64("정상 멀티파트"))
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                    for k, v in fields.items())
    data = (parts + f"--{boundary}--\r\n").encode("ascii")
    host, port = socket_server.server_address[:2]
    request = (f"POST /sms_sender.php HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
               f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n'
               f"Content-Length: {len(data)}\r\n\r\n").encode("ascii") + data

    head, body = exchange(socket_server, request)

    assert head.startswith(b"HTTP/1.1 200")
    assert body == f"success,{DEMO_CREDITS - 2}".encode()
    assert demo_backend.calls[-1].fields["msg"] == "정상 멀티파트"
    assert set(demo_backend.calls[-1].raw) == set(fields)


def _read_response(conn: socket.socket, buffered: bytes) -> tuple[bytes, bytes, bytes]:
    """Read one Content-Length framed response; return (head, body, what was read beyond)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += conn.recv(65536)
    return head, rest[:length], rest[length:]


def test_keep_alive_serves_two_requests_on_one_connection(socket_server, demo_backend):
    host, port = socket_server.server_address[:2]
    remain = urlencode({"user_id": b64(DEMO_USER_ID), "secure": b64(DEMO_SECURE_KEY),
                        "mode": b64("1")}).encode("ascii")
    senders = urlencode({"userId": DEMO_USER_ID, "passwd": DEMO_SECURE_KEY}).encode("ascii")

    def request(path: str, body: bytes) -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body

    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(request("/sms_remain.php", remain))
        head1, body1, extra = _read_response(conn, b"")
        conn.sendall(request("/smsSenderPhone.php", senders))
        head2, body2, _ = _read_response(conn, extra)

    assert head1.startswith(b"HTTP/1.1 200") and body1 == str(DEMO_CREDITS).encode()
    assert b"connection: close" not in head1.lower()
    assert head2.startswith(b"HTTP/1.1 200")
    assert body2.startswith(b'{"result": "Success"')
    assert [c.path for c in demo_backend.calls] == ["/sms_remain.php", "/smsSenderPhone.php"]


def test_http10_answer_ends_with_the_connection(socket_server):
    host, port = socket_server.server_address[:2]
    head, body = exchange(socket_server, (
        f"POST /sms_remain.php HTTP/1.0\r\nHost: {host}:{port}\r\n"
        "Content-Length: 0\r\n\r\n").encode("ascii"))
    assert body == b"-101"
    assert b"connection: close" in head.lower()


def test_unknown_path_is_404(socket_server, demo_backend):
    head, _ = exchange(socket_server, b"POST /nope.php HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") or head.startswith(b"HTTP/1.0 404")
    assert demo_backend.calls == []


def test_results_over_the_wire_are_utf8_xml(socket_server, demo_backend):
    exchange(socket_server, php_sample_request(socket_server, "/sms_sender.php",
                                               sample_send_fields()))
    body = urlencode({"user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY,
                      "date": demo_backend.clock().strftime("%Y%m%d"), "day": "1"})
    head, answer = exchange(socket_server, (
        "POST /sms_list.php HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}").encode("ascii"))
    assert b"text/xml; charset=utf-8" in head
    assert answer.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "<msg>안녕하세요 홍길동님</msg>".encode() in answer


def test_dropped_connection_sends_nothing_back(socket_server, demo_backend):
    demo_backend.inject("drop")
    head, body = exchange(socket_server, php_sample_request(
        socket_server, "/sms_sender.php", sample_send_fields()))
    assert (head, body) == (b"", b"")
    assert len(demo_backend.calls) == 1
    assert demo_backend.messages == []


def test_a_server_that_never_started_stops_at_once(demo_backend):
    server = SimulatorServer(demo_backend)
    done = threading.Event()
    threading.Thread(target=lambda: (server.stop(), done.set()), daemon=True).start()
    assert done.wait(2), "stop() hung on a server that was never started"


def test_the_app_is_told_when_its_request_arrived(socket_server, demo_backend):
    # A delaying wrapper (bench/bulk_dispatch.py's) counts its delay from the arrival, so
    # reading the head and the body is inside the delay, as a far gateway's latency is.
    seen: list[tuple[float, float]] = []
    inner = socket_server.app

    def stamped(environ, start_response):
        seen.append((environ["simulator.arrived"], time.perf_counter()))
        return inner(environ, start_response)

    socket_server.app = stamped
    before = time.perf_counter()
    head, _ = exchange(socket_server, php_sample_request(
        socket_server, "/sms_sender.php", sample_send_fields()))
    assert head.startswith(b"HTTP/1.1 200")
    ((arrived, called),) = seen
    assert before <= arrived <= called
