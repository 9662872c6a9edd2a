"""Accounts in the browser: the admin's user pages, /account, the must-change flow, sessions
that end at the very next request, the atomic first set-up and sign-in throttling."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from smsform.extensions import db
from smsform.limiter import ADDRESS_FAILURES, NAME_FAILURES
from smsform.models import AuditEvent, User
from tests.support import ADMIN, build_app, field_errors, make_user, page, serve, sign_in

PASSWORD = "a-long-enough-password"
NEW_PASSWORD = "a-brand-new-password"
JSON = {"Accept": "application/json"}
LANDING = ("/dashboard", "/smsform")


# --- helpers -----------------------------------------------------------------------------

def user(app: Flask, username: str) -> User | None:
    """The stored account ``username``."""
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()


def events(app: Flask, action: str | None = None) -> list[AuditEvent]:
    """The audit rows, oldest first (only ``action`` when given)."""
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.filter_by(action=action)
        return list(db.session.execute(query).scalars())


def detail(event: AuditEvent) -> dict:
    """An audit row's details."""
    return json.loads(event.detail) if event.detail else {}


def user_id(app: Flask, username: str) -> int:
    """The id of ``username``."""
    return user(app, username).id


def signed_in_client(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A new client signed in through /login, as a person would."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def english(client: FlaskClient) -> FlaskClient:
    """``client`` reading pages in English (the words of sentences added since the last
    catalog merge; Korean is checked where the catalog has them)."""
    client.set_cookie("lang", "en")
    return client


def is_signed_out(client: FlaskClient) -> bool:
    """True when the client's next page sends it to sign in."""
    response = client.get("/smsresult")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.fixture
def kim(app: Flask) -> FlaskClient:
    """A sender, kim, signed in on their own client."""
    make_user(app, "kim", PASSWORD, "sender")
    return signed_in_client(app, "kim")


# --- /admin/users ------------------------------------------------------------------------

def test_the_list_shows_each_user_with_role_last_sign_in_and_state(app, admin_client, kim):
    make_user(app, "lee", PASSWORD, "viewer")
    soup = page(english(admin_client).get("/admin/users"))
    rows = {row["data-username"]: row for row in soup.select("#users tbody tr")}
    assert set(rows) == {"admin", "kim", "lee"}
    assert rows["kim"].select_one(".role option[selected]")["value"] == "sender"
    assert rows["lee"].select_one(".role option[selected]")["value"] == "viewer"
    assert rows["kim"].select_one(".last-sign-in time") is not None  # kim signed in
    assert rows["lee"].select_one(".last-sign-in time") is None  # lee never did
    assert rows["lee"].select_one(".last-sign-in").get_text(strip=True) == "never"
    assert rows["kim"].select_one(".state").get_text(strip=True) == "Active"


def test_the_list_answers_json(app, admin_client):
    make_user(app, "kim", PASSWORD, "viewer")
    items = admin_client.get("/admin/users", headers=JSON).get_json()["items"]
    kim_item = next(i for i in items if i["username"] == "kim")
    assert (kim_item["role"], kim_item["active"], kim_item["last_sign_in_iso"]) == (
        "viewer", True, None)
    admin_item = next(i for i in items if i["username"] == "admin")
    assert admin_item["last_sign_in_iso"].endswith("+09:00")


def test_an_admin_adds_a_user_who_must_change_the_first_password(app, admin_client):
    response = admin_client.post("/admin/users", data={
        "username": "park", "role": "viewer", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    park = user(app, "park")
    assert (park.role, park.active, park.must_change_password) == ("viewer", True, True)
    assert check_password_hash(park.password_hash, PASSWORD)
    [event] = events(app, "user_created")
    assert (event.actor, event.actor_id, event.target, event.address) == (
        "admin", user_id(app, "admin"), "park", "127.0.0.1")
    assert detail(event) == {"role": "viewer", "must_change_password": True}


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"username": "ab"}, "username", "3"),
    ({"username": "bad name!"}, "username", "_ . @ -"),
    ({"username": "admin"}, "username", "이미 있는 사용자"),
    ({"role": "root"}, "role", "알 수 없는 역할입니다: root"),
    ({"role": ""}, "role", "필수"),
    ({"password": "short", "password2": "short"}, "password", "10자 이상"),
    ({"password2": "another-password"}, "password2", "서로 다릅니다"),
])
def test_adding_a_user_refuses_bad_input_in_korean_and_writes_nothing(app, admin_client, data,
                                                                      field, words):
    form = {"username": "park", "role": "sender", "password": PASSWORD, "password2": PASSWORD}
    response = admin_client.post("/admin/users", data={**form, **data})
    assert response.status_code == 400
    errors = field_errors(page(response), field)
    assert any(words in e for e in errors), errors
    assert user(app, "park") is None
    assert events(app, "user_created") == []


def test_adding_a_user_answers_json_problems_by_field(app, admin_client):
    response = admin_client.post("/admin/users", headers=JSON, data={
        "username": "park", "role": "root", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid" and "role" in body["errors"]


def test_changing_a_role_is_audited_with_from_and_to_and_ends_the_users_sessions(
        app, admin_client, kim):
    assert not is_signed_out(kim)
    response = admin_client.post(f"/admin/users/{user_id(app, 'kim')}/role",
                                 data={"role": "viewer"})
    assert response.status_code == 302
    assert user(app, "kim").role == "viewer"
    assert is_signed_out(kim)  # the very next request
    [event] = events(app, "user_role_changed")
    assert (event.actor, event.target, detail(event)) == (
        "admin", "kim", {"from": "sender", "to": "viewer"})


def test_the_same_role_again_changes_nothing(app, admin_client, kim):
    admin_client.post(f"/admin/users/{user_id(app, 'kim')}/role", data={"role": "sender"})
    assert not is_signed_out(kim)
    assert events(app, "user_role_changed") == []


@pytest.mark.parametrize("role", ["root", "", "Admin"])
def test_an_unknown_role_is_refused_with_400_in_korean(app, admin_client, kim, role):
    response = admin_client.post(f"/admin/users/{user_id(app, 'kim')}/role", data={"role": role})
    assert response.status_code == 400
    reason = page(response).select_one(".flash.error").get_text(strip=True)
    assert reason.startswith(("알 수 없는 역할", "이 항목은 필수")), reason
    assert user(app, "kim").role == "sender"
    assert not is_signed_out(kim)
    json_answer = admin_client.post(f"/admin/users/{user_id(app, 'kim')}/role",
                                    data={"role": role}, headers=JSON)
    assert json_answer.status_code == 400


def test_disabling_ends_the_users_sessions_and_sign_in(app, admin_client, kim):
    response = admin_client.post(f"/admin/users/{user_id(app, 'kim')}/disable")
    assert response.status_code == 302
    assert user(app, "kim").active is False
    assert is_signed_out(kim)
    again = app.test_client().post("/login", data={"username": "kim", "password": PASSWORD})
    assert again.status_code == 401  # the same answer as a wrong password
    [event] = events(app, "user_disabled")
    assert (event.actor, event.target, event.address) == ("admin", "kim", "127.0.0.1")


def test_enabling_lets_the_user_sign_in_again(app, admin_client, kim):
    kim_id = user_id(app, "kim")
    admin_client.post(f"/admin/users/{kim_id}/disable")
    response = admin_client.post(f"/admin/users/{kim_id}/enable")
    assert response.status_code == 302
    assert user(app, "kim").active is True
    signed_in_client(app, "kim")
    [event] = events(app, "user_enabled")
    assert (event.actor, event.target) == ("admin", "kim")
    soup = page(admin_client.get("/admin/users"))
    assert soup.select_one("#users tr[data-username=kim] button.disable") is not None


def test_a_reset_password_ends_sessions_and_must_be_changed(app, admin_client, kim):
    kim_id = user_id(app, "kim")
    form = page(admin_client.get(f"/admin/users/{kim_id}/password"))
    assert form.select_one("#reset-form input[name=password2]") is not None
    response = admin_client.post(f"/admin/users/{kim_id}/password",
                                 data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_signed_out(kim)
    stored = user(app, "kim")
    assert stored.must_change_password is True
    assert check_password_hash(stored.password_hash, NEW_PASSWORD)
    [event] = events(app, "user_password_reset")
    assert (event.actor, event.target, detail(event)) == (
        "admin", "kim", {"must_change_password": True})
    fresh = signed_in_client(app, "kim", NEW_PASSWORD)
    assert fresh.get("/smsresult").headers["Location"] == "/account"


@pytest.mark.parametrize(("password", "password2"), [("short", "short"),
                                                     (NEW_PASSWORD, "something-else")])
def test_a_bad_reset_password_is_refused(app, admin_client, kim, password, password2):
    response = admin_client.post(f"/admin/users/{user_id(app, 'kim')}/password",
                                 data={"password": password, "password2": password2})
    assert response.status_code == 400
    assert check_password_hash(user(app, "kim").password_hash, PASSWORD)
    assert not is_signed_out(kim)
    assert events(app, "user_password_reset") == []


def test_an_admin_resets_their_own_password_on_the_account_page_instead(app, admin_client):
    response = english(admin_client).post(f"/admin/users/{user_id(app, 'admin')}/password",
                                 data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 400
    assert "account page" in page(response).select_one(".flash.error").get_text()
    assert check_password_hash(user(app, "admin").password_hash, ADMIN[1])


@pytest.mark.parametrize(("path", "data"), [("disable", {}), ("role", {"role": "sender"}),
                                            ("role", {"role": "viewer"})])
def test_the_last_active_admin_cannot_disable_or_demote_themselves(app, admin_client, path,
                                                                   data):
    response = english(admin_client).post(f"/admin/users/{user_id(app, 'admin')}/{path}",
                                          data=data)
    assert response.status_code == 400
    assert "last active administrator" in page(response).select_one(".flash.error").get_text()
    stored = user(app, "admin")
    assert (stored.role, stored.active) == ("admin", True)
    assert admin_client.get("/admin/users").status_code == 200  # still signed in
    json_answer = admin_client.post(f"/admin/users/{user_id(app, 'admin')}/{path}", data=data,
                                    headers=JSON)
    assert (json_answer.status_code, json_answer.get_json()["code"]) == (400, "last_admin")
    assert events(app, "user_disabled") == events(app, "user_role_changed") == []


def test_a_disabled_admin_does_not_count_as_another_admin(app, admin_client):
    make_user(app, "boss2", PASSWORD, "admin")
    admin_client.post(f"/admin/users/{user_id(app, 'boss2')}/disable")
    response = admin_client.post(f"/admin/users/{user_id(app, 'admin')}/disable")
    assert response.status_code == 400
    assert user(app, "admin").active is True


def test_with_another_admin_one_may_step_down_and_keep_this_session(app, admin_client):
    make_user(app, "boss2", PASSWORD, "admin")
    other = signed_in_client(app, ADMIN[0], ADMIN[1])  # the same admin, elsewhere
    response = admin_client.post(f"/admin/users/{user_id(app, 'admin')}/role",
                                 data={"role": "sender"})
    assert response.status_code == 302
    assert user(app, "admin").role == "sender"
    assert admin_client.get("/admin/users").status_code == 403  # a sender now, still signed in
    assert admin_client.get("/smsresult").status_code == 200
    assert is_signed_out(other)


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/admin/users/999/role"), ("post", "/admin/users/999/disable"),
    ("post", "/admin/users/999/enable"), ("get", "/admin/users/999/password"),
    ("post", "/admin/users/999/password"),
])
def test_an_unknown_user_id_is_404(admin_client, method, path):
    assert getattr(admin_client, method)(path, data={"role": "sender"}).status_code == 404


# --- every role on every route -----------------------------------------------------------

ADMIN_ROUTES = [
    ("get", "/admin/users"), ("post", "/admin/users"), ("post", "/admin/users/{id}/role"),
    ("post", "/admin/users/{id}/disable"), ("post", "/admin/users/{id}/enable"),
    ("get", "/admin/users/{id}/password"), ("post", "/admin/users/{id}/password"),
    ("get", "/audit"),
]


def _call(client: FlaskClient, method: str, path: str, target: int, **kwargs):
    data = {"username": "x-user", "role": "admin", "password": PASSWORD,
            "password2": PASSWORD} if method == "post" else None
    return getattr(client, method)(path.format(id=target), data=data, **kwargs)


@pytest.mark.parametrize("role", ["viewer", "sender"])
@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_viewers_and_senders_get_403_on_admin_routes(app, role, method, path):
    make_user(app, "target", PASSWORD, "viewer")
    client = sign_in(app, role)
    target = user_id(app, "target")
    assert _call(client, method, path, target).status_code == 403
    assert _call(client, method, path, target, headers=JSON).status_code == 403
    stored = user(app, "target")
    assert (stored.role, stored.active, stored.must_change_password) == ("viewer", True, False)
    assert user(app, "x-user") is None


@pytest.mark.parametrize(("method", "path"), [*ADMIN_ROUTES, ("get", "/account"),
                                              ("post", "/account")])
def test_anonymous_visitors_are_sent_to_sign_in_and_json_gets_401(app, client, method, path):
    make_user(app, *ADMIN, role="admin")
    target = user_id(app, ADMIN[0])
    response = _call(client, method, path, target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    json_answer = _call(client, method, path, target, headers=JSON)
    assert json_answer.status_code == 401
    assert json_answer.get_json()["code"] == "unauthorized"
    assert user(app, "x-user") is None


@pytest.mark.parametrize("role", ["viewer", "sender", "admin"])
def test_every_role_may_open_its_account_page(app, role):
    client = sign_in(app, role)
    soup = page(client.get("/account"))
    assert soup.select_one("#account-form input[name=current]") is not None


# --- /account and the must-change flow ---------------------------------------------------

def _change(client: FlaskClient, current: str = PASSWORD, new: str = NEW_PASSWORD,
            again: str | None = None, **kwargs):
    return client.post("/account", data={"current": current, "password": new,
                                         "password2": again or new}, **kwargs)


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app, kim):
    elsewhere = signed_in_client(app, "kim")
    response = _change(kim)
    assert response.status_code == 302
    assert response.headers["Location"] in LANDING
    assert check_password_hash(user(app, "kim").password_hash, NEW_PASSWORD)
    assert not is_signed_out(kim)
    assert is_signed_out(elsewhere)
    [event] = events(app, "password_changed")
    assert (event.actor, event.target, event.address) == ("kim", "kim", "127.0.0.1")
    signed_in_client(app, "kim", NEW_PASSWORD)


@pytest.mark.parametrize(("current", "new", "again", "field", "words"), [
    ("wrong-password!", NEW_PASSWORD, None, "current", "The current password is wrong."),
    (PASSWORD, "short", None, "password", "10자 이상"),
    (PASSWORD, PASSWORD, None, "password", "not the current one"),
    (PASSWORD, NEW_PASSWORD, "not-the-same-one", "password2", "서로 다릅니다"),
    ("", NEW_PASSWORD, None, "current", "필수"),
])
def test_a_bad_password_change_is_refused_in_korean_and_changes_nothing(
        app, kim, current, new, again, field, words):
    if words.isascii():
        english(kim)
    response = _change(kim, current, new, again)
    assert response.status_code == 400
    errors = field_errors(page(response), field)
    assert any(words in e for e in errors), errors
    assert check_password_hash(user(app, "kim").password_hash, PASSWORD)
    assert not is_signed_out(kim)
    assert events(app, "password_changed") == []


@pytest.fixture
def newcomer(app: Flask, admin_client: FlaskClient) -> FlaskClient:
    """park, added by the admin with a first password, signed in on their own client."""
    admin_client.post("/admin/users", data={"username": "park", "role": "sender",
                                            "password": PASSWORD, "password2": PASSWORD})
    return signed_in_client(app, "park")


@pytest.mark.parametrize("path", ["/smsform", "/smsresult", "/smscount", "/admin/users",
                                  "/audit", "/"])
def test_a_first_password_sends_every_page_to_the_account_page(newcomer, path):
    response = newcomer.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


def test_a_first_password_gives_json_callers_403_with_a_code(newcomer, backend):
    response = newcomer.post("/smssend", headers=JSON, data={"msg": "x"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "password_change_required"
    assert backend.calls == []


def test_a_first_password_still_lets_one_sign_out_and_see_the_account_page(app, newcomer):
    soup = page(newcomer.get("/account"))
    assert soup.select_one("#must-change") is not None
    assert newcomer.get("/static/css/app.css").status_code == 200
    assert newcomer.post("/logout").headers["Location"] == "/login"


def test_after_changing_the_first_password_every_page_opens(app, newcomer):
    response = _change(newcomer)
    assert response.status_code == 302
    assert response.headers["Location"] in LANDING
    assert user(app, "park").must_change_password is False
    assert newcomer.get("/smsform").status_code == 200
    assert page(newcomer.get("/account")).select_one("#must-change") is None


def test_the_first_password_cannot_be_kept(app, newcomer):
    assert _change(newcomer, PASSWORD, PASSWORD).status_code == 400
    assert user(app, "park").must_change_password is True


# --- sessions end at the very next request -----------------------------------------------

@pytest.mark.parametrize(("action", "data"), [
    ("disable", {}), ("role", {"role": "viewer"}),
    ("password", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}),
])
def test_a_change_ends_every_open_session_of_the_user_at_once(app, admin_client, action, data):
    make_user(app, "kim", PASSWORD, "sender")
    sessions = [signed_in_client(app, "kim") for _ in range(3)]
    assert not any(is_signed_out(s) for s in sessions)
    admin_client.post(f"/admin/users/{user_id(app, 'kim')}/{action}", data=data)
    assert all(is_signed_out(s) for s in sessions)
    json_answer = sessions[0].get("/smsresult", headers=JSON)
    assert json_answer.status_code == 401


# --- sign-in audit -----------------------------------------------------------------------

def test_sign_ins_and_sign_outs_are_audited(app, client):
    make_user(app, "kim", PASSWORD, "sender")
    client.post("/login", data={"username": "kim", "password": PASSWORD})
    client.post("/logout")
    client.post("/login", data={"username": "kim ", "password": "wrong"})
    actions = [(e.action, e.actor, e.address) for e in events(app)]
    assert actions == [("sign_in", "kim", "127.0.0.1"), ("sign_out", "kim", "127.0.0.1"),
                       ("sign_in_failed", "kim", "127.0.0.1")]
    assert user(app, "kim").last_login_at is not None


def test_a_failed_sign_in_records_the_typed_name_truncated(app, client):
    make_user(app, *ADMIN, role="admin")
    client.post("/login", data={"username": "x" * 150, "password": "whatever"})
    [event] = events(app, "sign_in_failed")
    assert event.actor == "x" * 64
    assert event.actor_id is None


# --- the first administrator, once -------------------------------------------------------

def test_setup_is_audited(app, client):
    client.post("/setup", data={"username": "boss", "password": PASSWORD,
                                "password2": PASSWORD})
    [event] = events(app, "setup")
    assert (event.actor, event.target, event.address) == ("boss", "boss", "127.0.0.1")


def test_the_first_admin_service_makes_nobody_once_an_account_exists(app):
    from smsform.services import accounts

    make_user(app, "kim", PASSWORD, "sender")
    with app.app_context():
        assert accounts.create_first_admin("boss", PASSWORD) is None
    assert user(app, "boss") is None


SETUPS = 10


def test_ten_simultaneous_setups_make_one_admin(db_url):
    app = build_app(None, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)
    barrier = threading.Barrier(SETUPS)

    with serve(app) as base_url:
        def one(n: int) -> requests.Response:
            with requests.Session() as session:
                barrier.wait(timeout=30)
                return session.post(f"{base_url}/setup", allow_redirects=False, timeout=60,
                                    data={"username": f"boss{n}", "password": PASSWORD,
                                          "password2": PASSWORD})

        with ThreadPoolExecutor(SETUPS) as pool:
            answers = list(pool.map(one, range(SETUPS)))

    with app.app_context():
        admins = list(db.session.execute(db.select(User)).scalars())
        setups = list(db.session.execute(db.select(AuditEvent).filter_by(action="setup"))
                      .scalars())
        db.engine.dispose()
    assert len(admins) == 1, [a.username for a in admins]
    assert admins[0].role == "admin"
    assert [e.target for e in setups] == [admins[0].username]
    places = [a.headers.get("Location", "") for a in answers]
    assert sum(p in LANDING for p in places) == 1, places
    assert places.count("/login") == SETUPS - 1, places
    assert all(a.status_code == 302 for a in answers), [a.status_code for a in answers]


# --- throttling --------------------------------------------------------------------------

def _try(client: FlaskClient, username: str, password: str, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def _fail(client: FlaskClient, username: str, times: int, **kwargs) -> list[int]:
    return [_try(client, username, "wrong-password", **kwargs).status_code
            for _ in range(times)]


class ShiftedClock:
    """``time.time`` moved forward by ``offset`` seconds (for the limiter's windows)."""

    offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def later(monkeypatch) -> ShiftedClock:
    """A clock the limiter's memory storage and the throttle read, moved by the test."""
    import limits.storage.memory

    import smsform.limiter

    clock = ShiftedClock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    monkeypatch.setattr(smsform.limiter, "time", clock)
    return clock


def test_ten_failures_for_a_name_refuse_even_the_right_password(app, client):
    make_user(app, *ADMIN, role="admin")
    assert _fail(client, ADMIN[0], NAME_FAILURES.amount) == [401] * NAME_FAILURES.amount
    response = _try(client, ADMIN[0], ADMIN[1])
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    assert page(response).select_one("main h1").get_text(strip=True) == "시도가 너무 많습니다"
    english(client)
    words = page(_try(client, ADMIN[0], ADMIN[1])).select_one("main p").get_text()
    assert "Too many failed sign-ins" in words
    assert client.get("/smsresult").status_code == 302  # not signed in
    assert len(events(app, "sign_in_failed")) == NAME_FAILURES.amount
    [throttled] = events(app, "sign_in_throttled")  # the first refusal of the window only
    assert (throttled.actor, throttled.address) == (ADMIN[0], "127.0.0.1")
    assert events(app, "sign_in") == []


def test_fifty_wrong_passwords_then_the_right_one_does_not_sign_in(app, client):
    make_user(app, *ADMIN, role="admin")
    statuses = _fail(client, ADMIN[0], 50)
    assert statuses == [401] * 10 + [429] * 40
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 429
    assert len(events(app, "sign_in_failed")) == 10
    # 41 refusals, audited once: a flood of them must not flood the trail and the database
    assert len(events(app, "sign_in_throttled")) == 1


def test_guessing_the_current_password_on_the_account_page_is_counted_and_audited(app):
    web = sign_in(app, "sender", "kim")
    answers = [web.post("/account", data={"current": f"guess-{i:03d}-password",
                                          "password": "a-new-long-password",
                                          "password2": "a-new-long-password"}).status_code
               for i in range(NAME_FAILURES.amount + 2)]
    assert answers == [400] * NAME_FAILURES.amount + [429] * 2
    assert len(events(app, "password_change_failed")) == NAME_FAILURES.amount
    assert [e.actor for e in events(app, "sign_in_throttled")] == ["kim"]


def test_the_throttled_answer_is_json_for_json_callers(app, client):
    make_user(app, *ADMIN, role="admin")
    _fail(client, ADMIN[0], NAME_FAILURES.amount)
    response = _try(client, ADMIN[0], ADMIN[1], headers=JSON)
    assert response.status_code == 429
    assert response.get_json()["code"] == "too_many_sign_ins"
    assert int(response.headers["Retry-After"]) > 0


def test_unknown_and_known_names_are_throttled_alike(app, client):
    make_user(app, *ADMIN, role="admin")
    known = [(r.status_code, r.get_data(as_text=True).replace(ADMIN[0], "NAME"))
             for r in (_try(client, ADMIN[0], "wrong-password") for _ in range(11))]
    unknown = [(r.status_code, r.get_data(as_text=True).replace("nobody-here", "NAME"))
               for r in (_try(client, "nobody-here", "wrong-password") for _ in range(11))]
    assert [s for s, _ in known] == [s for s, _ in unknown] == [401] * 10 + [429]
    assert known == unknown
    assert len(events(app, "sign_in_failed")) == 20


def test_a_name_is_counted_whatever_its_case_and_spaces(app, client):
    make_user(app, *ADMIN, role="admin")
    _fail(client, "ADMIN", 5)
    _fail(client, " admin ", 5)
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 429


def test_thirty_failures_from_one_address_refuse_every_name(app, client):
    make_user(app, *ADMIN, role="admin")
    address = {"environ_base": {"REMOTE_ADDR": "127.0.0.9"}}
    for n in range(ADDRESS_FAILURES.amount):
        assert _try(client, f"guess{n}", "wrong-password", **address).status_code == 401
    response = _try(client, ADMIN[0], ADMIN[1], **address)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 302  # another address


def test_another_address_cannot_unlock_a_throttled_name(app, client):
    make_user(app, *ADMIN, role="admin")
    _fail(client, ADMIN[0], NAME_FAILURES.amount)
    response = _try(client, ADMIN[0], ADMIN[1], environ_base={"REMOTE_ADDR": "127.0.0.8"})
    assert response.status_code == 429


def test_successes_are_not_counted(app, client):
    make_user(app, *ADMIN, role="admin")
    for _ in range(NAME_FAILURES.amount + 5):
        assert _try(client, ADMIN[0], ADMIN[1]).status_code == 302
        client.post("/logout")


def test_nine_failures_then_a_success_start_the_count_again(app, client):
    make_user(app, *ADMIN, role="admin")
    _fail(client, ADMIN[0], NAME_FAILURES.amount - 1)
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 302
    client.post("/logout")
    assert _fail(client, ADMIN[0], NAME_FAILURES.amount - 1) == [401] * 9
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 302


def test_the_window_is_fifteen_minutes(app, client, later):
    make_user(app, *ADMIN, role="admin")
    _fail(client, ADMIN[0], NAME_FAILURES.amount)
    later.offset = 14 * 60
    response = _try(client, ADMIN[0], ADMIN[1])
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= 60
    later.offset = 15 * 60 + 1
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 302


def test_a_get_of_the_sign_in_page_is_never_throttled(app, client):
    make_user(app, *ADMIN, role="admin")
    _fail(client, ADMIN[0], NAME_FAILURES.amount)
    assert client.get("/login").status_code == 200


def test_an_unreachable_redis_falls_back_to_counting_in_memory(backend, caplog):
    from tests.db import free_port

    app = build_app(backend, SMSFORM_RATELIMIT_STORAGE=f"redis://127.0.0.1:{free_port()}")
    make_user(app, *ADMIN, role="admin")
    client = app.test_client()
    assert _fail(client, ADMIN[0], NAME_FAILURES.amount) == [401] * 10
    assert _try(client, ADMIN[0], ADMIN[1]).status_code == 429
    assert "counting in memory" in caplog.text


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port of 127.0.0.1 (skipped when not installed)."""
    import shutil
    import subprocess

    from tests.db import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(host="127.0.0.1", port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow  # starts a redis-server
def test_redis_storage_shares_the_counts_between_processes(redis_url, backend):
    first = build_app(backend, SMSFORM_RATELIMIT_STORAGE=redis_url)
    second = build_app(backend, SMSFORM_RATELIMIT_STORAGE=redis_url)
    for app in (first, second):
        make_user(app, *ADMIN, role="admin")
    assert _fail(first.test_client(), ADMIN[0], 5) == [401] * 5
    assert _fail(second.test_client(), ADMIN[0], 5) == [401] * 5
    response = _try(first.test_client(), ADMIN[0], ADMIN[1])
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


@pytest.mark.parametrize("value", ["redis", "mysql://x", "file:///tmp/x", "memcached://x:1"])
def test_a_bad_ratelimit_storage_setting_names_the_variable(value):
    import config

    with pytest.raises(config.SettingsError) as caught:
        config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                         "SMSFORM_RATELIMIT_STORAGE": value}, "/nonexistent")
    assert caught.value.variable == "SMSFORM_RATELIMIT_STORAGE"


def test_the_ratelimit_storage_defaults_to_memory_and_is_kept_out_of_repr():
    import config

    settings = config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}, "/nonexistent")
    assert settings.ratelimit_storage == "memory://"
    secret = config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                              "SMSFORM_RATELIMIT_STORAGE": "redis://:pw@127.0.0.1:6379"},
                             "/nonexistent")
    assert "pw@" not in repr(secret)


def test_two_admins_disabling_each_other_at_once_leave_one(tmp_path, backend):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from smsform.services import accounts as service
    from smsform.services.audit import CLI_ACTOR

    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'race.db'}")
    make_user(app, "alice", "a-long-enough-password", "admin")
    make_user(app, "bob", "a-long-enough-password", "admin")
    for _round in range(5):
        start = Barrier(2)

        def disable(name: str, start: Barrier = start) -> str:
            with app.app_context():
                user = service.find_user(name)
                start.wait()  # both have read their target: the check must be in the write
                try:
                    service.disable(user, by=CLI_ACTOR)
                except service.AccountError as exc:
                    return exc.code
                return "disabled"

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(disable, ["alice", "bob"]))
        assert outcomes == ["disabled", "last_admin"]
        with app.app_context():
            active = [u.username for u in service.list_users() if u.active]
            assert len(active) == 1
            service.enable(service.find_user("bob" if active == ["alice"] else "alice"),
                           by=CLI_ACTOR)


def test_a_huge_user_id_is_not_found_not_a_500(admin_client):
    huge = "99999999999999999999999"
    for path in ("role", "disable", "enable", "password"):
        assert admin_client.post(f"/admin/users/{huge}/{path}").status_code == 404
    assert admin_client.get(f"/admin/users/{huge}/password").status_code == 404
