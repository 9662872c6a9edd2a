"""Sign-in, sign-out, first set-up and who may do what."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from smsform.extensions import db
from smsform.models import User
from tests.support import ADMIN, field_errors, make_user, page, send_calls, sign_in, valid_send

GATEWAY_PAGES = [("get", "/smsform"), ("post", "/smssend"), ("get", "/calljson"),
                 ("post", "/calljson"), ("get", "/smscount"), ("get", "/smsresult")]


def _password_ok(user, password: str) -> bool:
    """True when ``password`` opens ``user``'s stored hash."""
    return check_password_hash(user.password_hash, password)


def _users(app) -> list[User]:
    with app.app_context():
        return list(db.session.execute(db.select(User)).scalars())


@pytest.mark.parametrize("path", ["/", "/smsform", "/smscount", "/smsresult", "/login"])
def test_first_visit_without_any_account_goes_to_setup(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.request.path == "/setup"
    assert page(response).select_one("form input[name=password2]") is not None


def test_setup_creates_one_admin_signs_in_and_is_gone_afterwards(app, client):
    response = client.post("/setup", data={"username": "boss", "password": "0123456789ab",
                                           "password2": "0123456789ab"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    [user] = _users(app)
    assert (user.username, user.role) == ("boss", "admin")
    assert client.get("/smsform").status_code == 200  # signed in by set-up

    again = client.post("/setup", data={"username": "mallory", "password": "0123456789ab",
                                        "password2": "0123456789ab"})
    assert (again.status_code, again.headers["Location"]) == (302, "/dashboard")
    client.post("/logout")
    anonymous = client.get("/setup")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/login"
    assert [u.username for u in _users(app)] == ["boss"]


def test_setup_after_setup_says_it_is_done_and_leads_to_sign_in(app, client):
    make_user(app, *ADMIN, role="admin")
    response = client.get("/setup?lang=en", follow_redirects=True)
    assert (response.status_code, response.request.path) == (200, "/login")
    soup = page(response)
    assert "Set-up is done" in soup.select_one(".flash").get_text()
    assert soup.select_one("form input[name=password]") is not None


@pytest.mark.parametrize(("username", "password", "password2", "field"), [
    ("", "0123456789ab", "0123456789ab", "username"),
    ("ab", "0123456789ab", "0123456789ab", "username"),
    ("bad name!", "0123456789ab", "0123456789ab", "username"),
    ("boss", "short", "short", "password"),
    ("boss", "0123456789ab", "0123456789xx", "password2"),
])
def test_setup_rejects_bad_input_beside_the_field(app, client, username, password, password2,
                                                  field):
    response = client.post("/setup", data={"username": username, "password": password,
                                           "password2": password2})
    assert response.status_code == 400
    assert field_errors(page(response), field)
    assert _users(app) == []


def test_login_with_the_right_password_goes_on_to_next(app, client):
    make_user(app, *ADMIN, role="admin")
    response = client.post("/login?next=/smscount",
                           data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 302
    assert response.headers["Location"] == "/smscount"
    assert client.get("/smscount").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_ignores_next_that_leaves_the_site(app, client, target):
    make_user(app, *ADMIN, role="admin")
    response = client.post("/login", query_string={"next": target},
                           data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(("username", "password"), [
    (ADMIN[0], "wrong-password"), ("nobody", ADMIN[1]),
])
def test_wrong_credentials_get_401_and_no_session(app, client, username, password):
    make_user(app, *ADMIN, role="admin")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert page(response).select_one(".flash.error") is not None
    assert client.get("/smsform").status_code == 302


def test_login_form_uses_username_and_password(app, client):
    make_user(app, *ADMIN, role="admin")
    soup = page(client.get("/login"))
    names = {e["name"] for e in soup.select("form input[name]")}
    assert {"username", "password"} <= names
    assert soup.select_one("input[name=password]")["type"] == "password"


def test_logout_signs_out(admin_client):
    assert admin_client.get("/smsform").status_code == 200
    response = admin_client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert admin_client.get("/smsform").status_code == 302


@pytest.mark.parametrize(("method", "path"), GATEWAY_PAGES)
def test_gateway_pages_send_anonymous_browsers_to_sign_in(app, client, backend, method, path):
    make_user(app, *ADMIN, role="admin")
    response = getattr(client, method)(path, data=valid_send() if method == "post" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert backend.calls == []


@pytest.mark.parametrize(("method", "path"), GATEWAY_PAGES)
def test_gateway_pages_answer_401_to_anonymous_json_callers(app, client, backend, method, path):
    make_user(app, *ADMIN, role="admin")
    response = getattr(client, method)(path, headers={"Accept": "application/json"},
                                       data=valid_send() if method == "post" else None)
    assert response.status_code == 401
    assert response.get_json()["result"] == "error"
    assert backend.calls == []


def test_viewer_cannot_open_the_form(viewer_client):
    response = viewer_client.get("/smsform")
    assert response.status_code == 403
    assert page(response).select_one("main h1").get_text(strip=True) == "권한이 없습니다"


def test_the_viewers_403_says_why_and_leads_to_what_they_may_open(viewer_client):
    """Not back to the form, which would answer 403 again."""
    soup = page(viewer_client.get("/smsform?lang=en"))
    assert soup.select_one("#error-message").get_text(strip=True).startswith(
        "Your role may not send messages.")
    links = {a["href"] for a in soup.select("#error a.error-link")}
    assert links == {"/dashboard", "/sends"}
    for href in links:
        assert viewer_client.get(href).status_code == 200
    korean = page(viewer_client.get("/smsform?lang=ko")).select_one("#error-message").get_text()
    assert "이 역할로는 메시지를 보낼 수 없습니다" in korean
    answer = viewer_client.post("/smssend", data=valid_send(),
                                headers={"Accept": "application/json"})
    assert answer.get_json()["message"].startswith("이 역할로는 메시지를 보낼 수 없습니다")


def test_a_senders_error_page_still_leads_back_to_the_form(sender_client):
    soup = page(sender_client.get("/no-such-page"))
    assert [a["href"] for a in soup.select("#error a.error-link")] == ["/smsform"]


def test_viewer_cannot_send(viewer_client, backend):
    assert viewer_client.post("/smssend", data=valid_send()).status_code == 403
    json_response = viewer_client.post("/smssend", data=valid_send(),
                                       headers={"Accept": "application/json"})
    assert json_response.status_code == 403
    assert send_calls(backend) == []
    assert backend.accounts["demo"].credits == 1000


@pytest.mark.parametrize("path", ["/smscount", "/smsresult", "/calljson"])
def test_viewer_can_look(viewer_client, path):
    assert viewer_client.get(path).status_code == 200


def test_sender_can_send(sender_client, backend):
    response = sender_client.post("/smssend", data=valid_send())
    assert response.status_code == 200
    assert len(send_calls(backend)) == 1


def test_viewer_sees_the_remaining_credit(viewer_client):
    soup = page(viewer_client.get("/smscount"))
    assert soup.select_one("#remaining").get_text(strip=True) == "1,000건"


def test_passwords_are_stored_hashed(app, client):
    client.post("/setup", data={"username": "boss", "password": "0123456789ab",
                                "password2": "0123456789ab"})
    [user] = _users(app)
    assert "0123456789ab" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert _password_ok(user, "0123456789ab")
    assert not _password_ok(user, "0123456789ac")


def test_production_hash_is_scrypt_and_tests_may_choose_a_cheaper_one(app):
    from smsform.services import accounts

    app.config.pop("PASSWORD_HASH_METHOD")
    with app.app_context():
        strong = accounts.hash_password("0123456789ab")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        cheap = accounts.hash_password("0123456789ab")
    assert strong.startswith("scrypt:")
    assert cheap.startswith("pbkdf2:sha256:1000$")
    assert check_password_hash(strong, "0123456789ab")
    assert check_password_hash(cheap, "0123456789ab")


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/x", "/ /evil.example",
                                    "/\\evil.example", "//evil.example", "https://evil.example"])
def test_login_never_redirects_off_site(app, client, target):
    make_user(app, "kim", "a-long-enough-password", "sender")
    response = client.post("/login", query_string={"next": target},
                           data={"username": "kim", "password": "a-long-enough-password"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_an_unknown_username_costs_a_password_check_too(app, client):
    from smsform.services import accounts
    make_user(app, "kim", "a-long-enough-password", "sender")
    accounts._dummy_hash.cache_clear()
    client.post("/login", data={"username": "nobody", "password": "whatever-it-is"})
    assert accounts._dummy_hash.cache_info().currsize == 1  # a hash was made and checked


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(app, client):
    make_user(app, *ADMIN, role="admin")
    client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/smsform")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_empty_sign_in_form_is_a_400_and_counts_no_failure(app, client):
    from smsform.models import AuditEvent

    make_user(app, *ADMIN, role="admin")
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "username")
    with app.app_context():
        assert db.session.execute(db.select(AuditEvent)).first() is None


class Clock:
    """time.time for smsform.login, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from smsform import login

    moved = Clock()
    monkeypatch.setattr(login.time, "time", moved)
    return moved


def test_a_session_unused_for_the_idle_time_is_signed_out(app, client, clock):
    make_user(app, *ADMIN, role="admin")
    client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    idle = app.extensions["smsform.settings"].idle_minutes * 60
    clock.now += idle - 60
    assert client.get("/smsform").status_code == 200  # used: the clock starts again
    clock.now += idle - 60
    assert client.get("/smsform").status_code == 200
    clock.now += idle + 1
    response = client.get("/smsform")
    assert (response.status_code, response.headers["Location"][:6]) == (302, "/login")


def test_the_cookie_of_the_sign_in_itself_expires_when_unused(app, client, clock):
    make_user(app, *ADMIN, role="admin")
    client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    copied = client.get_cookie("session").value  # as the sign-in answer set it
    clock.now += app.extensions["smsform.settings"].idle_minutes * 60 + 1
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/dashboard").status_code == 302


def test_a_signed_in_session_without_a_last_use_counts_as_idle(app):
    web = sign_in(app, "sender")
    assert web.get("/smsform").status_code == 200
    with web.session_transaction() as session:
        del session["_seen"]  # a cookie made before sign-in noted its time
    assert web.get("/smsform").status_code == 302
