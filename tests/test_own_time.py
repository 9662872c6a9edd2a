"""The shortcuts that bring the API's own time per send under its goal (issue 13,
docs/performance.md) leave every answer as it was: no session for a bearer request, the
send's Location, the app's JSON, its plain hooks and the send service's copied results.
The member check's decoder is tested beside the member check (test_api_answers.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flask import session

from simulator import DEMO_SENDERS
from smsform.security import NoCookieSession
from smsform.services import sending
from tests.api_support import bearer, token_user
from tests.support import ScriptedBackend, build_app, sign_in

MESSAGES = "/api/v1/messages"


@pytest.fixture
def app():
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    return build_app(backend)


def _send(client, token, **headers):
    return client.post(MESSAGES, json={"from": DEMO_SENDERS[0], "to": ["010-2222-3333"],
                                       "text": "hi"}, headers=bearer(token, **headers))


# -- no session for the API and the relay's wire --------------------------------------------


def test_a_bearer_request_with_a_signed_in_cookie_neither_reads_nor_sets_a_session(app):
    client = sign_in(app, "sender", "alice")  # a browser's session cookie
    token = token_user(app, "sender", "bob")
    answer = _send(client, token)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")  # nothing in it depends on one
    assert client.get("/sends").status_code == 200  # the browser's session is untouched


def test_the_session_under_the_api_and_the_relay_is_never_read_and_never_saved(app):
    client = sign_in(app, "sender", "alice")
    cookie = client.get_cookie("session").value
    interface = app.session_interface
    for path in ("/api/v1/messages", "/relay/sms_sender.php"):
        with app.test_request_context(path, headers={"Cookie": f"session={cookie}"}):
            from flask import request

            opened = interface.open_session(app, request)
            assert isinstance(opened, NoCookieSession)
            assert dict(opened) == {}  # the signed-in user's cookie is not read
            opened["_user_id"] = "1:1"  # whatever is done to it
            response = app.response_class("")
            interface.save_session(app, opened, response)
            assert "Set-Cookie" not in response.headers
            assert "Vary" not in response.headers
    with app.test_request_context("/sends", headers={"Cookie": f"session={cookie}"}):
        from flask import request

        assert "_user_id" in interface.open_session(app, request)  # pages still read it


def test_a_view_writing_the_session_of_an_api_request_sets_no_cookie(app):
    @app.get("/api/v1/test-writes-session")
    def writes() -> str:
        session["written"] = True
        return "{}"

    answer = app.test_client().get("/api/v1/test-writes-session")
    assert answer.status_code == 200  # an app route under the prefix: no token gate
    assert "Set-Cookie" not in answer.headers


# -- the send's Location --------------------------------------------------------------------


@pytest.mark.parametrize(("script_root", "written"), [
    ("", "/api/v1/messages/1"),
    ("/sms", "/sms/api/v1/messages/1"),
    ("/문자 보내기", "/%EB%AC%B8%EC%9E%90%20%EB%B3%B4%EB%82%B4%EA%B8%B0/api/v1/messages/1"),
])
def test_a_sends_location_is_its_address_as_a_uri_under_any_script_root(app, script_root,
                                                                      written):
    token = token_user(app, "sender", "alice")
    client = app.test_client()
    environ = {"SCRIPT_NAME": script_root.encode().decode("latin-1")}  # as WSGI gives it
    answer = client.post(MESSAGES, json={"from": DEMO_SENDERS[0], "to": ["010-2222-3333"],
                                         "text": "hi"}, headers=bearer(token),
                         environ_overrides=environ)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers.getlist("Location") == [written]
    with app.test_request_context(environ_overrides=environ):
        from flask import url_for
        from werkzeug.urls import iri_to_uri

        assert written == iri_to_uri(url_for("api.get_message", send_id=1))


# -- the app's JSON and its plain hooks -----------------------------------------------------


@pytest.mark.parametrize("body", [
    {"b": 1, "a": "한글", "c": [None, True, 1.5]},
    {"when": __import__("datetime").date(2026, 12, 7), "nested": {"z": 1, "y": 2}},
])
def test_the_apps_json_is_what_json_dumps_writes_with_its_providers_options(app, body):
    provider = app.json
    expected = json.dumps(body, ensure_ascii=False, sort_keys=True, default=provider.default)
    assert provider.dumps(body) == expected
    assert provider.dumps(body, indent=2) == json.dumps(
        body, ensure_ascii=False, sort_keys=True, default=provider.default, indent=2)


def test_a_plain_hook_runs_as_it_is_and_a_coroutine_function_is_still_flasks_to_wrap(app):
    def plain() -> None:
        return None

    async def coroutine() -> None:
        return None

    assert app.ensure_sync(plain) is plain
    bound = app.json.dumps  # a method: asked of Flask as before
    assert app.ensure_sync(bound) == bound
    try:
        wrapped = app.ensure_sync(coroutine)
    except RuntimeError as exc:  # Flask without its async extra says so
        assert "async" in str(exc)
    else:
        assert wrapped is not coroutine


# -- the send service's results, copied -----------------------------------------------------


def test_a_changed_result_is_the_one_dataclasses_replace_makes():
    from cafe24.calls import SendRequest

    request = SendRequest(msg="hi", sender=DEMO_SENDERS[0], recipients=("01022223333",))
    result = sending.SendResult(sending.Status.SUCCESS, request, send_id=1)
    changed = sending._changed(result, send_id=7, outcome_logged=False)
    assert changed == replace(result, send_id=7, outcome_logged=False)
    assert (result.send_id, result.outcome_logged) == (1, True)  # the first one as it was
    assert type(changed) is sending.SendResult
    with pytest.raises(TypeError, match="no_such"):
        sending._changed(result, no_such=1)
    with pytest.raises(AttributeError):  # still frozen
        changed.send_id = 3  # type: ignore[misc]


# -- the request and the app themselves, not Flask's proxies --------------------------------


def _proxy_reads(monkeypatch) -> list[str]:
    """Where the app's own code reads an attribute through one of Werkzeug's proxies
    (``flask.request``, ``current_app``, ``g``, ``session``): file, function and name of
    each read."""
    import sys
    from pathlib import Path

    from werkzeug import local

    root = str(Path(__file__).resolve().parent.parent)
    ours = (f"{root}/smsform/", f"{root}/app.py")
    reads: list[str] = []
    lookup = local._ProxyLookup.__get__

    def counted(self, instance, owner=None):
        if instance is not None:
            caller = sys._getframe(1).f_code
            if caller.co_filename.startswith(ours):
                reads.append(f"{caller.co_filename[len(root) + 1:]}:{caller.co_name}"
                             f" {self.name}")
        return lookup(self, instance, owner)

    monkeypatch.setattr(local._ProxyLookup, "__get__", counted)
    return reads


def test_an_api_send_reads_nothing_through_flasks_proxies_in_the_apps_own_code(
        app, monkeypatch):
    token = token_user(app, "sender", "bob")
    client = app.test_client()
    assert _send(client, token).status_code == 201  # everything imported and made once
    reads = _proxy_reads(monkeypatch)
    answer = _send(client, token)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert reads == []
    # the counter sees a read where there is one
    with app.test_request_context("/"):
        from smsform import i18n

        i18n.switch_url("en")  # reads request.method through the proxy
    assert reads, "the counter saw no read through a proxy where there is one"


def test_the_request_and_the_app_are_the_ones_flask_hands_out(app):
    from flask import current_app, g, request
    from flask import session as flask_session

    from smsform import current

    with app.test_request_context("/x?y=1"):
        assert current.this_request() is request._get_current_object()
        assert current.this_request().args["y"] == "1"
        assert current.this_app() is app
        assert current.extension("smsform.settings") is app.extensions["smsform.settings"]
        current.this_g().mark = 1
        assert g.mark == 1
        current.this_session()["k"] = "v"
        assert flask_session["k"] == "v"
        assert current_app._get_current_object() is app
    with pytest.raises(RuntimeError):
        current.this_request()


# -- Flask-WTF's and Flask-Login's session hooks, skipped where there is no session -------


@pytest.fixture
def csrf_app():
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    return build_app(backend, WTF_CSRF_ENABLED=True)


def test_with_csrf_on_the_api_sends_without_a_token_and_the_check_is_not_even_made(
        csrf_app, monkeypatch):
    from smsform.extensions import csrf

    token = token_user(csrf_app, "sender", "bob")
    checked: list[str] = []
    protect = csrf.protect
    monkeypatch.setattr(csrf, "protect", lambda *a, **k: (checked.append("x"),
                                                           protect(*a, **k))[1])
    answer = _send(csrf_app.test_client(), token)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert checked == []  # skipped, not checked and found exempt
    # a session's form post is still checked, and refused without its token
    client = sign_in(csrf_app, "sender", "alice")
    refused = client.post("/smssend", data={"sphone1": "010", "rphone": "010-2222-3333",
                                            "msg": "hi"})
    assert refused.status_code == 400
    assert checked == ["x"]


def test_flask_logins_remember_cookie_still_acts_on_a_session_and_never_without_one(app):
    client = sign_in(app, "sender", "alice")
    client.set_cookie("remember_token", "old")
    with client.session_transaction() as session:
        session["_remember"] = "clear"  # what logout_user leaves for the hook
    answer = client.get("/sends")
    assert answer.status_code == 200
    cleared = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]  # Flask-Login's own work
    token = token_user(app, "sender", "bob")
    api_answer = _send(client, token)  # the same browser, a bearer request
    assert api_answer.status_code == 201
    assert "Set-Cookie" not in api_answer.headers


def test_the_hooks_not_where_the_libraries_put_them_stop_the_app_from_starting():
    from flask import Flask

    from smsform.security import _skip_session_hooks_when_sessionless

    with pytest.raises(RuntimeError, match="not where"):
        _skip_session_hooks_when_sessionless(Flask("bare"))


def test_the_user_is_the_one_flask_login_hands_out_loaded_or_not(app):
    from flask_login import current_user

    from smsform import current
    from tests.support import make_user

    make_user(app, "alice", "a-long-enough-password", "sender")
    with app.test_request_context("/"):
        first = current.this_user()  # nothing loaded yet: Flask-Login loads it
        assert not first.is_authenticated
        assert current.this_user() is first is current_user._get_current_object()
    token = token_user(app, "sender", "bob")
    with app.test_request_context("/api/v1/messages", headers=bearer(token)):
        app.preprocess_request()  # the API's gate makes the token's user current
        assert current.this_user().username == "bob"
        assert current.this_user() is current_user._get_current_object()
