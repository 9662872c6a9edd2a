"""Security: headers, CSRF, the secure key kept out of every page, answer and log line."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import ADMIN, make_user
from tests.fixtures import *  # noqa: F403 - fixtures
from tests.fixtures import UNREACHABLE_KEY, page, send_calls, sign_in, valid_send

KEY = "demo-secure-key"
JSON = {"Accept": "application/json"}


@pytest.mark.parametrize("path", ["/login", "/smsform", "/smscount", "/smsresult",
                                  "/calljson", "/smscount?format=json", "/nowhere"])
def test_every_answer_forbids_framing_by_other_sites(admin_client, path):
    response = admin_client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in [d.strip() for d in csp.split(";")]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_policy_allows_no_inline_script(admin_client):
    csp = admin_client.get("/smsform").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert "script-src" not in directives  # falls back to default-src 'self'
    assert "'unsafe-inline'" not in csp
    inline = "script:not([src]):not([type='application/json'])"  # a JSON data block never runs
    assert page(admin_client.get("/smsform")).select(inline) == []


def test_session_cookie_is_httponly_and_samesite(app, client):
    make_user(app, *ADMIN, role="admin")
    response = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# -- CSRF -----------------------------------------------------------------------------


def test_send_without_csrf_token_is_refused_and_nothing_is_sent(csrf_app, backend):
    client = sign_in(csrf_app)
    response = client.post("/smssend", data=valid_send())
    assert response.status_code == 400
    assert page(response).select_one("main h1").get_text(strip=True) == "400"
    assert send_calls(backend) == []
    json_response = client.post("/smssend", headers=JSON, data=valid_send())
    assert json_response.status_code == 400
    assert send_calls(backend) == []


def test_send_with_a_foreign_csrf_token_is_refused(csrf_app, backend):
    client = sign_in(csrf_app)
    response = client.post("/smssend", data=valid_send(csrf_token="forged.token"))
    assert response.status_code == 400
    assert send_calls(backend) == []


def test_send_with_the_forms_csrf_token_goes_through(csrf_app, backend):
    client = sign_in(csrf_app)
    token = page(client.get("/smsform")).select_one("form#smsForm input[name=csrf_token]")
    response = client.post("/smssend", data=valid_send(csrf_token=token["value"]))
    assert response.status_code == 200
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_sign_in_and_out_need_the_token(csrf_app, path):
    make_user(csrf_app, *ADMIN, role="admin")
    response = csrf_app.test_client().post(path, data={"username": ADMIN[0],
                                                       "password": ADMIN[1]})
    assert response.status_code == 400


def test_login_form_carries_the_token(csrf_app):
    make_user(csrf_app, *ADMIN, role="admin")
    client = csrf_app.test_client()
    token = page(client.get("/login")).select_one("input[name=csrf_token]")["value"]
    response = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                           "csrf_token": token})
    assert response.status_code == 302


def test_setup_needs_the_token(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/setup", data={"username": "boss", "password": "0123456789ab",
                                           "password2": "0123456789ab"})
    assert response.status_code == 400
    assert client.get("/setup").status_code == 200  # still no account


# -- the secure key -----------------------------------------------------------------


def _bodies_and_logs(client, backend, caplog) -> list[str]:
    """Walk every page and answer, a send, refusals and failures; return what came back."""
    responses = [
        client.get("/smsform"),
        client.post("/smssend", data=valid_send()),
        client.post("/smssend", headers=JSON, data=valid_send(msg="가" * 46)),
        client.post("/smssend", data=valid_send(testflag="Y")),
        client.post("/smssend", data=valid_send(msg="")),
        client.post("/smssend", data=valid_send(
            sphone="010-9999-8888", sphone1="010", sphone2="9999", sphone3="8888")),
        client.get("/smscount"), client.get("/smscount", headers=JSON),
        client.get("/smsresult"), client.get("/smsresult", headers=JSON),
        client.get("/smsresult?format=csv"), client.get("/calljson"),
    ]
    for fault in ("drop", "stall", "http500", "garbage"):
        backend.inject(fault)
        responses.append(client.post("/smssend", data=valid_send()))
    for path in ("/calljson", "/smscount", "/smsresult"):
        backend.inject("http500")
        responses.append(client.get(path))
    backend.accounts["demo"].secure_key = "a-newer-key"
    for path in ("/smsform", "/calljson", "/smscount", "/smsresult"):
        responses.append(client.get(path))
    responses.append(client.post("/smssend", data=valid_send()))
    responses.append(client.post("/smssend", headers=JSON, data=valid_send()))
    texts = [r.get_data(as_text=True) + str(r.headers) for r in responses]
    return texts + [caplog.text] + [record.getMessage() for record in caplog.records]


def test_secure_key_never_leaves_the_app(admin_client, backend, caplog):
    caplog.set_level(logging.DEBUG)
    texts = _bodies_and_logs(admin_client, backend, caplog)
    assert len(send_calls(backend)) >= 8  # the walk reached the gateway
    assert any("smsform.send" in r.name for r in caplog.records)
    for text in texts:
        assert KEY not in text
        assert "ZGVtby1zZWN1cmUta2V5" not in text  # nor its Base64


def test_configured_key_never_shows_when_the_gateway_is_unreachable(
        unreachable_gateway_client, caplog):
    caplog.set_level(logging.DEBUG)
    responses = [unreachable_gateway_client.post("/smssend", data=valid_send()),
                 unreachable_gateway_client.get("/smsform"),
                 unreachable_gateway_client.get("/smscount"),
                 unreachable_gateway_client.get("/calljson")]
    assert [r.status_code for r in responses] == [503, 200, 502, 502]
    for text in [r.get_data(as_text=True) for r in responses] + [caplog.text]:
        assert UNREACHABLE_KEY not in text


def test_simulation_banner_only_without_an_account(admin_client, unreachable_gateway_client):
    assert page(admin_client.get("/smsform")).select_one("#simulation-banner") is not None
    configured = page(unreachable_gateway_client.get("/smsform"))
    assert configured.select_one("#simulation-banner") is None


def test_calljson_answers_a_post_without_a_csrf_token_but_only_when_signed_in(csrf_app):
    """Read-only, so the sample's own script may POST it; it still needs a signed-in user."""
    anonymous = csrf_app.test_client()
    assert anonymous.post("/calljson", headers={"Accept": "application/json"}).status_code == 401
    client = sign_in(csrf_app)
    response = client.post("/calljson")
    assert response.status_code == 200
    assert response.get_json()["result"] == "Success"
    # Sending still refuses a post without a token.
    assert client.post("/smssend", data=valid_send()).status_code == 400
