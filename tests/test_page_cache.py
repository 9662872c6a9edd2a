"""The opened send form from the page cache: the template's bytes with this request's
tokens, never a page another person, language or URL would get, never a kept flash."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from smsform.services import templates
from smsform.services.audit import CLI_ACTOR
from smsform.views import send
from smsform.views.page_cache import PageCache
from tests.support import build_app, make_user

TOKENS = re.compile(r'(name="(?:csrf_token|send_token)" value=")([^"]*)(")')
PASSWORD = "a-long-enough-password"


def tokens(page: str) -> list[str]:
    """The page's CSRF and send tokens, in page order."""
    return [m.group(2) for m in TOKENS.finditer(page)]


def without_tokens(page: str) -> str:
    return TOKENS.sub(r"\1…\3", page)


def send_from(client: FlaskClient, page: str):
    """Post the send form with the tokens ``page`` holds; the answer."""
    fields = dict(re.findall(r'name="(csrf_token|send_token)" value="([^"]+)"', page))
    return client.post("/smssend", data={**fields, "sphone": "010-1234-5678",
                                         "rphone": "010-2222-3333", "msg": "hello"})


@pytest.fixture
def csrf_app(backend) -> Flask:
    """The app with CSRF checks on, as deployed."""
    app = build_app(backend, WTF_CSRF_ENABLED=True)
    make_user(app, "kim", PASSWORD, "sender")
    make_user(app, "lee", PASSWORD, "sender")
    return app


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf})
    assert answer.status_code == 302
    return client


def pages(app: Flask) -> PageCache:
    return app.extensions[send.FORM_PAGES]


def uncached(monkeypatch) -> None:
    """Render every opened form with the template itself."""
    def rendered(token: str) -> str:
        form, chooser = send._new_form(token)
        return send._render_form(form, **chooser)[0]

    monkeypatch.setattr(send, "_opened_form", rendered)


@pytest.mark.parametrize("url", ["/smsform", "/smsform?lang=en", "/smsform?embed=1",
                                 "/smsform?rphone=010-2222-3333&msg=%3Chi%3E"])
def test_a_kept_page_is_the_templates_page_with_new_tokens(csrf_app, monkeypatch, url):
    client = signed_in(csrf_app, "kim")
    first = client.get(url).get_data(as_text=True)
    second = client.get(url).get_data(as_text=True)
    assert pages(csrf_app).hits == 1 and pages(csrf_app).misses == 1
    with monkeypatch.context() as patched:
        uncached(patched)
        rendered = client.get(url).get_data(as_text=True)
    assert without_tokens(second) == without_tokens(rendered) == without_tokens(first)
    assert len(tokens(second)) == len(tokens(rendered)) >= 2
    # A new send token each time (one send per opened form).
    send_tokens = [re.search(r'name="send_token" value="([^"]+)"', p).group(1)
                   for p in (first, second, rendered)]
    assert len(set(send_tokens)) == 3


def test_the_tokens_of_a_kept_page_send(csrf_app):
    client = signed_in(csrf_app, "kim")
    client.get("/smsform")
    page = client.get("/smsform").get_data(as_text=True)
    assert pages(csrf_app).hits == 1
    answer = send_from(client, page)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]


def test_another_person_gets_their_own_page(csrf_app):
    kim, lee = signed_in(csrf_app, "kim"), signed_in(csrf_app, "lee")
    kim.get("/smsform")
    page = lee.get("/smsform").get_data(as_text=True)
    assert "(lee)" in page and "(kim)" not in page
    assert pages(csrf_app).misses == 2 and pages(csrf_app).hits == 0


def test_a_signed_out_and_in_again_session_gets_a_working_csrf_token(csrf_app):
    client = signed_in(csrf_app, "kim")
    client.get("/smsform")
    client.post("/logout", data={"csrf_token": tokens(client.get("/smsform").get_data(
        as_text=True))[0]})
    client = signed_in(csrf_app, "kim")
    page = client.get("/smsform").get_data(as_text=True)
    answer = send_from(client, page)
    assert answer.status_code == 200


def test_a_form_opened_with_a_template_follows_the_template(csrf_app, monkeypatch):
    with csrf_app.app_context():
        made = templates.create("안내", "첫 글", by=CLI_ACTOR)
    client = signed_in(csrf_app, "kim")
    url = f"/smsform?template={made.id}"
    client.get(url)
    kept = client.get(url).get_data(as_text=True)
    assert pages(csrf_app).hits == 1
    with monkeypatch.context() as patched:
        uncached(patched)
        assert without_tokens(client.get(url).get_data(as_text=True)) == without_tokens(kept)
    assert ">첫 글</textarea>" in kept
    with csrf_app.app_context():
        templates.change(made.id, "안내", "고친 글", kind="lms", by=CLI_ACTOR)
    changed = client.get(url).get_data(as_text=True)
    assert ">고친 글</textarea>" in changed and "첫 글" not in changed
    assert pages(csrf_app).misses == 2
    with csrf_app.app_context():
        templates.remove(made.id, by=CLI_ACTOR)
    gone = client.get(url).get_data(as_text=True)
    assert 'id="template-missing"' in gone and "고친 글" not in gone


def test_a_plain_open_of_the_form_never_reads_the_templates(csrf_app, monkeypatch):
    with csrf_app.app_context():
        made = templates.create("안내", "글", by=CLI_ACTOR)
    client = signed_in(csrf_app, "kim")
    reads: list[str] = []
    for name in ("get", "list_all", "find"):
        real = getattr(templates, name)
        monkeypatch.setattr(templates, name,
                            lambda *a, _real=real, _name=name: reads.append(_name) or _real(*a))
    client.get("/smsform")
    client.get("/smsform?rphone=010-2222-3333")
    assert reads == []
    client.get(f"/smsform?template={made.id}")
    assert reads == ["get"]  # one look-up by the primary key
    client.get(f"/smsform?template={made.id}")
    assert reads == ["get", "get"] and pages(csrf_app).hits == 1


def test_a_page_with_a_flashed_message_is_not_kept(csrf_app):
    client = signed_in(csrf_app, "kim")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "once only")]
    assert "once only" in client.get("/smsform").get_data(as_text=True)
    assert len(pages(csrf_app)) == 0
    assert "once only" not in client.get("/smsform").get_data(as_text=True)


def test_the_cache_fills_holes_escaped_and_keeps_a_bounded_number():
    cache = PageCache(size=2)
    calls = []

    def render(marks):
        calls.append(marks)
        return f"<a>{marks['x']}</a><b>{marks['x']}</b>"

    assert cache.render(1, render, {"x": "<1>"}) == "<a>&lt;1&gt;</a><b>&lt;1&gt;</b>"
    assert cache.render(1, render, {"x": "2"}) == "<a>2</a><b>2</b>"
    cache.render(2, render, {"x": "3"})
    cache.render(3, render, {"x": "4"})
    assert len(cache) == 2 and len(calls) == 3
    cache.render(1, render, {"x": "5"})  # the oldest left: rendered again
    assert len(calls) == 4
    assert cache.render(9, lambda marks: "plain", {}) == "plain"


def test_a_second_browser_of_the_same_person_gets_its_own_csrf_token(csrf_app):
    """The same key (person, URL, language) from another browser: its session's token."""
    laptop, phone = signed_in(csrf_app, "kim"), signed_in(csrf_app, "kim")
    laptop.get("/smsform")
    page = phone.get("/smsform").get_data(as_text=True)
    assert pages(csrf_app).hits == 1
    answer = send_from(phone, page)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]


# -- the header of every page ---------------------------------------------------------------

def header(page: str) -> str:
    return page[page.index('<header class="top">'):page.index('<main id="main"')]


def no_cache(monkeypatch) -> None:
    """Every kept page or part rendered by its template, with this request's values."""
    monkeypatch.setattr(PageCache, "render", lambda self, key, render, holes: render(dict(holes)))


@pytest.mark.parametrize("url", ["/dashboard", "/sends", "/account", "/smscount",
                                 "/sends?lang=en", "/account/tokens"])
def test_a_kept_header_is_the_templates_header(csrf_app, monkeypatch, url):
    client = signed_in(csrf_app, "kim")
    client.get(url)
    kept = client.get(url).get_data(as_text=True)
    assert csrf_app.extensions["smsform.page_headers"].hits >= 1
    with monkeypatch.context() as patched:
        no_cache(patched)
        rendered = client.get(url).get_data(as_text=True)
    assert without_tokens(kept) == without_tokens(rendered)
    assert "(kim)" in header(kept) and 'name="csrf_token"' in header(kept)


def test_the_header_after_a_send_and_for_the_anonymous(csrf_app, monkeypatch):
    client = signed_in(csrf_app, "kim")

    def send_once() -> str:
        page = client.get("/smsform").get_data(as_text=True)
        answer = send_from(client, page)
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    send_once()
    kept = send_once()
    with monkeypatch.context() as patched:
        no_cache(patched)
        rendered = send_once()
    assert without_tokens(header(kept)) == without_tokens(header(rendered))
    anonymous = csrf_app.test_client()
    anonymous.get("/login")
    kept = anonymous.get("/login").get_data(as_text=True)
    with monkeypatch.context() as patched:
        no_cache(patched)
        rendered = anonymous.get("/login").get_data(as_text=True)
    assert without_tokens(kept) == without_tokens(rendered)
    assert 'id="sign-out"' not in header(kept)


def test_the_header_follows_the_page_and_the_person(csrf_app):
    kim, lee = signed_in(csrf_app, "kim"), signed_in(csrf_app, "lee")
    kim.get("/dashboard")
    assert "(lee)" in header(lee.get("/dashboard").get_data(as_text=True))
    sends = header(kim.get("/sends").get_data(as_text=True))
    assert 'id="nav-sends-index" aria-current="page"' in sends
    dashboard = header(kim.get("/dashboard").get_data(as_text=True))
    assert 'id="nav-sends-index" aria-current="page"' not in dashboard
    # the sign-out form's token is this session's: a second browser signs out with its own
    phone = signed_in(csrf_app, "kim")
    token = tokens(header(phone.get("/dashboard").get_data(as_text=True)))[0]
    assert phone.post("/logout", data={"csrf_token": token}).status_code == 302


def test_the_form_config_is_made_once_per_language_and_advertising_settings(backend):
    """The config block (and its JSON, the page cache's key) is made once per language,
    script root and advertising settings; other settings or another root get their own."""
    import dataclasses

    from smsform.views.form_config import form_config, form_config_key

    app = build_app(backend, SMSFORM_AD_SENDER_NAME="스마트상사")
    with app.test_request_context("/smsform"):
        first = form_config()
        assert form_config() is first
        assert form_config()["advertising"]["firstLine"].endswith("스마트상사")
        assert '"firstLine": "(광고)스마트상사"' in form_config_key()
        settings = app.extensions["smsform.settings"]
        app.extensions["smsform.settings"] = dataclasses.replace(
            settings, ad_sender_name="다른상사")
        assert form_config()["advertising"]["firstLine"].endswith("다른상사")
    with app.test_request_context("/smsform", base_url="http://localhost/sub"):
        assert form_config()["urls"]["senders"].startswith("/sub/")


def test_the_csrf_token_is_flask_wtfs_signed_once_a_second(csrf_app, monkeypatch):
    """``csrf_token()`` gives the bytes ``generate_csrf()`` gives in the same second, for
    the same session; a new second or another session gets its own."""
    import time

    from flask import g, session
    from flask_wtf.csrf import generate_csrf, validate_csrf

    from smsform.views import page_cache

    now = [1_900_000_000.25]
    monkeypatch.setattr(time, "time", lambda: now[0])
    monkeypatch.setattr(page_cache, "_SIGNED", {})

    def fresh(make) -> str:
        g.pop("csrf_token", None)
        return make()

    with csrf_app.test_request_context("/"):
        session["csrf_token"] = "a" * 40
        first = fresh(page_cache.csrf_token)
        assert fresh(page_cache.csrf_token) == first == fresh(generate_csrf)
        assert len(page_cache._SIGNED) == 1
        validate_csrf(first)
        now[0] += 1
        later = fresh(page_cache.csrf_token)
        assert later != first and later == fresh(generate_csrf)
        session["csrf_token"] = "b" * 40
        other = fresh(page_cache.csrf_token)
        assert other not in (first, later) and other == fresh(generate_csrf)
        validate_csrf(other)
    with csrf_app.test_request_context("/"):
        made = page_cache.csrf_token()  # no session token yet: Flask-WTF makes one
        assert session["csrf_token"] and made == fresh(generate_csrf)
