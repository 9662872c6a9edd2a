"""The embedded simulator keeps its state (credit, results, reservations) in the instance
database, so a demo behaves like an account across restarts and processes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from cafe24.schedule import KST
from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, GatewayBackend, demo_backend
from smsform.extensions import db
from smsform.services import gateway
from tests.support import ManualClock, build_app, make_user, valid_send

JSON = {"Accept": "application/json"}
PASSWORD = "a-long-enough-password"


def demo_app(db_path: Path, migrate: bool = True) -> Flask:
    """The app as ``make run`` builds it (its own demo simulator) on a database file."""
    return build_app(None, tables="migrations" if migrate else None,
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}")


def signed_in(app: Flask):
    client = app.test_client()
    response = client.post("/login", data={"username": "kim", "password": PASSWORD})
    assert response.status_code == 302
    return client


def credit(client) -> int:
    return client.get("/smscount", headers=JSON).get_json()["remaining"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    make_user(demo_app(path), "kim", PASSWORD, "sender")
    return path


# -- the backend's snapshot ----------------------------------------------------------------


def test_a_snapshot_restores_credit_results_and_reservations_and_settles_later():
    clock = ManualClock(datetime(2024, 6, 10, 12, 0, tzinfo=KST))
    first = demo_backend(clock=clock)
    later = (clock.now + timedelta(hours=1)).strftime("%Y%m%d%H%M%S")
    first.send({"user_id": "demo", "secure": DEMO_SECURE_KEY, "msg": "안녕",
                "rphone": "010-2222-0000", "sphone1": "02", "sphone2": "123", "sphone3": "4567"})
    first.send({"user_id": "demo", "secure": DEMO_SECURE_KEY, "msg": "예약",
                "rphone": "010-2222-3333", "sphone1": "02", "sphone2": "123", "sphone3": "4567",
                "rdate": later[:8], "rtime": later[8:]})
    state = json.loads(json.dumps(first.snapshot()))  # JSON-safe

    second = GatewayBackend(clock=clock)
    second.restore(state)
    assert second.accounts == first.accounts
    assert second.messages == first.messages
    assert second.remaining("demo", DEMO_SECURE_KEY) == DEMO_CREDITS - 2
    clock.advance(hours=2)  # the failing number (…0000) fails and is refunded
    assert second.remaining("demo", DEMO_SECURE_KEY) == DEMO_CREDITS - 1
    assert [m.status for m in second.messages] == ["9", "3"]
    assert second.calls == [] and second.faults == []  # not state


@pytest.mark.parametrize("state", [{}, {"version": 99}, {"version": 1, "accounts": [{}],
                                                         "messages": []},
                                   {"version": 1, "accounts": [], "messages": [{"due_at": 1}]}])
def test_restore_refuses_what_is_not_a_snapshot(state):
    backend = demo_backend()
    with pytest.raises(ValueError):
        backend.restore(state)
    assert backend.accounts["demo"].credits == DEMO_CREDITS


# -- the app keeps it --------------------------------------------------------------------------


def test_a_send_in_one_instance_lowers_the_credit_the_other_sees(db_path):
    first, second = demo_app(db_path), demo_app(db_path)  # two processes, one database
    one, two = signed_in(first), signed_in(second)
    assert credit(two) == DEMO_CREDITS
    assert one.post("/smssend", data=valid_send()).status_code == 200
    assert credit(two) == DEMO_CREDITS - 1
    listed = two.get("/smsresult", headers=JSON).get_json()
    assert [i["receivePhone"] for i in listed["items"]] == ["010-2222-3333"]


def test_a_restarted_app_starts_with_the_saved_state(db_path):
    signed_in(demo_app(db_path)).post("/smssend", data=valid_send())
    restarted = demo_app(db_path)
    backend = restarted.extensions[gateway.EXTENSION].backend
    assert backend.accounts["demo"].credits == DEMO_CREDITS - 1  # loaded at start
    assert len(backend.messages) == 1


def test_simulator_reset_puts_the_demo_account_back(db_path):
    app, other = demo_app(db_path), demo_app(db_path)
    signed_in(app).post("/smssend", data=valid_send())
    result = app.test_cli_runner().invoke(args=["simulator-reset"])
    assert result.exit_code == 0, result.output
    assert credit(signed_in(other)) == DEMO_CREDITS  # a running instance takes it too
    assert signed_in(other).get("/smsresult", headers=JSON).get_json()["items"] == []


def test_deleting_the_row_starts_anew(db_path):
    app = demo_app(db_path)
    client = signed_in(app)
    client.post("/smssend", data=valid_send())
    with app.app_context():
        db.session.execute(text("DELETE FROM simulator_state"))
        db.session.commit()
    assert credit(client) == DEMO_CREDITS


def test_a_missing_table_is_no_failure(tmp_path):
    app = demo_app(tmp_path / "empty.db", migrate=False)  # before upgrade-db: no tables
    with app.app_context():
        client = gateway.client()
        assert client.remaining() == DEMO_CREDITS
        client.store.save()
        client.store.load_if_newer()
        result = app.test_cli_runner().invoke(args=["simulator-reset"])
    assert result.exit_code != 0
    assert "upgrade-db" in result.output


def test_a_simulator_handed_in_by_tests_is_not_kept(app, admin_client):
    admin_client.post("/smssend", data=valid_send())
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM simulator_state")).scalar() == 0
