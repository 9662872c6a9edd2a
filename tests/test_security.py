"""Security: headers, CSRF, the secure key kept out of every page, answer and log line."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

import config
from config import DEFAULT_MAX_BODY_BYTES, SettingsError
from simulator.server import SimulatorServer
from smsform.extensions import db
from smsform.views.util import safe_return_url
from tests.answering_gateway import AnsweringGateway
from tests.api_support import bearer, token_user
from tests.cafe24.test_client_redaction import key_forms
from tests.support import (
    ADMIN,
    UNREACHABLE_KEY,
    build_app,
    field_errors,
    make_user,
    page,
    send_calls,
    serve,
    sign_in,
    valid_send,
)

ROOT = Path(__file__).resolve().parent.parent

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
    assert page(response).select_one("form#smsForm") is not None  # the form again
    assert send_calls(backend) == []
    json_response = client.post("/smssend", headers=JSON, data=valid_send())
    assert json_response.status_code == 400
    assert json_response.get_json()["code"] == "csrf"
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


def _without(address: str, *texts: str) -> bool:
    return all(address not in text for text in texts)


def test_the_gateways_address_is_shown_to_administrators_only(closed_port):
    base = f"http://127.0.0.1:{closed_port}"
    app = build_app(None, CAFE24_SMS_BASE_URL=base, CAFE24_SMS_USER_ID="shop",
                    CAFE24_SMS_SECURE_KEY="shop-secure-key", CAFE24_SMS_CONNECT_TIMEOUT="1",
                    CAFE24_SMS_READ_TIMEOUT="0.5")
    sender, viewer, admin = sign_in(app, "sender"), sign_in(app, "viewer"), sign_in(app, "admin")
    address = f"127.0.0.1:{closed_port}"
    sent = sender.post("/smssend", data=valid_send())  # no connection: not sent
    token = token_user(app, "sender", "alice")
    api = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕하세요"})
    assert (sent.status_code, api.status_code) == (503, 503)
    assert _without(address, sent.get_data(as_text=True), api.get_data(as_text=True))
    for client in (sender, viewer):
        shown = client.get("/sends/1", query_string={"lang": "en"})
        code_text = page(shown).select_one("#code-text").get_text(" ", strip=True)
        assert "could not connect to the gateway" in code_text
        assert _without(address, shown.get_data(as_text=True),
                        client.get("/sends/2", headers=JSON).get_data(as_text=True),
                        client.get("/sends?format=csv").get_data(as_text=True))
    assert address in admin.get("/sends/1").get_data(as_text=True)  # as /gateway shows it
    # A lost answer (the read timed out), then the same form again: told what is known.
    form = page(sender.get("/smsform")).select_one("input[name=send_token]")["value"]
    with AnsweringGateway(port=closed_port) as gateway_answers:  # listening now
        gateway_answers.stall("/sms_sender.php")
        first = sender.post("/smssend", data=valid_send(send_token=form))
    again = sender.post("/smssend", data=valid_send(send_token=form), headers=JSON)
    assert (first.status_code, again.status_code) == (502, 409)
    assert "the gateway" in again.get_json()["previous"]["message"]
    assert _without(address, first.get_data(as_text=True), again.get_data(as_text=True),
                    sender.post("/smssend", data=valid_send(send_token=form)).get_data(
                        as_text=True))


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


# -- a gateway that echoes the request (the key must not come back) -------------------------

ECHO_MARKS = ("userId=", "passwd=", "user_id=", "secure=")


def _assert_clean(text: str, stored: bool = False) -> None:
    """No form of the key in ``text``, nor (but in what is stored for the admin's log, an
    excerpt with the key removed) any piece of an echoed request."""
    for form in key_forms(KEY):
        assert form not in text, form
    for mark in () if stored else ECHO_MARKS:
        assert mark not in text, mark


def _stored_text(app) -> str:
    """Every row of every table, as text: what the app kept of the exchanges."""
    with app.app_context():
        return " ".join(repr(db.session.execute(table.select()).all())
                        for table in db.metadata.sorted_tables)


ECHO_REQUESTS = [
    ("admin", "get", "/calljson", {}), ("viewer", "get", "/calljson", {}),
    ("viewer", "post", "/calljson", {}), ("admin", "get", "/smscount", {}),
    ("viewer", "get", "/smscount", JSON), ("admin", "get", "/smsform", {}),
    ("admin", "get", "/smsresult", {}), ("viewer", "get", "/smsresult", JSON),
    ("admin", "post", "/smssend", {}), ("admin", "post", "/smssend", JSON),
]


@pytest.fixture(params=["in_process", "socket"])
def echo_app(request, backend):
    """An app whose gateway answers the next request with that request's own body, reached
    in-process or over a socket on 127.0.0.1 (configured like a real account)."""
    if request.param == "in_process":
        app = build_app(backend)
    else:
        server = SimulatorServer(backend).start()
        request.addfinalizer(server.stop)
        app = build_app(None, CAFE24_SMS_BASE_URL=server.url, CAFE24_SMS_USER_ID="demo",
                        CAFE24_SMS_SECURE_KEY=KEY)
    return app


@pytest.mark.parametrize(("role", "method", "path", "headers"), ECHO_REQUESTS,
                         ids=[f"{r}-{m}-{p}-{'json' if h else 'html'}"
                              for r, m, p, h in ECHO_REQUESTS])
def test_an_echoing_gateway_never_puts_the_key_in_a_page(echo_app, backend, role, method,
                                                         path, headers):
    client = sign_in(echo_app, role)
    backend.inject("echo")
    kwargs = {"data": valid_send()} if path == "/smssend" else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert backend.faults == []  # the echo was used on this request
    assert response.status_code in (200, 502)  # a failed look-up or an unknown outcome
    _assert_clean(response.get_data(as_text=True) + str(response.headers))
    _assert_clean(_stored_text(echo_app), stored=True)


@pytest.mark.parametrize("headers", [{}, JSON], ids=["html", "json"])
def test_a_repeat_after_an_echoed_answer_shows_no_key(backend, headers):
    app = build_app(backend)
    client = sign_in(app, "sender")
    token = page(client.get("/smsform")).select_one("input[name=send_token]")["value"]
    backend.inject("echo")
    first = client.post("/smssend", headers=headers, data=valid_send(send_token=token))
    assert first.status_code == 502  # unknown: the answer was not the gateway's
    again = client.post("/smssend", headers=headers, data=valid_send(send_token=token))
    assert again.status_code == 409
    assert len(send_calls(backend)) == 1
    for response in (first, again):
        _assert_clean(response.get_data(as_text=True))
    _assert_clean(_stored_text(app), stored=True)


# -- body size -------------------------------------------------------------------------------


class BodyThatMustNotBeRead:
    """A request body that fails the test if more than ``limit`` bytes of it are read."""

    def __init__(self, limit: int) -> None:
        self.limit, self.read_bytes = limit, 0

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else min(size, 65536)
        self.read_bytes += size
        assert self.read_bytes <= self.limit + 65536, "the body was read past the limit"
        return b"a" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize("csrf", [False, True])
def test_a_huge_anonymous_post_gets_413_before_it_is_read(backend, csrf):
    app = build_app(backend, WTF_CSRF_ENABLED=csrf)
    body = BodyThatMustNotBeRead(DEFAULT_MAX_BODY_BYTES)
    response = app.test_client().post(
        "/login", content_type="application/x-www-form-urlencoded", environ_overrides={
            "wsgi.input": body, "CONTENT_LENGTH": str(200 * 1024 * 1024)})
    assert response.status_code == 413
    assert body.read_bytes == 0  # refused on its Content-Length alone


def test_a_streamed_body_without_a_length_stops_at_the_limit(backend):
    app = build_app(backend, SMSFORM_MAX_BODY_BYTES="65536")
    body = BodyThatMustNotBeRead(65536)
    response = app.test_client().post(
        "/login", content_type="application/x-www-form-urlencoded", environ_overrides={
            "wsgi.input": body, "wsgi.input_terminated": True, "CONTENT_LENGTH": "",
            "HTTP_TRANSFER_ENCODING": "chunked"})
    assert response.status_code == 413
    assert 0 < body.read_bytes <= 65536 + 65536


def test_the_body_limit_is_a_setting(backend):
    app = build_app(backend, SMSFORM_MAX_BODY_BYTES="20000")
    assert app.config["MAX_CONTENT_LENGTH"] == 20000
    client = sign_in(app)
    assert client.post("/smssend", data=valid_send(msg="a" * 30000)).status_code == 413
    assert client.post("/smssend", data=valid_send(msg="a" * 80)).status_code == 200
    assert build_app(backend).config["MAX_CONTENT_LENGTH"] == 1024 * 1024


# -- input that is refused before the gateway ---------------------------------------------


def _raw_form(**overrides: str) -> bytes:
    """A valid send form as URL-encoded bytes, with some values given already encoded."""
    fields = {k: v for k, v in valid_send().items() if k not in overrides}
    return (urlencode(fields) + "&" + "&".join(f"{k}={v}" for k, v in overrides.items())
            ).encode("ascii")


@pytest.mark.parametrize("headers", [{}, JSON], ids=["html", "json"])
@pytest.mark.parametrize("encoded", ["msg=%C3%28", "msg=%FF%FE", "rphone=010%80",
                                     "%C3%28=x"])
def test_bytes_that_are_not_utf8_are_refused(admin_client, backend, headers, encoded):
    name, value = encoded.split("=")
    response = admin_client.post("/smssend", headers=headers, data=_raw_form(**{name: value}),
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert send_calls(backend) == []
    if headers:
        assert response.get_json()["code"] == "invalid_encoding"


@pytest.mark.parametrize("path", ["/smssend?x=%C3%28", "/api/v1/messages?x=%FF"])
def test_a_query_that_is_not_utf8_is_refused_whatever_the_body(admin_client, backend, path):
    """A JSON body (or none) skips the form's checks, never the query string's."""
    response = admin_client.post(path, headers=JSON, json={
        "from": "010-1234-5678", "to": ["01022223333"], "text": "hi"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_encoding"
    assert send_calls(backend) == []


def test_text_that_only_looks_like_an_escape_is_sent(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(msg="100%C3( 할인"))
    assert response.status_code == 200
    assert send_calls(backend)[-1].fields["msg"] == "100%C3( 할인"


def test_multipart_bytes_that_are_not_utf8_are_refused(admin_client, backend):
    boundary = "xYzZy"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in valid_send().items() if k != "msg"]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="msg"\r\n\r\n'
                 .encode() + b"\xc3\x28\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = admin_client.post("/smssend", data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert send_calls(backend) == []


def test_a_query_string_that_is_not_utf8_is_refused(admin_client, backend):
    response = admin_client.get("/smsresult?receivePhone=%FF")
    assert response.status_code == 400
    assert [c for c in backend.calls if c.path == "/sms_list.php"] == []


@pytest.mark.parametrize("name", ["testflag", "msg", "rphone", "sphone", "smsType", "subject",
                                  "rdate", "send_token", "returnurl", "destination"])
@pytest.mark.parametrize("headers", [{}, JSON], ids=["html", "json"])
def test_a_single_field_sent_twice_is_refused(admin_client, backend, name, headers):
    fields = list(valid_send(testflag="N").items())
    if name not in dict(fields):
        fields.append((name, "x"))
    fields.append((name, "Y" if name == "testflag" else "y"))  # testflag: first N, then Y
    body = urlencode(fields)
    response = admin_client.post("/smssend", headers=headers, data=body,
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert send_calls(backend) == []
    if headers:
        body = response.get_json()
        assert body["code"] == "repeated_field" and name in body["errors"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"msg": "안녕\x00하세요"}, "msg"),
    ({"msg": "\x1b[31m빨강"}, "msg"),
    ({"msg": "x" * 100, "smsType": "L", "subject": "제목\nX-Injected: 1"}, "subject"),
    ({"msg": "x" * 100, "smsType": "L", "subject": "제목\x00"}, "subject"),
    ({"rphone": "", "destination": "010-2222-3333|홍\x07길동"}, "destination"),
])
def test_control_characters_and_a_two_line_subject_are_refused(admin_client, backend,
                                                               overrides, field):
    response = admin_client.post("/smssend", data=valid_send(**overrides))
    assert response.status_code == 400
    assert field_errors(page(response), field)
    assert send_calls(backend) == []
    json_response = admin_client.post("/smssend", headers=JSON, data=valid_send(**overrides))
    assert json_response.status_code == 400
    assert field in json_response.get_json()["errors"]
    assert send_calls(backend) == []


def test_line_breaks_and_tabs_in_a_message_are_sent(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(msg="첫 줄\r\n둘째\t줄"))
    assert response.status_code == 200
    assert send_calls(backend)[-1].fields["msg"] == "첫 줄\n둘째\t줄"


# -- returnurl never trusts the Host header --------------------------------------------------


@pytest.mark.parametrize(("config", "host", "target"), [
    ({}, "evil.example", "http://evil.example/phish"),
    ({}, "localhost", "http://localhost/thanks"),
    ({"SMSFORM_PUBLIC_ORIGIN": "https://sms.example.com"}, "sms.example.com:8443",
     "https://sms.example.com:8443/x"),
    ({"SMSFORM_PUBLIC_ORIGIN": "https://sms.example.com"}, "sms.example.com",
     "http://sms.example.com/x"),
])
def test_returnurl_is_judged_by_settings_not_by_the_host_header(backend, config, host, target):
    app = build_app(backend, **config)
    with app.test_request_context("/smssend", method="POST", headers={"Host": host}):
        assert safe_return_url(target) is None
        assert safe_return_url("/done") == "/done"
    if host == "localhost":  # the test client's own Host: through the whole send
        response = sign_in(app).post("/smssend", data=valid_send(nointeractive="1",
                                                                 returnurl=target))
        assert (response.status_code, response.headers["Location"]) == (303, "/smsform")


def test_returnurl_to_the_public_origin_is_followed(backend):
    client = sign_in(build_app(backend, SMSFORM_PUBLIC_ORIGIN="https://sms.example.com:8443"))
    response = client.post("/smssend", data=valid_send(
        nointeractive="1", returnurl="https://SMS.example.com:8443/done?x=1"))
    assert response.headers["Location"].lower() == "https://sms.example.com:8443/done?x=1"


@pytest.mark.parametrize("value", ["https://shop.example.com/path", "ftp://shop.example.com",
                                   "https://user@shop.example.com", "shop.example.com:port",
                                   "https://"])
def test_a_return_host_that_is_not_an_origin_stops_the_app(backend, value):
    with pytest.raises(SettingsError, match="SMSFORM_RETURN_HOSTS"):
        build_app(backend, SMSFORM_RETURN_HOSTS=value)


@pytest.mark.parametrize(("name", "value"), [
    ("SMSFORM_PUBLIC_ORIGIN", "https://sms.example.com/app"),
    ("SMSFORM_PUBLIC_ORIGIN", "sms.example.com:99999"),
    ("SMSFORM_PROXY_COUNT", "-1"), ("SMSFORM_PROXY_COUNT", "many"),
    ("SMSFORM_MAX_BODY_BYTES", "100"), ("SMSFORM_MAX_BODY_BYTES", "1MB"),
])
def test_a_malformed_security_setting_stops_the_app_naming_it(backend, name, value):
    with pytest.raises(SettingsError, match=name):
        build_app(backend, **{name: value})


def test_return_origins_are_the_public_origin_and_the_return_hosts(backend):
    settings = build_app(backend, SMSFORM_PUBLIC_ORIGIN="https://SMS.example.com/",
                         SMSFORM_RETURN_HOSTS="shop.example.com, http://b.example:8080"
                         ).extensions["smsform.settings"]
    assert settings.return_origins == ("https://sms.example.com:443",
                                       "https://shop.example.com:443",
                                       "http://b.example:8080")


# -- headers, HTTPS and the proxy ------------------------------------------------------------


@pytest.mark.parametrize(("path", "headers"), [
    ("/login", {}), ("/smsform", {}), ("/smscount", JSON), ("/smsresult", {}),
    ("/smsresult?format=csv", {}), ("/calljson", {}), ("/nowhere", {})])
def test_pages_and_exports_are_never_stored_by_a_cache(admin_client, path, headers):
    response = admin_client.get(path, headers=headers)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(admin_client):
    response = admin_client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_policy_lets_forms_post_only_here_and_to_return_origins(backend):
    directives = _directives(build_app(backend).test_client().get("/login"))
    assert directives["form-action"] == "'self'"
    assert directives["default-src"] == "'self'" and "script-src" not in directives
    configured = build_app(backend, SMSFORM_RETURN_HOSTS="shop.example.com")
    assert _directives(configured.test_client().get("/login"))["form-action"] == (
        "'self' https://shop.example.com:443")


def _directives(response) -> dict[str, str]:
    csp = response.headers["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())


def _session_cookie(response) -> str:
    return next(v for k, v in response.headers.items()
                if k == "Set-Cookie" and v.startswith("session="))


def test_over_https_hsts_and_a_secure_cookie(app):
    make_user(app, *ADMIN, role="admin")
    client = app.test_client()
    response = client.post("/login", base_url="https://sms.example.com",
                           data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in _session_cookie(response)


def test_over_http_no_hsts_and_no_secure_flag(app):
    make_user(app, *ADMIN, role="admin")
    response = app.test_client().post("/login", data={"username": ADMIN[0],
                                                      "password": ADMIN[1]})
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in _session_cookie(response)


def test_session_cookie_secure_setting_marks_it_even_over_http(backend):
    app = build_app(backend, SESSION_COOKIE_SECURE="1")
    make_user(app, *ADMIN, role="admin")
    response = app.test_client().post("/login", data={"username": ADMIN[0],
                                                      "password": ADMIN[1]})
    assert "Secure" in _session_cookie(response)


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
             "X-Forwarded-Host": "sms.example.com"}


def test_forwarded_headers_are_ignored_without_a_proxy_setting(backend):
    app = build_app(backend)
    response = app.test_client().get("/login", headers=FORWARDED)
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_headers_are_believed_behind_a_configured_proxy(backend):
    app = build_app(backend, SMSFORM_PROXY_COUNT="1")
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request as req
        seen.update(secure=req.is_secure, addr=req.remote_addr, host=req.host)
        return "ok"

    response = app.test_client().get("/_probe", headers=FORWARDED)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert seen == {"secure": True, "addr": "203.0.113.9", "host": "sms.example.com"}


# -- files and logs ---------------------------------------------------------------------------


def test_the_default_database_file_and_instance_folder_are_private(tmp_path):
    previous = os.umask(0o022)
    try:
        instance = tmp_path / "instance"
        settings = config.from_env({}, instance)
    finally:
        os.umask(previous)
    database = instance / "smsform.db"
    assert settings.database_url == f"sqlite:///{database}"
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    with sqlite3.connect(database) as conn:  # SQLite's own files take the database's mode
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        assert stat.S_IMODE(Path(f"{database}-wal").stat().st_mode) == 0o600


def test_a_configured_sqlite_file_is_created_private(tmp_path):
    previous = os.umask(0o022)
    try:
        config.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
                         "SECRET_KEY": "k"}, tmp_path / "i")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "app.db").stat().st_mode) == 0o600
    assert not (tmp_path / "i").exists()  # nothing else is made


def test_the_development_servers_access_log_has_no_query_strings(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    with serve(app) as base:
        url = f"{base}/login?msg=%EB%B9%84%EB%B0%80&rphone=0101"
        with urllib.request.urlopen(url) as answer:  # noqa: S310 - loopback only
            assert answer.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /login HTTP/1.1" in line for line in lines), lines
    assert not any("msg=" in line or "rphone" in line or "?" in line for line in lines)


@pytest.mark.parametrize("request_line", [
    b"GET /smsform?msg=SECRET2\"x&rphone=01033334444 HTTP/1.1",
    b"GET /smsform?msg=SECRET3 moretext&rphone=01055556666 HTTP/1.1",
    b"GET /smsform?msg=SECRET4\tTAB&rphone=01077778888 HTTP/1.1",
    "GET /smsform?msg=SECRET5 한글&rphone=01099990000 HTTP/1.1".encode(),
    b"GET http://127.0.0.1/smsform?msg=SECRET6 HTTP/1.1",
])
def test_a_malformed_request_line_leaves_no_query_in_the_access_log(app, caplog,
                                                                    request_line):
    caplog.set_level(logging.INFO, logger="werkzeug")
    with serve(app) as base, socket.create_connection(
            ("127.0.0.1", urlsplit(base).port), timeout=5) as conn:
        conn.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        conn.recv(65536)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert lines  # the request was logged
    assert not any("SECRET" in line or "0103" in line or "0105" in line or "0107" in line
                   or "0109" in line for line in lines), lines


@pytest.mark.slow  # `flask upgrade-db` and gunicorn in processes of their own
def test_gunicorn_serves_the_app_with_a_private_access_log(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite:///{tmp_path}/g.db",
           "SECRET_KEY": "gunicorn-test", "HOME": str(tmp_path)}
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "app", "upgrade-db"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
         "-w", "1", "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        status = _wait_for(f"http://127.0.0.1:{port}/login?msg=%EB%B9%84%EB%B0%80")
        assert status == 200  # no user yet: /login leads to /setup, which answers
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert '"GET /login HTTP/1.1" 302' in output, output
    assert "msg=" not in output and "%EB" not in output


def _wait_for(url: str, seconds: float = 30) -> int:
    """The status of ``url`` once the server answers (redirects followed)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                return answer.status
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# -- an expired page (CSRF) shows the form again, with what was typed -------------------------


def test_an_expired_send_form_comes_back_filled_in_and_sends_once_resubmitted(csrf_app,
                                                                              backend):
    client = sign_in(csrf_app)
    client.set_cookie("lang", "en")
    typed = valid_send(msg="만료된 페이지에서 쓴 글", rphone="010-2222-3333,010-4444-5555")
    response = client.post("/smssend", data={**typed, "csrf_token": "expired.token"})
    assert response.status_code == 400
    assert send_calls(backend) == []
    soup = page(response)
    assert "has expired" in soup.select_one(".flash.error").get_text()
    assert soup.select_one("textarea#msg").get_text() == typed["msg"]
    assert soup.select_one("textarea#rphone").get_text().strip() == typed["rphone"]
    form = {i["name"]: i.get("value", "") for i in soup.select("form#smsForm input[type=hidden]")}
    assert form["csrf_token"] and form["send_token"]
    again = client.post("/smssend", data={**typed, "csrf_token": form["csrf_token"],
                                          "send_token": form["send_token"]})
    assert again.status_code == 200
    assert len(send_calls(backend)) == 1


def test_an_expired_sign_in_form_comes_back_with_the_name(csrf_app):
    make_user(csrf_app, *ADMIN, role="admin")
    client = csrf_app.test_client()
    client.set_cookie("lang", "en")
    response = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 400
    soup = page(response)
    assert soup.select_one("input#username")["value"] == ADMIN[0]
    assert "has expired" in soup.select_one(".flash.error").get_text()
    token = soup.select_one("input[name=csrf_token]")["value"]
    signed_in = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                            "csrf_token": token})
    assert signed_in.status_code == 302


def test_an_expired_setup_form_comes_back(csrf_app):
    client = csrf_app.test_client()
    client.set_cookie("lang", "en")
    response = client.post("/setup", data={"username": "boss", "password": "0123456789ab",
                                           "password2": "0123456789ab"})
    assert response.status_code == 400
    soup = page(response)
    assert soup.select_one("input#username")["value"] == "boss"
    assert "has expired" in soup.select_one(".flash.error").get_text()
    assert client.get("/setup").status_code == 200  # still no account


def test_an_expired_post_elsewhere_says_the_page_expired(csrf_app):
    client = sign_in(csrf_app)
    client.set_cookie("lang", "en")
    response = client.post("/logout")
    assert response.status_code == 400
    soup = page(response)
    assert "expired" in soup.select_one("main h1").get_text()
    assert soup.select_one("#error[data-code=csrf]") is not None
    assert soup.select_one("header form button") is not None  # still signed in, and shown so
    english = client.post("/logout?lang=en", headers=JSON)
    assert english.get_json()["code"] == "csrf"
    assert "expired" in english.get_json()["message"]


def test_a_session_is_signed_with_the_keys_of_the_moment(app):
    client = sign_in(app, "admin")
    assert client.get("/sends").status_code == 200
    old_key = app.secret_key
    app.secret_key = "a-new-secret-key"  # rotated: yesterday's cookies no longer open
    assert client.get("/sends").status_code == 302
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]  # unless the old key is kept as a fallback
    assert client.get("/sends").status_code == 200


def test_an_answer_with_no_session_sets_no_cookie_but_says_it_varies_by_one(app, client):
    answer = client.get("/login")
    assert "Set-Cookie" not in answer.headers or "session=" not in answer.headers["Set-Cookie"]
    assert "Cookie" in answer.headers.get("Vary", "")


def test_a_remembered_session_cookie_still_ages_and_each_request_gets_its_own_copy(
        app, monkeypatch):
    from smsform import security

    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"notes": ["first"]})
    app.permanent_session_lifetime = 600

    def opened():
        with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
            return interface.open_session(app, security.request._get_current_object())

    first = opened()
    first["notes"].append("changed in one request")  # what flash() does to its list
    assert opened()["notes"] == ["first"]  # the next request reads the cookie, not that
    assert cookie in interface._verified
    later = time.time() + 601
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert dict(opened()) == {}  # past its age: refused, though remembered
