"""The client's own HTTP/1.1 over the network: what goes out, how answers of every shape are
read, which connections are kept, and the client shared by threads and across a fork.

A stand-in gateway on 127.0.0.1 (``tests/cafe24/test_client_deadline.py``'s) answers each
request by a script and records every request's head.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest

from cafe24.answers import SendStatus
from cafe24.calls import SendRequest
from cafe24.client import USER_AGENT, Cafe24Client
from cafe24.errors import ConnectionDropped, HTTPStatusError
from tests.cafe24 import test_client_deadline as stand_in
from tests.cafe24.test_client_deadline import ANSWER, KEY, StandIn, all_text, fast_answer, head
from tests.cafe24.test_client_redaction import assert_no_key

gateway = stand_in.gateway  # the stand-in gateway's fixtures
client_of = stand_in.client_of


def sms() -> SendRequest:
    return SendRequest(msg="안녕하세요", sender="010-1234-5678", recipients=("010-2222-3333",))


def header(server: StandIn, name: str, request: int = -1) -> str | None:
    """A header of one recorded request, or None."""
    for line in server.heads[request][1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


# -- what goes out ------------------------------------------------------------------------


def test_the_request_is_one_plain_http11_post(gateway, client_of):
    server = gateway(fast_answer)
    client = client_of(server)
    assert client.send(sms()).ok
    assert server.heads[0][0] == "POST /sms_sender.php HTTP/1.1"
    host, port = server.server_address
    assert header(server, "Host") == f"{host}:{port}"
    assert header(server, "User-Agent") == USER_AGENT
    assert header(server, "Content-Type") == "application/x-www-form-urlencoded"
    assert header(server, "Connection") is None  # HTTP/1.1: kept alive
    assert header(server, "Accept-Encoding") is None  # no compressed answer is asked for


def test_a_base_url_with_a_path_prefixes_every_call(gateway, client_of):
    server = gateway(fast_answer)
    assert client_of(server, base_url=server.url + "/sms/").send(sms()).ok
    assert client_of(server, base_url=server.url + "/문자").send(sms()).ok
    assert [head[0] for head in server.heads] == [
        "POST /sms/sms_sender.php HTTP/1.1",
        "POST /%EB%AC%B8%EC%9E%90/sms_sender.php HTTP/1.1"]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                                      "https_proxy", "all_proxy"])
def test_no_proxy_from_the_environment_sees_the_key(gateway, client_of, monkeypatch, variable):
    proxy = gateway(fast_answer)
    monkeypatch.setenv(variable, proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server = gateway(fast_answer)
    assert client_of(server).send(sms()).ok
    assert (proxy.connections, server.connections) == (0, 1)


def test_keep_alive_off_asks_for_a_new_connection_each_call(gateway, client_of):
    def closing(request: bytes) -> Iterator[bytes | float | None]:
        yield head(len(ANSWER), "Connection: close") + ANSWER
        yield None

    server = gateway(closing)
    client = client_of(server, keep_alive=False)
    assert client.send(sms()).ok and client.send(sms()).ok
    assert header(server, "Connection") == "close"
    assert server.connections == 2


# -- answers of every shape ---------------------------------------------------------------


def chunked(request: bytes) -> Iterator[bytes | float]:
    yield head(None, "Transfer-Encoding: chunked")
    for piece in (b"success,", b"100", b",0"):
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield 0.01
    yield b"0\r\n\r\n"


def until_closed(request: bytes) -> Iterator[bytes | float | None]:
    yield head(None, "Connection: close")  # no length: the body ends with the connection
    yield ANSWER
    yield None


def http10(request: bytes) -> Iterator[bytes | float | None]:
    yield b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
    yield None


@pytest.mark.parametrize(("script", "kept"), [(chunked, True), (until_closed, False),
                                              (http10, False)],
                         ids=["chunked", "until closed", "HTTP/1.0"])
def test_every_way_an_answer_can_end_is_read(gateway, client_of, script, kept):
    server = gateway(script)
    client = client_of(server)
    first, second = client.send(sms()), client.send(sms())
    assert (first.status, first.raw) == (SendStatus.SUCCESS, "success,100,0")
    assert second.status is SendStatus.SUCCESS
    assert server.connections == (1 if kept else 2)  # kept only when the gateway keeps it


def test_a_redirect_is_not_followed(gateway, client_of):
    def moved(request: bytes) -> Iterator[bytes | float]:
        yield (b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:9/x\r\n"
               b"Content-Length: 0\r\n\r\n")

    server = gateway(moved)
    outcome = client_of(server).send(sms())
    assert type(outcome.error) is HTTPStatusError and outcome.error.status_code == 301
    assert len(server.heads) == 1


def test_a_kept_connection_the_gateway_closed_is_not_written_into(gateway, client_of):
    """The gateway hangs up an idle kept connection (as a keep-alive timeout does) without
    having said so: the next call sees it and connects afresh, nothing lost or unknown."""
    def answer_then_hang_up(request: bytes) -> Iterator[bytes | float | None]:
        yield head(len(ANSWER)) + ANSWER
        yield 0.05
        yield None

    server = gateway(answer_then_hang_up)
    client = client_of(server)
    assert client.send(sms()).ok
    for _ in range(100):  # until the hang-up has reached this side
        if server.connections == 1 and client._pool._idle and _closed(client._pool._idle[0]):  # noqa: SLF001
            break
        threading.Event().wait(0.02)
    assert client.send(sms()).ok
    assert server.connections == 2


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def test_a_broken_status_line_echoing_the_request_keeps_no_key(gateway, client_of):
    """An answer that is no HTTP at all (a broken proxy sending the request back): the
    error, and every error it came from, holds no form of the key."""
    def echo_as_status_line(request: bytes) -> Iterator[bytes | float | None]:
        yield request + b"\r\n\r\n"
        yield None

    found = client_of(gateway(echo_as_status_line)).send(sms())
    assert found.status is SendStatus.UNKNOWN
    assert type(found.error) is ConnectionDropped
    assert_no_key(all_text(found.error), KEY)


# -- shared by threads, and across a fork --------------------------------------------------


def echo(request: bytes) -> Iterator[bytes | float]:
    yield head(len(request)) + request


def test_threads_sharing_a_client_each_get_their_own_answer(gateway, client_of):
    server = gateway(echo)
    client = client_of(server)
    wrong: list[str] = []

    def calls(thread: int) -> None:
        for call in range(40):
            mine = f"t{thread}c{call}"
            body = client._post("/echo", {"n": mine})  # noqa: SLF001 - the one path
            if body != f"n={mine}".encode():
                wrong.append(f"{mine} got {body!r}")

    threads = [threading.Thread(target=calls, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(server.heads) == 240
    assert server.connections <= 6  # kept and reused: at most one per calling thread


def test_a_forked_child_makes_its_own_connection(gateway, client_of):
    """A child forked after the parent's calls must not write into the parent's kept
    connection (the two processes' requests and answers would mix on it)."""
    server = gateway(fast_answer)
    client = client_of(server)
    assert client.send(sms()).ok
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one call, its outcome to the parent
        os.close(read)
        try:
            os.write(write, b"ok" if client.send(sms()).ok else b"failed")
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert said == b"ok"
    assert server.connections == 2  # the child connected for itself
    assert client.send(sms()).ok  # and the parent's connection is still the parent's
    assert server.connections == 2


def test_a_client_is_usable_after_close(gateway, client_of):
    server = gateway(fast_answer)
    client = client_of(server)
    assert client.send(sms()).ok
    client.close()
    assert client.send(sms()).ok
    assert server.connections == 2


def test_the_answer_cap_applies_to_a_chunked_answer_too(gateway, client_of):
    from cafe24.client import MAX_ANSWER_BYTES
    from cafe24.errors import UnreadableResponse

    def endless_chunks(request: bytes) -> Iterator[bytes | float]:
        yield head(None, "Transfer-Encoding: chunked")
        piece = b"x" * 65536
        for _ in range(2 * MAX_ANSWER_BYTES // len(piece)):
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    outcome = client_of(gateway(endless_chunks), read_timeout=5.0).send(sms())
    assert type(outcome.error) is UnreadableResponse


def test_an_ipv6_loopback_gateway_is_reached():
    try:
        server = StandIn(fast_answer, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback")
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        client = Cafe24Client("demo", KEY, base_url=server.url)
        assert client.send(sms()).ok
        assert header(server, "Host") == f"[::1]:{server.server_address[1]}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


# -- the header block, read by the client itself ------------------------------------------


def answered(*lines: str, body: bytes = ANSWER):
    """A script answering every request with the status line and header ``lines``."""
    def script(request: bytes) -> Iterator[bytes | float]:
        yield ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return script


@pytest.mark.parametrize(("script", "kept"), [
    (answered("HTTP/1.1 100 Continue", "X-A: 1", "", "HTTP/1.1 200 OK",
              f"Content-Length: {len(ANSWER)}"), True),
    (answered("HTTP/1.1 200 OK", "X-Folded: a", " b", f"content-LENGTH:  {len(ANSWER)} "),
     True),
    (answered("HTTP/1.1 200 OK", f"Content-Length: {len(ANSWER)}",
              f"Content-Length: {len(ANSWER) + 5}"), True),
    (answered("HTTP/1.1 200 OK", "no field here", f"Content-Length: {len(ANSWER)}"), True),
    (answered("HTTP/1.0 200 OK", "Connection: Keep-Alive",
              f"Content-Length: {len(ANSWER)}"), True),
    (answered("HTTP/1.1 200 OK", "Connection: Close", f"Content-Length: {len(ANSWER)}"), False),
], ids=["100-continue", "folded-and-any-case", "first-length-counts", "line-without-colon",
        "http10-keep-alive", "close-any-case"])
def test_header_blocks_are_read_as_http_client_reads_them(gateway, client_of, script, kept):
    server = gateway(script)
    client = client_of(server)
    first, second = client.send(sms()), client.send(sms())
    assert (first.status, first.raw, second.status) == (
        SendStatus.SUCCESS, "success,100,0", SendStatus.SUCCESS)
    assert server.connections == (1 if kept else 2)


@pytest.mark.parametrize("script", [
    answered("HTTP/1.1 200 OK", *(f"X-{i}: {i}" for i in range(101))),
    answered("HTTP/1.1 200 OK", "X-Long: " + "x" * 70000),
    answered("HTTP/2 200 OK", f"Content-Length: {len(ANSWER)}"),
    answered("HTTP/1.1 2000 OK", f"Content-Length: {len(ANSWER)}"),
], ids=["101-headers", "long-line", "unknown-protocol", "status-out-of-range"])
def test_a_header_block_that_cannot_be_read_is_a_dropped_connection(gateway, client_of,
                                                                      script):
    outcome = client_of(gateway(script)).send(sms())
    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is ConnectionDropped


def test_an_answer_without_content_is_its_status(gateway, client_of):
    server = gateway(answered("HTTP/1.1 204 No Content", body=b""))
    outcome = client_of(server).send(sms())
    assert type(outcome.error) is HTTPStatusError and outcome.error.status_code == 204
