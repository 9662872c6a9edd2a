"""The database refuses the outcome after the gateway has answered: the person is told what
the gateway said (never a 500), the row stays pending with its key (so nothing is sent
again), and the log line says the outcome was not logged.

The refusal is real: while the gateway call is in progress another connection takes
SQLite's write lock on the same file, and the app's busy timeout is short.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, DEMO_SENDERS, DEMO_USER_ID
from simulator.backend import GatewayBackend
from smsform import database
from smsform.errors import after_send
from smsform.extensions import db
from smsform.models import Send, in_korea
from smsform.services import form_input, relay_sites, sending
from smsform.services.audit import CLI_ACTOR
from smsform.services.sending import SendResult, Status
from tests.api_support import bearer, token_user
from tests.support import build_app, page, send_calls, sign_in, valid_send

TOKEN = re.compile(r'name="send_token" value="([^"]+)"')


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


class LockingBackend(GatewayBackend):
    """The simulator, which takes the database's write lock while it answers a send and
    keeps it until ``release``."""

    path: Path | None = None
    lock: sqlite3.Connection | None = None

    def send(self, f: dict[str, str]):
        if self.path is not None and self.lock is None:
            self.lock = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            self.lock.execute("BEGIN IMMEDIATE")  # no other writer until released
        return super().send(f)

    def release(self) -> None:
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None


@pytest.fixture
def locking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 150)
    locked = LockingBackend()
    locked.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), DEMO_CREDITS)
    path = tmp_path / "smsform.db"
    app = build_app(locked, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    yield app, locked, path
    locked.release()


def rows(app) -> list[Send]:
    with app.app_context():
        return db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()


def test_the_form_says_what_the_gateway_answered_and_that_the_log_could_not(locking, caplog):
    app, backend, path = locking
    web = sign_in(app, "sender")
    token = TOKEN.search(web.get("/smsform").get_data(as_text=True)).group(1)
    backend.path = path
    answer = web.post("/smssend", data={**valid_send(), "send_token": token})
    backend.release()
    assert answer.status_code == 200
    soup = page(answer)
    assert soup.select_one("[data-result]")["data-result"] == "success"
    warning = soup.select_one("#not-logged")
    assert warning is not None and warning.a["href"].startswith("/sends/")
    [row] = rows(app)
    assert (row.result, row.send_key) == ("pending", token)  # read as unknown later
    assert "outcome NOT LOGGED" in caplog.text
    # The same form again sends nothing: its token still holds the row.
    again = web.post("/smssend", data={**valid_send(), "send_token": token})
    assert again.status_code == 409
    assert len(send_calls(backend)) == 1


def test_json_and_the_api_say_the_gateways_answer_too(locking):
    app, backend, path = locking
    web = sign_in(app, "sender")
    backend.path = path
    answer = web.post("/smssend", data=valid_send(), headers={"Accept": "application/json"})
    backend.release()
    body = answer.get_json()
    assert (answer.status_code, body["result"], body["logged"]) == (200, "success", False)

    token = token_user(app, "sender", "api-user")
    backend.path = path
    sent = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕하세요"})
    backend.release()
    assert sent.status_code == 201
    assert sent.get_json()["result"] == "success"
    assert [row.result for row in rows(app)] == ["pending", "pending"]
    assert len(send_calls(backend)) == 2


def hold_write_lock(path: Path) -> sqlite3.Connection:
    lock = sqlite3.connect(path, timeout=5, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    return lock


def test_a_database_locked_before_the_call_is_a_503_and_nothing_is_sent(locking, caplog):
    app, backend, path = locking
    web = sign_in(app, "sender")
    token = TOKEN.search(web.get("/smsform").get_data(as_text=True)).group(1)
    lock = hold_write_lock(path)
    try:
        answer = web.post("/smssend", data={**valid_send(), "send_token": token})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "아무것도 보내지 않았습니다" in answer.get_data(as_text=True)
    assert send_calls(backend) == [] and rows(app) == []
    assert "database unavailable in POST /smssend: OperationalError" in caplog.text
    assert valid_send()["msg"] not in caplog.text  # never the statement's parameters
    # The same form, once the lock is gone, sends (its token was never used).
    assert web.post("/smssend", data={**valid_send(), "send_token": token}).status_code == 200
    assert len(send_calls(backend)) == 1


def test_the_api_says_database_unavailable_as_a_problem(locking):
    app, backend, path = locking
    token = token_user(app, "sender", "api-user")
    lock = hold_write_lock(path)
    try:
        answer = app.test_client().post(
            "/api/v1/messages", headers={**bearer(token), "Accept-Language": "en"},
            json={"from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕하세요"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    body = answer.get_json(force=True)
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert (body["code"], body["title"]) == ("database_unavailable", "Database unavailable")
    assert "nothing was sent" in body["detail"]
    assert send_calls(backend) == []


def test_the_relay_answers_the_gateways_server_failure_in_its_own_format(locking):
    app, backend, path = locking
    with app.app_context():
        issued = relay_sites.create_site("shop", ["010-1234-5678"], by=CLI_ACTOR)
    body = urlencode({
        "user_id": b64(issued.site.user_id), "secure": b64(issued.secure), "msg": b64("안녕"),
        "rphone": b64("010-2222-3333"), "sphone1": b64("010"), "sphone2": b64("1234"),
        "sphone3": b64("5678"), "mode": b64("1"), "smsType": b64("S")})
    lock = hold_write_lock(path)
    try:
        answer = app.test_client().post(
            "/relay/sms_sender.php", data=body,
            content_type="application/x-www-form-urlencoded")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert (answer.status_code, answer.data) == (503, b"-100,")
    assert answer.headers["Retry-After"] == "5" and answer.mimetype == "text/html"
    assert send_calls(backend) == []


def test_a_relayed_send_the_database_failed_after_asks_the_site_for_no_retry(locking,
                                                                            monkeypatch):
    """The gateway was called, then the database failed: the site gets its server failure
    (-100: look the send up) without a Retry-After that would invite sending it again."""
    app, backend, _path = locking
    with app.app_context():
        issued = relay_sites.create_site("shop", ["010-1234-5678"], by=CLI_ACTOR)
    called = sending._call

    def call_then_fail(request, actor, **kwargs):
        called(request, actor, **kwargs)
        raise OperationalError("UPDATE sends", {}, sqlite3.OperationalError("gone"))

    monkeypatch.setattr(sending, "_call", call_then_fail)
    answer = app.test_client().post("/relay/sms_sender.php", data=urlencode({
        "user_id": b64(issued.site.user_id), "secure": b64(issued.secure), "msg": b64("안녕"),
        "rphone": b64("010-2222-3333"), "sphone1": b64("010"), "sphone2": b64("1234"),
        "sphone3": b64("5678"), "mode": b64("1"), "smsType": b64("S")}),
        content_type="application/x-www-form-urlencoded")
    assert (answer.status_code, answer.data) == (503, b"-100,")
    assert "Retry-After" not in answer.headers
    assert len(send_calls(backend)) == 1


class Outage:
    """Every statement fails from the moment it is switched on (a database going down),
    or only those that read the send log back (``reads``)."""

    def __init__(self, app, reads_only: bool = False) -> None:
        self.on, self.reads_only = False, reads_only
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self.check)

    def check(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on and (not self.reads_only or statement.lstrip().upper().startswith(
                "SELECT") and "FROM sends" in statement):
            raise sqlite3.OperationalError("the database went away")


class DownAfterSend(GatewayBackend):
    """The simulator, which switches ``outage`` on as it takes a send."""

    outage: Outage | None = None

    def send(self, f: dict[str, str]):
        answer = super().send(f)
        if self.outage is not None:
            self.outage.on = True
        return answer


def down_after_send_app(tmp_path: Path, reads_only: bool):
    backend = DownAfterSend()
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), DEMO_CREDITS)
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite'}")
    token = token_user(app, "sender", "api-user")
    backend.outage = Outage(app, reads_only)
    return app, backend, token


def test_a_database_gone_during_an_api_send_answers_the_gateways_success(tmp_path):
    """The outcome cannot be written nor the row read back: the API answers from what the
    gateway said, so a client never retries a message that went out."""
    app, backend, token = down_after_send_app(tmp_path, reads_only=False)
    answer = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕하세요"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["result"] == "success"
    assert len(send_calls(backend)) == 1


def test_a_row_written_but_not_read_back_still_answers_the_gateways_success(tmp_path):
    app, backend, token = down_after_send_app(tmp_path, reads_only=True)
    answer = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕하세요"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["result"], body["recipients"], body["kind"]) == ("success", 1, "sms")
    with app.app_context():
        backend.outage.on = False
        [row] = rows(app)
    # The answer's time is the row's own (Korea time, to the second).
    assert body["created_at"].startswith(in_korea(row.created_at).strftime("%Y-%m-%dT%H:%M:%S"))
    assert len(send_calls(backend)) == 1


def test_the_cli_answers_a_send_whose_row_cannot_be_read_back(tmp_path):
    app, backend, _token = down_after_send_app(tmp_path, reads_only=True)
    answer = app.test_cli_runner().invoke(args=[
        "send", "--user", "api-user", "--from", "010-1234-5678", "--to", "010-2222-3333",
        "--text", "안녕하세요", "--json"])
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output.splitlines()[-1])["result"] == "success"
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("how", ["result", "exception"])
def test_a_database_failure_once_the_gateway_was_called_never_says_nothing_was_sent(
        locking, monkeypatch, how):
    """Whatever reads the database after the call (nothing does today: this guards what
    may), its failure says the message may have gone, and asks for no retry: told by the
    edge with the send's result, or by the exception the send service let through."""
    app, _backend, _path = locking
    failure = OperationalError("SELECT 1", {}, sqlite3.OperationalError("gone"))
    request = form_input.build_request(valid_send()).request

    def failing_call(*_args, **_kwargs):
        raise failure  # as if the database failed during the gateway call

    monkeypatch.setattr(sending, "_call", failing_call)

    def after_a_send() -> str:
        if how == "result":
            after_send(SendResult(Status.SUCCESS, request))
            raise failure
        sending.submit(sending.SendOrder(request, sending.Actor(None, "t", "form")))
        raise AssertionError("not reached")

    app.add_url_rule("/after-a-send", view_func=after_a_send)
    answer = app.test_client().get("/after-a-send?lang=en", headers={"Accept": "application/json"})
    assert (answer.status_code, answer.get_json()["code"]) == (
        503, "database_unavailable_after_send")
    assert "may have been sent" in answer.get_json()["message"]
    assert "Retry-After" not in answer.headers


def test_a_database_failure_after_a_send_that_never_left_says_nothing_was_sent(locking):
    app, _backend, _path = locking

    def not_sent() -> str:
        after_send(SendResult(Status.NOT_SENT, form_input.build_request(valid_send()).request))
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("gone"))

    app.add_url_rule("/not-sent", view_func=not_sent)
    answer = app.test_client().get("/not-sent?lang=en", headers={"Accept": "application/json"})
    assert (answer.status_code, answer.get_json()["code"]) == (503, "database_unavailable")
    assert answer.headers["Retry-After"] == "5"


def test_nointeractive_does_not_skip_the_warning(locking):
    app, backend, path = locking
    web = sign_in(app, "sender")
    backend.path = path
    answer = web.post("/smssend", data=valid_send(nointeractive="1", returnurl="/done"))
    backend.release()
    assert answer.status_code == 200  # the result page, not the redirect onwards
    assert page(answer).select_one("#not-logged") is not None
