"""The app on PostgreSQL as on SQLite (``db_url`` runs each test on both), on the schema the
migrations make: sign in, send once, a repeated token or key sends nothing, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from simulator import GatewayBackend
from smsform.extensions import db
from smsform.models import Send, User
from tests.db import SERVER_TIMEZONE, dialect
from tests.support import build_app, make_user, page, send_calls, valid_send

USER = ("sender", "a-long-enough-password")
JSON = {"Accept": "application/json"}


@pytest.fixture
def db_app(db_url: str, backend: GatewayBackend) -> Flask:
    """The app on ``db_url``, migrated as ``make run`` does, with a sender account."""
    app = build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)
    make_user(app, *USER, role="sender")
    return app


@pytest.fixture
def sender(db_app: Flask) -> FlaskClient:
    """A client signed in through the /login form."""
    client = db_app.test_client()
    answer = client.post("/login", data={"username": USER[0], "password": USER[1]})
    assert answer.status_code in (302, 303)
    return client


def sends(app: Flask) -> list[Send]:
    """The send log, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(Send).order_by(Send.id)))


def test_the_app_runs_on_the_configured_database(db_app, db_url):
    with db_app.app_context():
        assert db.engine.dialect.name == dialect(db_url)


def test_a_form_sends_once_and_its_repeat_gets_409(db_app, sender, backend):
    token = page(sender.get("/smsform")).select_one("input[name=send_token]")["value"]

    first = sender.post("/smssend", data=valid_send(send_token=token))
    again = sender.post("/smssend", data=valid_send(send_token=token))

    assert (first.status_code, again.status_code) == (200, 409)
    assert len(send_calls(backend)) == 1
    assert page(again).select_one("#previous-result")["data-result"] == "success"
    assert [s.result for s in sends(db_app)] == ["success"]


def test_an_idempotency_key_sends_once_and_its_repeat_gets_409(db_app, sender, backend):
    headers = {**JSON, "Idempotency-Key": "order-1"}

    first = sender.post("/smssend", data=valid_send(), headers=headers)
    again = sender.post("/smssend", data=valid_send(), headers=headers)

    assert (first.status_code, again.status_code) == (200, 409)
    assert again.get_json()["previous"]["status"] == "success"
    assert len(send_calls(backend)) == 1
    assert [s.result for s in sends(db_app)] == ["success"]


def test_times_are_stored_in_utc_whatever_the_servers_zone(db_app):
    """The test cluster runs in Korea time: each session must still write UTC."""
    before = datetime.now(UTC).replace(tzinfo=None)
    with db_app.app_context():
        user = db.session.scalars(select(User).filter_by(username=USER[0])).one()
        created = user.created_at.replace(tzinfo=None)
        if db.engine.dialect.name == "postgresql":
            zone = db.session.execute(db.text("SHOW TIME ZONE")).scalar_one()
            server_zone = db.session.execute(db.text(
                "SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'")).scalar_one()
            assert (zone, server_zone) == ("UTC", SERVER_TIMEZONE)
    assert abs(created - before) < timedelta(minutes=1)


def test_the_opt_out_list_and_its_step_on_each_engine(db_app, sender, backend):
    from smsform.services import optouts
    from smsform.services.audit import CLI_ACTOR
    from smsform.states import OptOutVia

    with db_app.app_context():
        assert optouts.add("010-2222-3333", via=OptOutVia.CLI, by=CLI_ACTOR).new
        assert not optouts.add("01022223333", via=OptOutVia.API, by=CLI_ACTOR).new
        assert optouts.opted_out(["010-2222-3333", "010-4444-5555"]) == {"010-2222-3333"}
        assert optouts.search(optouts.parse_search("2222", masked=False)).total == 1
    answer = sender.post("/smssend", headers=JSON, data=valid_send(
        rphone="010-2222-3333, 010-4444-5555", msg="배송 안내"))
    assert answer.get_json()["opted_out"] == 1  # a notice: sent to both, counted
    assert len(send_calls(backend)) == 1 and sends(db_app)[-1].opted_out == 1
    with db_app.app_context():
        optouts.remove("010-2222-3333", reason="재동의", by=CLI_ACTOR)
        assert optouts.removals(optouts.Search()).total == 1
