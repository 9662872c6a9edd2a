"""The audit trail: what is recorded, and /audit's order, filters, pages, JSON and refusals."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from flask import Flask

from smsform.extensions import db
from smsform.models import AuditEvent, User
from smsform.services import audit
from tests.support import ADMIN, field_errors, make_user, page, sign_in

JSON = {"Accept": "application/json"}


def add_event(app: Flask, action: str, at: datetime, actor: str = "someone",
              target: str | None = None, **detail: object) -> None:
    """A stored event at ``at`` (naive UTC, as stored)."""
    with app.app_context():
        db.session.add(AuditEvent(action=action, at=at, actor=actor, target=target,
                                  address="127.0.0.1",
                                  detail=json.dumps(detail) if detail else None))
        db.session.commit()


def listed(response) -> list[tuple[str, str]]:
    """(action, actor) of each row of the page's table."""
    return [(row["data-action"], row.select_one(".actor").get_text(strip=True))
            for row in page(response).select("#audit tbody tr[data-action]")]


def test_record_refuses_an_unknown_action(app):
    with app.app_context(), pytest.raises(ValueError):
        audit.record("made_up", actor="x")


def test_record_keeps_its_row_even_when_the_callers_work_is_rolled_back(app):
    with app.app_context():
        db.session.add(AuditEvent(action="sign_in", actor="uncommitted"))
        db.session.flush()
        db.session.rollback()
        audit.record("sign_in", actor="kept", address="127.0.0.1")
        actors = [e.actor for e in db.session.execute(db.select(AuditEvent)).scalars()]
    assert actors == ["kept"]


def test_the_trail_lists_newest_first_with_time_address_and_details(app, admin_client):
    add_event(app, "user_role_changed", datetime(2026, 3, 1, 1, 0), actor="boss",
              target="kim", **{"from": "sender", "to": "viewer"})
    add_event(app, "user_disabled", datetime(2026, 3, 2, 1, 0), actor="boss", target="lee")
    admin_client.set_cookie("lang", "en")
    soup = page(admin_client.get("/audit"))
    rows = soup.select("#audit tbody tr[data-action]")
    assert [r["data-action"] for r in rows] == ["sign_in", "user_disabled",
                                                "user_role_changed"]
    role_row = rows[2]
    assert role_row.select_one("time")["datetime"] == "2026-03-01T10:00:00+09:00"
    assert role_row.select_one(".target").get_text(strip=True) == "kim"
    assert role_row.select_one(".detail").get_text(strip=True) == (
        "Sender (sends and looks up) → Viewer (looks up only)")
    assert role_row.select_one(".action").get_text(strip=True) == "Role changed"
    assert role_row.select_one(".address").get_text(strip=True) == "127.0.0.1"


def test_the_trail_answers_json(app, admin_client):
    add_event(app, "user_disabled", datetime(2026, 3, 1, 15, 30), actor="boss", target="kim")
    body = admin_client.get("/audit?action=user_disabled", headers=JSON).get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    [item] = body["items"]
    assert item["at"] == "2026-03-02T00:30:00+09:00"
    assert {k: item[k] for k in ("actor", "action", "target", "address", "detail")} == {
        "actor": "boss", "action": "user_disabled", "target": "kim",
        "address": "127.0.0.1", "detail": {}}


def test_filters_by_action_and_actor(app, admin_client):
    add_event(app, "sign_in_failed", datetime(2026, 3, 1), actor="mallory")
    add_event(app, "sign_in_failed", datetime(2026, 3, 2), actor="kim")
    add_event(app, "user_created", datetime(2026, 3, 3), actor="mallory")
    assert listed(admin_client.get("/audit?action=sign_in_failed")) == [
        ("sign_in_failed", "kim"), ("sign_in_failed", "mallory")]
    assert listed(admin_client.get("/audit?actor=mallory")) == [
        ("user_created", "mallory"), ("sign_in_failed", "mallory")]
    assert listed(admin_client.get("/audit?actor=mallory&action=user_created")) == [
        ("user_created", "mallory")]


def test_dates_are_korean_days(app, admin_client):
    # 2026-03-01 14:59 UTC is 23:59 on 1 March in Korea; 15:00 UTC is already 2 March.
    add_event(app, "user_enabled", datetime(2026, 3, 1, 14, 59), actor="late-first")
    add_event(app, "user_enabled", datetime(2026, 3, 1, 15, 0), actor="early-second")
    add_event(app, "user_enabled", datetime(2026, 2, 28, 15, 0), actor="start-first")
    first = listed(admin_client.get("/audit?from=2026-03-01&to=2026-03-01"))
    assert first == [("user_enabled", "late-first"), ("user_enabled", "start-first")]
    second = listed(admin_client.get("/audit?from=2026-03-02&action=user_enabled"))
    assert second == [("user_enabled", "early-second")]
    before = listed(admin_client.get("/audit?to=2026-02-28"))
    assert before == []


def test_pages_of_fifty(app, admin_client):
    for n in range(audit.PER_PAGE + 10):
        add_event(app, "user_enabled", datetime(2026, 1, 1, 0, n % 60, n // 60), actor=f"u{n}")
    body = admin_client.get("/audit?action=user_enabled", headers=JSON).get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (60, 2, 50)
    assert body["items"][0]["actor"] == "u59"
    second = admin_client.get("/audit?action=user_enabled&page=2", headers=JSON).get_json()
    assert [i["actor"] for i in second["items"]] == [f"u{n}" for n in range(9, -1, -1)]
    soup = page(admin_client.get("/audit?action=user_enabled"))
    assert soup.select_one(".pager a[rel=next]")["href"] == "/audit?action=user_enabled&page=2"
    assert soup.select_one(".pager a[rel=prev]") is None
    beyond = admin_client.get("/audit?page=3", headers=JSON).get_json()
    assert beyond["items"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("action=made_up", "action"),
    ("action=sign_in&action=sign_out", "action"),
    ("actor=" + "x" * 65, "actor"),
    ("from=2026-02-30", "from"),
    ("from=yesterday", "from"),
    ("from=2026-3-1", "from"),
    ("to=99999-01-01", "to"),
    ("to=0001-01-01", "to"),
    ("from=2026-03-02&to=2026-03-01", "to"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=1.5", "page"),
    ("page=%EF%BC%92", "page"),  # a full-width digit
    ("page=" + "9" * 30, "page"),
    ("actor=kim%00", "actor"),  # a control character, refused as on /sends
])
def test_every_bad_filter_is_a_clear_400_never_a_500(app, admin_client, query, field):
    response = admin_client.get(f"/audit?{query}")
    assert response.status_code == 400
    soup = page(response)
    if field == "page":  # not a form field: said above the table
        assert soup.select_one("#filter-problems li").get_text(strip=True)
    else:
        assert field_errors(soup, field), soup.select("ul.field-errors")
    assert soup.select_one("#audit") is None
    answer = admin_client.get(f"/audit?{query}", headers=JSON)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["code"] == "bad_filter"
    assert list(body["errors"]) == [field]


def test_a_filter_that_is_not_utf8_is_refused(app, admin_client):
    assert admin_client.get("/audit?from=%C3%28").status_code == 400
    assert admin_client.get("/audit?actor=%C3%28", headers=JSON).status_code == 400


def test_a_date_out_of_range_says_the_range_as_the_send_log_does(app, admin_client):
    for path in ("/audit?to=0001-01-01&lang=en", "/sends?to=0001-01-01&lang=en"):
        answer = admin_client.get(path, headers=JSON)
        assert answer.status_code == 400
        assert answer.get_json()["errors"]["to"] == [
            "Choose a date from 2000-01-01 to 2999-12-31."]


def test_a_bad_date_says_what_was_typed(app, admin_client):
    response = admin_client.get("/audit?from=2026-02-30")
    assert response.status_code == 400
    [words] = field_errors(page(response), "from")
    assert "2026-02-30" in words


def test_the_trail_records_real_sign_ins_and_admin_actions(app, client):
    make_user(app, *ADMIN, role="admin")
    make_user(app, "kim", "a-long-enough-password", "sender")
    client.post("/login", data={"username": "mallory", "password": "guess-guess"})
    client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    with app.app_context():
        kim_id = db.session.execute(db.select(User.id).filter_by(username="kim")).scalar_one()
    client.post(f"/admin/users/{kim_id}/disable")
    body = client.get("/audit", headers=JSON).get_json()
    assert [(i["action"], i["actor"], i["target"]) for i in body["items"]] == [
        ("user_disabled", ADMIN[0], "kim"), ("sign_in", ADMIN[0], None),
        ("sign_in_failed", "mallory", None)]


@pytest.mark.parametrize("role", ["viewer", "sender"])
def test_only_admins_read_the_trail(app, role):
    client = sign_in(app, role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit", headers=JSON).status_code == 403


def test_the_filter_form_offers_every_action(admin_client):
    soup = page(admin_client.get("/audit"))
    values = [o["value"] for o in soup.select("select#action option")]
    assert values == ["", *audit.ACTIONS]
