"""TLS: an untrusted certificate or a failed handshake means nothing was sent; a TLS fault
after the request left means unknown."""

from __future__ import annotations

import contextlib
import os
import socketserver
import ssl
import threading

import pytest
import requests
import trustme
from urllib3.exceptions import MaxRetryError
from urllib3.exceptions import SSLError as Urllib3SSLError

from cafe24.answers import SendStatus
from cafe24.calls import SendRequest
from cafe24.client import Cafe24Client, _certificate_refused
from cafe24.errors import ConnectFailed, ConnectionDropped
from simulator import DEMO_SECURE_KEY, DEMO_USER_ID, demo_backend
from simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throw-away certificate authority that the machine does not trust."""
    return trustme.CA()


@pytest.fixture
def tls_server(ca):
    """The simulator behind TLS on 127.0.0.1, with a certificate from ``ca``."""
    backend = demo_backend()
    server = SimulatorServer(backend)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.start()
    yield server, backend
    server.stop()


def https_url(server: SimulatorServer) -> str:
    return server.url.replace("http://", "https://")


def sms() -> SendRequest:
    return SendRequest(msg="보안 연결", sender="010-1234-5678", recipients=("010-2222-3333",))


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(tls_server):
    server, backend = tls_server
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=https_url(server))
    with pytest.raises(ConnectFailed, match="not trusted"):
        client.send(sms())
    assert backend.calls == []


def test_a_trusted_certificate_carries_the_send(tls_server, ca, tmp_path):
    server, backend = tls_server
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=https_url(server),
                          ca_file=str(bundle))
    assert client.send(sms()).status is SendStatus.SUCCESS
    assert [c.path for c in backend.calls] == ["/sms_sender.php"]


def _wrapped(inner: BaseException) -> requests.exceptions.SSLError:
    """A TLS error as requests raises it: SSLError(MaxRetryError(reason=SSLError(inner)))."""
    reason = Urllib3SSLError(inner)
    return requests.exceptions.SSLError(MaxRetryError(None, "/", reason=reason))


def test_certificate_failures_are_told_apart_from_other_tls_faults():
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert _certificate_refused(_wrapped(verify))
    assert not _certificate_refused(_wrapped(ssl.SSLError(1, "bad record mac")))
    assert not _certificate_refused(_wrapped(ssl.SSLEOFError(8, "EOF in violation of protocol")))


class _TLSFaults(socketserver.ThreadingTCPServer):
    """A stand-in on 127.0.0.1 that ``does`` one thing to each connection: ``"garble"``
    completes the TLS handshake, reads the request, then writes bytes that are no TLS
    record; ``"plain"`` answers the client's hello in plain HTTP (no handshake at all)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, does: str, ca: trustme.CA) -> None:
        super().__init__(("127.0.0.1", 0), _TLSFaultHandler)
        self.does = does
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.connections = 0
        self.requests = 0


class _TLSFaultHandler(socketserver.BaseRequestHandler):
    server: _TLSFaults

    def handle(self) -> None:
        self.server.connections += 1
        raw = self.request
        if self.server.does == "plain":
            raw.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        with contextlib.suppress(OSError):
            tls = self.server.context.wrap_socket(raw, server_side=True)
            reader = tls.makefile("rb")
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            self.server.requests += 1
            # Under the TLS layer: the client reads bytes that are no TLS record.
            os.write(tls.fileno(), b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nsuccess,99,0")


@pytest.fixture
def tls_fault(ca):
    started: list[_TLSFaults] = []

    def start(does: str) -> _TLSFaults:
        server = _TLSFaults(does, ca)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_a_tls_fault_after_the_request_left_means_unknown(tls_fault, ca, tmp_path):
    server = tls_fault("garble")
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, ca_file=str(bundle),
                          base_url=f"https://127.0.0.1:{server.server_address[1]}")
    outcome = client.send(sms())
    assert server.requests == 1
    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is ConnectionDropped
    assert str(outcome.error) == f"TLS error talking to {client.base_url}"
    assert outcome.error.outcome_unknown and not outcome.error.safe_to_retry
    assert server.connections == 1  # never sent again


def test_a_failed_handshake_is_connect_failed_and_not_retried(tls_fault):
    """Nothing can have been sent before the handshake ended."""
    server = tls_fault("plain")
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY,
                          base_url=f"https://127.0.0.1:{server.server_address[1]}")
    with pytest.raises(ConnectFailed, match="TLS handshake") as caught:
        client.send(sms())
    assert caught.value.safe_to_retry and not caught.value.outcome_unknown
    assert server.connections == 1
