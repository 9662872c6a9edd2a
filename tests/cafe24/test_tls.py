"""TLS: an untrusted certificate means nothing was sent; other TLS faults mean unknown."""

from __future__ import annotations

import ssl

import pytest
import requests
import trustme
from urllib3.exceptions import MaxRetryError
from urllib3.exceptions import SSLError as Urllib3SSLError

from cafe24.answers import SendStatus
from cafe24.calls import SendRequest
from cafe24.client import Cafe24Client, _certificate_refused
from cafe24.errors import ConnectFailed
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
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=https_url(server))
    client.session.verify = str(bundle)
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


def test_a_tls_fault_that_is_not_about_the_certificate_means_unknown(monkeypatch):
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url="https://127.0.0.1:9")

    def broken(*args, **kwargs):
        raise _wrapped(ssl.SSLError(1, "decryption failed or bad record mac"))

    monkeypatch.setattr(client.session, "post", broken)
    outcome = client.send(sms())
    assert outcome.status is SendStatus.UNKNOWN
    assert outcome.error.outcome_unknown
