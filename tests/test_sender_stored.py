"""A sender typed with spaces and dots is sent and stored as the canonical number, on SQLite
and PostgreSQL (where the raw text overflowed ``sends.sender``); and a database error never
logs a statement's parameters: the engine hides them, the error handler logs no statement,
and the relay answers a server failure in its own format."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from simulator import GatewayBackend
from smsform.extensions import db
from smsform.models import Send, User
from smsform.services import relay_sites, sendlog
from smsform.services.audit import CLI_ACTOR
from tests.api_support import bearer, token_user
from tests.support import b64, build_app, send_calls, sign_in, valid_send

TYPED = "010 - 1234 - 5678   .."  # 22 characters: more than sends.sender holds
CANONICAL = "010-1234-5678"
SECRET_TEXT = "주문번호 7731 비밀 안내"


@pytest.fixture
def db_app(db_url: str, backend: GatewayBackend) -> Flask:
    """The app on ``db_url`` (SQLite file, then PostgreSQL), migrated as ``make run`` does."""
    return build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)


def rows(app: Flask) -> list[tuple[str, str | None]]:
    """Each logged send's sender and result."""
    with app.app_context():
        return [(r.sender, r.result) for r in db.session.scalars(select(Send).order_by(Send.id))]


def last_sender(app: Flask, username: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(User.last_sender).filter_by(username=username))


def relay_body(issued: relay_sites.Issued, **fields: str) -> str:
    values = {"user_id": issued.site.user_id, "secure": issued.secure, "msg": "안녕하세요",
              "rphone": "010-2222-3333", "sphone1": "010", "sphone2": "1234",
              "sphone3": "5678", "mode": "1", "smsType": "S", **fields}
    return urlencode({name: b64(value) for name, value in values.items()})


def test_the_api_stores_the_sender_it_sends(db_app, backend):
    token = token_user(db_app, "sender", "api-user")
    answer = db_app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": TYPED, "to": ["010-2222-3333"], "text": "안녕하세요"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert rows(db_app) == [(CANONICAL, "success")]
    # Only the form's own sends move the form's starting sender (sending.REMEMBERS_SENDER).
    assert last_sender(db_app, "api-user") is None
    [call] = send_calls(backend)
    assert (call.fields["sphone1"], call.fields["sphone2"], call.fields["sphone3"]) == (
        "010", "1234", "5678")


def test_the_form_stores_the_sender_it_sends(db_app):
    web = sign_in(db_app, "sender", username="kim")
    answer = web.post("/smssend", data=valid_send(sphone=TYPED))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert rows(db_app) == [(CANONICAL, "success")]
    assert last_sender(db_app, "kim") == CANONICAL


def test_the_relay_stores_the_sender_it_sends(db_app):
    with db_app.app_context():
        issued = relay_sites.create_site("shop", [CANONICAL], by=CLI_ACTOR)
    answer = db_app.test_client().post(
        "/relay/sms_sender.php", data=relay_body(issued, sphone3="5678   .."),
        content_type="application/x-www-form-urlencoded")
    assert (answer.status_code, answer.data[:8]) == (200, b"success,")
    assert rows(db_app) == [(CANONICAL, "success")]


def test_the_engine_hides_statement_parameters(db_app):
    with db_app.app_context():
        assert db.engine.hide_parameters is True
        with db.engine.begin() as connection:
            connection.execute(insert(User.__table__).values(
                username="dup", password_hash="x", role="sender", created_at=db.func.now()))
        with pytest.raises(IntegrityError) as raised:
            with db.engine.begin() as connection:
                connection.execute(insert(User.__table__).values(
                    username="dup", password_hash=SECRET_TEXT, role="sender",
                    created_at=db.func.now()))
    assert SECRET_TEXT not in str(raised.value)
    assert "parameters hidden" in str(raised.value)


def _failing_intent(*_args, **_kwargs):
    """A statement the database refuses, carrying a message's text and a number: a
    duplicate key, whose driver detail (PostgreSQL's) quotes the value."""
    for _attempt in range(2):
        with db.engine.begin() as connection:
            connection.execute(insert(User.__table__).values(
                username=SECRET_TEXT[:20], password_hash="01099998888", role="sender",
                created_at=db.func.now()))
    raise AssertionError("not reached")


def test_a_database_error_in_the_api_logs_no_statement_nor_values(db_app, backend,
                                                                  monkeypatch, caplog):
    token = token_user(db_app, "sender", "api-user")
    monkeypatch.setattr(sendlog, "record_intent", _failing_intent)
    caplog.set_level(logging.INFO)
    answer = db_app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": CANONICAL, "to": ["010-9999-8888"], "text": SECRET_TEXT})
    assert answer.status_code == 500 and answer.mimetype == "application/problem+json"
    assert "database error in POST /api/v1/messages: IntegrityError" in caplog.text
    for secret in (SECRET_TEXT, SECRET_TEXT[:20], "01099998888", "INSERT INTO"):
        assert secret not in caplog.text
    assert send_calls(backend) == []


def test_a_database_error_in_the_relay_is_its_server_failure_code(db_app, backend,
                                                                  monkeypatch, caplog):
    with db_app.app_context():
        issued = relay_sites.create_site("shop", [CANONICAL], by=CLI_ACTOR)
    monkeypatch.setattr(sendlog, "record_intent", _failing_intent)
    answer = db_app.test_client().post(
        "/relay/sms_sender.php", data=relay_body(issued, msg=SECRET_TEXT),
        content_type="application/x-www-form-urlencoded")
    assert (answer.status_code, answer.data) == (500, b"-100,")
    assert answer.mimetype == "text/html"  # the gateway's own content type, not a page
    assert SECRET_TEXT[:20] not in caplog.text and "INSERT INTO" not in caplog.text
    assert send_calls(backend) == []
