"""A page's gateway look-ups during an outage: short timeouts, the outage remembered for a
moment so the next pages say so at once, the last known credit shown, refusals never
remembered, and sends still given their own full timeouts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from simulator import SIMULATOR_BASE_URL
from smsform.extensions import db
from smsform.models import Send
from smsform.services import gateway as gateway_service
from tests.support import build_app, page, sign_in

KEY = "page-lookup-secure-key"


class SilentGateway:
    """A socket on 127.0.0.1 that answers the first ``answers`` requests with ``body`` and
    then reads requests and never answers; it counts the requests it read."""

    def __init__(self, answers: int = 0, body: bytes = b"1234") -> None:
        self.answers, self.body = answers, body
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        self._held.append(conn)
        conn.settimeout(5)
        data = b""
        try:
            while not self._stop.is_set():
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), b"0"))
                if len(rest) < length:
                    continue
                data = rest[length:]
                self.requests += 1
                if self.requests > self.answers:
                    self._stop.wait(10)  # hold the connection, say nothing
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(self.body), self.body))
        except OSError:
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._listener.close()


@pytest.fixture
def silent() -> Iterator[SilentGateway]:
    server = SilentGateway()
    yield server
    server.close()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def app_on(url: str, monkeypatch: pytest.MonkeyPatch, *, read_timeout: str = "30"):
    """An app whose gateway is ``url``; sends wait ``read_timeout`` s, a page's look-up 0.4 s."""
    monkeypatch.setattr(gateway_service, "LOOKUP_READ_TIMEOUT", 0.4)
    app = build_app(None, CAFE24_SMS_BASE_URL=url, CAFE24_SMS_USER_ID="shop",
                    CAFE24_SMS_SECURE_KEY=KEY, CAFE24_SMS_CONNECT_TIMEOUT="1",
                    CAFE24_SMS_READ_TIMEOUT=read_timeout)
    clock = FakeClock()
    app.extensions[gateway_service.EXTENSION].clock = clock
    return app, clock


def timed_get(web, path: str):
    started = time.monotonic()
    answer = web.get(path)
    return answer, time.monotonic() - started


def test_a_silent_gateway_costs_the_dashboard_the_look_up_timeout_not_the_send_timeout(
        silent: SilentGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _clock = app_on(silent.url, monkeypatch, read_timeout="30")
    web = sign_in(app)
    answer, took = timed_get(web, "/dashboard")
    assert answer.status_code == 200
    assert took < 5, f"the dashboard waited {took:.1f} s on a silent gateway"
    assert page(answer).select_one("#credit-error") is not None
    assert silent.requests == 1
    assert KEY not in answer.get_data(as_text=True)
    sends = app.extensions[gateway_service.EXTENSION].client
    assert sends.timeout == (1.0, 30.0)  # a send still waits for its answer


def test_an_outage_is_remembered_for_a_moment_then_asked_again(
        silent: SilentGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    app, clock = app_on(silent.url, monkeypatch)
    web = sign_in(app)
    web.get("/dashboard")
    assert silent.requests == 1
    again = web.get("/dashboard")
    assert page(again).select_one("#credit-error") is not None
    assert silent.requests == 1  # said at once: the gateway was not asked again
    form = web.get("/smsform?lang=en")  # the form's sender numbers: the same outage
    assert form.status_code == 200 and silent.requests == 1
    clock.now += gateway_service.OUTAGE_MEMORY + 1
    web.get("/dashboard")
    assert silent.requests == 2


def test_smscount_says_the_remembered_outage_as_a_502(
        silent: SilentGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _clock = app_on(silent.url, monkeypatch)
    web = sign_in(app)
    assert web.get("/smscount").status_code == 502
    answer = web.get("/smscount")
    assert answer.status_code == 502 and silent.requests == 1


def test_the_gateway_check_always_asks(silent: SilentGateway,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    app, _clock = app_on(silent.url, monkeypatch, read_timeout="0.4")
    web = sign_in(app)
    web.get("/dashboard")
    asked = silent.requests
    web.get("/gateway")
    assert silent.requests > asked


def test_the_last_known_credit_from_the_log_is_shown_in_an_outage(
        silent: SilentGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _clock = app_on(silent.url, monkeypatch)
    with app.app_context():
        for remaining, finished in ((999, datetime(2024, 6, 9, 3, 0)),
                                    (4321, datetime(2024, 6, 10, 3, 5))):
            db.session.add(Send(created_at=finished, finished_at=finished, actor="kim",
                                source="form", sender="02-123-4567", kind="S", text="t",
                                recipients="[]", recipient_count=1, forecast=1, cost=1,
                                test=False,
                                result="success", code="success", remaining=remaining))
        db.session.commit()
    known = page(sign_in(app).get("/dashboard?lang=en")).select_one("#credit-last-known")
    assert known is not None
    assert "4,321" in known.text and "2024-06-10 12:05" in known.text  # Korea time


def test_a_credit_a_page_was_told_is_the_last_known_when_the_gateway_then_falls_silent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = SilentGateway(answers=1, body=b"777")
    try:
        app, clock = app_on(server.url, monkeypatch)
        web = sign_in(app)
        first = page(web.get("/dashboard"))
        assert first.select_one("#remaining")["data-remaining"] == "777"
        assert first.select_one("#credit-last-known") is None
        clock.now += 1
        known = page(web.get("/dashboard?lang=en")).select_one("#credit-last-known")
        assert known is not None and "777 credits" in known.text
    finally:
        server.close()


def test_a_refusal_is_an_answer_and_never_remembered(backend, monkeypatch) -> None:
    backend.accounts["demo"].secure_key = "reissued-key"  # the app's key is now refused: -102
    app = build_app(backend)
    web = sign_in(app)
    for _ in range(2):
        assert page(web.get("/dashboard")).select_one("#credit-error") is not None
    asked = [c for c in backend.calls if c.path == "/sms_remain.php"]
    assert len(asked) == 2
    assert app.extensions[gateway_service.EXTENSION].client.base_url == SIMULATOR_BASE_URL
