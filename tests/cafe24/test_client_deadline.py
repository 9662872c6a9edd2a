"""The read timeout bounds a call's whole answer, not each socket read.

A gateway (or a proxy) that trickles its answer a byte at a time, each byte well inside the
read timeout, must not hold a call for longer than the timeout: the send log calls a pending
send "unknown" once every connect attempt and the read timeout have passed. A stand-in
gateway on 127.0.0.1 writes its answers on a schedule to prove it.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import trustme

from cafe24.answers import SendStatus
from cafe24.calls import SendRequest
from cafe24.client import EXCERPT_CHARS, MAX_ANSWER_BYTES, Cafe24Client, _AnswerDeadline
from cafe24.errors import Cafe24Error, ResponseTimeout, UnreadableResponse
from tests.cafe24.test_client_redaction import assert_no_key

KEY = "k?>~y/s3cr3t&=?>"  # its Base64 holds '+' and '/': every quoted form differs
READ_TIMEOUT = 0.5
SLACK = 1.5  # what a timed-out call may take in all, well under the trickles below
ANSWER = b"success,100,0"

#: What the stand-in writes for one request: bytes to write, seconds to wait, or None to
#: hang up.
Script = Callable[[bytes], Iterator[bytes | float | None]]


def head(length: int | None = None, *extra: str) -> bytes:
    """A valid HTTP/1.1 200 header block."""
    lines = ["HTTP/1.1 200 OK", "Content-Type: text/plain; charset=utf-8", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def trickle(data: bytes, every: float = 0.2) -> Iterator[bytes | float]:
    """``data`` one byte at a time, ``every`` seconds apart."""
    for byte in data:
        yield bytes([byte])
        yield every


def fast_answer(request: bytes) -> Iterator[bytes | float]:
    yield head(len(ANSWER)) + ANSWER


def trickled_body(request: bytes) -> Iterator[bytes | float]:
    yield head(len(ANSWER))
    yield from trickle(ANSWER)  # 2.6 s in all, each byte 0.2 s after the last


def trickled_head(request: bytes) -> Iterator[bytes | float]:
    yield from trickle(head(len(ANSWER)))
    yield ANSWER


def trickled_echo(request: bytes) -> Iterator[bytes | float]:
    """The request (the key inside) sent back as the answer, a byte at a time."""
    yield head(len(request))
    yield from trickle(request, every=0.05)


def endless_body(request: bytes) -> Iterator[bytes | float]:
    """A body with no length, a few bytes every 0.1 s, for 5 s (endless to the client; it
    ends only so that a client without a deadline fails rather than hangs)."""
    yield head(None, "Connection: close")
    for _ in range(50):
        yield b"success,"
        yield 0.1


def slow_but_in_time(request: bytes) -> Iterator[bytes | float]:
    yield head(len(ANSWER))
    yield from trickle(ANSWER, every=0.01)  # 0.13 s: well inside the timeout


def oversized_body(request: bytes) -> Iterator[bytes | float]:
    """Twice the cap, with its length announced, as fast as the socket takes it."""
    size = 2 * MAX_ANSWER_BYTES
    yield head(size)
    piece = b"x" * 65536
    for _ in range(size // len(piece)):
        yield piece


def endless_echo(request: bytes) -> Iterator[bytes | float]:
    """The request repeated, with no length, as fast as the socket takes it, up to 16 times
    the cap (endless to the client)."""
    yield head(None, "Connection: close")
    piece = request * 64
    for _ in range(16 * MAX_ANSWER_BYTES // len(piece)):
        yield piece


class _Handler(socketserver.BaseRequestHandler):
    server: StandIn

    def handle(self) -> None:
        self.server.connections += 1
        reader = self.request.makefile("rb")
        try:
            while not self.server.stopping.is_set():
                request = self._read_request(reader)
                if request is None:
                    return
                for step in self.server.script(request):
                    if step is None:  # hang up, without having said so
                        return
                    if isinstance(step, float):
                        if self.server.stopping.wait(step):
                            return
                    else:
                        self.request.sendall(step)
        except OSError:  # the client hung up: what a deadline does
            return

    def _read_request(self, reader) -> bytes | None:
        """The body of the next request on the connection (its head kept in the server's
        ``heads``), or None when it is closed."""
        length, lines = 0, []
        while True:
            line = reader.readline()
            if not line:
                return None
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            name, _, value = lines[-1].partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        self.server.heads.append(lines)
        return reader.read(length)


class StandIn(socketserver.ThreadingTCPServer):
    """A gateway stand-in on 127.0.0.1 that answers every request by its ``script``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Script, host: str = "127.0.0.1") -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, 0), _Handler)
        self.script = script
        self.connections = 0
        self.heads: list[list[str]] = []  # each request's request line and header lines
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host = self.server_address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.server_address[1]}"


@pytest.fixture
def gateway():
    """Start stand-ins (behind TLS with a ``trustme`` CA when given one); stop them, and
    their slow writers, after the test."""
    started: list[StandIn] = []

    def start(script: Script, ca: trustme.CA | None = None) -> StandIn:
        server = StandIn(script)
        if ca is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(context)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def client_of():
    """Clients of a stand-in, with the short read timeout; closed after the test."""
    made: list[Cafe24Client] = []

    def build(server: StandIn, **kwargs) -> Cafe24Client:
        kwargs.setdefault("read_timeout", READ_TIMEOUT)
        kwargs.setdefault("base_url", server.url)
        client = Cafe24Client("demo", KEY, allow_http=True, connect_retries=0, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


def sms() -> SendRequest:
    return SendRequest(msg="안녕하세요", sender="010-1234-5678", recipients=("010-2222-3333",))


def timed(call: Callable[[], object]) -> tuple[object, float]:
    """What ``call`` returned or raised (a Cafe24Error), and how long it took."""
    began = time.monotonic()
    try:
        found = call()
    except Cafe24Error as exc:
        found = exc
    return found, time.monotonic() - began


def all_text(error: BaseException) -> str:
    """The message, body and repr of an error and of every error it came from."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), getattr(seen, "body", "")]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


# -- a normal answer ----------------------------------------------------------------------


def test_a_fast_answer_still_parses(gateway, client_of):
    outcome = client_of(gateway(fast_answer)).send(sms())
    assert outcome.status is SendStatus.SUCCESS
    assert outcome.raw == "success,100,0"


def test_an_answer_that_trickles_but_ends_in_time_is_read(gateway, client_of):
    outcome = client_of(gateway(slow_but_in_time)).send(sms())
    assert outcome.status is SendStatus.SUCCESS


def test_the_connection_is_reused_and_outlives_the_deadline(gateway, client_of):
    """Past a call, its deadline's timer touches the pooled connection no more."""
    server = gateway(fast_answer)
    client = client_of(server)
    assert client.send(sms()).ok
    time.sleep(READ_TIMEOUT + 0.2)  # longer than the first call's deadline
    assert client.send(sms()).ok
    assert server.connections == 1


# -- answers that never end in time ------------------------------------------------------


@pytest.mark.parametrize("script", [trickled_body, trickled_head, endless_body],
                         ids=["body trickles", "headers trickle", "body never ends"])
def test_a_send_ends_within_the_read_timeout(gateway, client_of, script):
    server = gateway(script)
    outcome, took = timed(lambda: client_of(server).send(sms()))
    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is ResponseTimeout
    assert outcome.error.outcome_unknown and not outcome.error.safe_to_retry
    assert str(outcome.error) == f"no complete answer from {server.url} within 0.5 s"
    assert READ_TIMEOUT * 0.9 <= took < SLACK


@pytest.mark.parametrize("operation", ["senders", "remaining", "results"])
def test_a_look_up_raises_response_timeout_in_time(gateway, client_of, operation):
    server = gateway(trickled_body)
    client = client_of(server)
    found, took = timed(getattr(client, operation))
    assert type(found) is ResponseTimeout
    assert str(found) == f"no complete answer from {server.url} within 0.5 s"
    assert took < SLACK


def test_the_client_recovers_after_a_timeout(gateway, client_of):
    answers = iter([trickled_body, fast_answer])
    server = gateway(lambda request: next(answers)(request))
    client = client_of(server)
    assert type(client.send(sms()).error) is ResponseTimeout
    assert client.send(sms()).status is SendStatus.SUCCESS
    assert server.connections == 2  # the cut-off connection was not put back in the pool


def test_a_trickle_over_tls_ends_within_the_read_timeout(gateway, client_of, tmp_path):
    ca = trustme.CA()
    server = gateway(trickled_body, ca)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client = client_of(server, base_url=server.url.replace("http://", "https://"),
                       ca_file=str(bundle))
    outcome, took = timed(lambda: client.send(sms()))
    assert type(outcome.error) is ResponseTimeout
    assert took < SLACK


def test_a_pooled_connection_the_deadline_shut_down_is_not_written_into(gateway, client_of):
    """Should a deadline shut a kept connection's socket down after it went back to the
    pool, the next call connects afresh instead of failing (or writing into it)."""
    server = gateway(fast_answer)
    client = client_of(server)
    assert client.send(sms()).ok
    [kept] = client._pool._idle  # noqa: SLF001 - the pool itself
    late = _AnswerDeadline(0.01)
    late.start(kept)
    time.sleep(0.2)  # it fires: the socket is shut down
    assert client.send(sms()).ok
    assert server.connections == 2
    late.stop()


def test_a_timed_out_answer_leaves_no_key_behind(gateway, client_of):
    found, took = timed(lambda: client_of(gateway(trickled_echo)).senders())
    assert type(found) is ResponseTimeout
    assert took < SLACK
    assert_no_key(all_text(found), KEY)


# -- answers too long to keep ------------------------------------------------------------


@pytest.mark.parametrize("script", [oversized_body, endless_echo],
                         ids=["announced length", "no length"])
def test_an_answer_over_the_cap_is_refused(gateway, client_of, script):
    server = gateway(script)
    client = client_of(server, read_timeout=5.0)  # the cap, not the deadline, stops it
    outcome, took = timed(lambda: client.send(sms()))
    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is UnreadableResponse
    assert outcome.error.outcome_unknown
    assert f"more than {MAX_ANSWER_BYTES} bytes" in str(outcome.error)
    assert len(outcome.error.body) <= EXCERPT_CHARS + 1
    assert took < 5.0


def test_an_echo_over_the_cap_leaves_no_key_behind(gateway, client_of):
    found, _ = timed(lambda: client_of(gateway(endless_echo), read_timeout=5.0).remaining())
    assert type(found) is UnreadableResponse
    assert_no_key(all_text(found), KEY)



def test_a_forked_child_forgets_the_parents_deadlines():
    """A child forked while a call of the parent's is in flight must never act on that
    call's deadline (it would shut down a socket the parent keeps using)."""
    import os

    from cafe24 import client as client_module

    deadline = client_module._AnswerDeadline(30)  # noqa: SLF001 - the machinery itself
    with socket.socket() as sock:
        deadline.start(sock)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what its watchdog still holds
            os.close(read)
            os.write(write, str(len(client_module._WATCHDOG._due)).encode())  # noqa: SLF001
            os._exit(0)
        os.close(write)
        held = os.read(read, 16)
        os.close(read)
        os.waitpid(pid, 0)
        deadline.stop()
    assert held == b"0"
