"""The result page of POST /smssend from the page cache: for every shape of outcome, the
bytes the template renders with this send's words and figures, never another send's.

Each shape is sent twice with different values (the send's number, the credit left, the
counts, the codes, the return address), so the second page comes from the cache; every
page is also rendered by the template in the same request and the two are compared."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from simulator import DEMO_SECURE_KEY, DEMO_SENDERS
from smsform import messages
from smsform.services import optouts
from smsform.services.audit import CLI_ACTOR
from smsform.services.sending import SendResult
from smsform.states import OptOutVia
from smsform.views import result_page
from smsform.views import send as send_view
from smsform.views.page_cache import PageCache
from tests.support import ScriptedBackend, build_app, page, sign_in, valid_send

KST = timezone(timedelta(hours=9))
TOKENS = re.compile(r'name="(csrf_token|send_token)" value="([^"]+)"')
ONE, TWO, THREE = ("010-2222-3333", "010-2222-3333, 010-4444-5555",
                   "010-2222-3333, 010-4444-5555, 010-6666-7777")


def reservation(days: int, hour: int) -> dict[str, str]:
    when = (datetime.now(KST) + timedelta(days=days)).replace(hour=hour, minute=30)
    return {"rdate": when.strftime("%Y-%m-%d"), "rtime": when.strftime("%H:%M")}


#: (name, language, [(the gateway's answer or a fault, the form's fields)] * 2): the two
#: sends of a shape share everything that decides the page and nothing it prints.
SHAPES: list[tuple[str, str, list[tuple[str, dict[str, str]]]]] = [
    ("accepted", "ko", [("success,999", {}), ("success,12345", {})]),
    ("accepted", "en", [("success,999", {}), ("success,1", {})]),
    ("accepted, two and three", "ko", [("success,5", {"rphone": TWO}),
                                       ("success,7", {"rphone": THREE})]),
    ("accepted, two and three", "en", [("success,5", {"rphone": TWO}),
                                       ("success,1234567", {"rphone": THREE})]),
    ("no credit count", "ko", [("success", {}), ("success,99999999999999999999", {})]),
    ("reservation", "ko", [("reserved,998", reservation(1, 10)),
                           ("reserved,10", reservation(2, 15))]),
    ("reservation", "en", [("reserved,998", reservation(1, 10)),
                           ("reserved,10", reservation(3, 9))]),
    ("test", "ko", [("Test Success!,992", {"testflag": "Y", "rphone": THREE}),
                    ("Test Success!,4", {"testflag": "Y", "rphone": TWO})]),
    ("test of a reservation", "ko", [("Test Success!,9", {"testflag": "Y", "rphone": TWO,
                                                          **reservation(1, 11)}),
                                     ("Test Success!,8", {"testflag": "Y", "rphone": THREE,
                                                          **reservation(4, 12)})]),
    ("test", "en", [("Test Success!,992", {"testflag": "Y", "rphone": TWO}),
                    ("Test Success!,4", {"testflag": "Y", "rphone": THREE})]),
    ("LMS", "ko", [("success,990", {"smsType": "L", "subject": "<제목>", "msg": "가" * 100}),
                   ("success,80", {"smsType": "L", "subject": "&", "msg": "<b>" * 40})]),
    # the same counts' plurals as an SMS to two and three above: its own page
    ("LMS", "en", [("success,990", {"smsType": "L", "subject": "s", "msg": "가" * 100,
                                    "rphone": TWO}),
                   ("success,80", {"smsType": "L", "subject": "t", "msg": "나" * 200,
                                   "rphone": THREE})]),
    # the same costs as a test to two or three (none): its own page for one recipient
    ("test to one", "en", [("Test Success!,7", {"testflag": "Y"}),
                           ("Test Success!,6", {"testflag": "Y"})]),
    # user text: the return address, escaped in the link
    ("return address", "ko", [("success,9", {"returnurl": '/done?a=1&b="<x>"'}),
                              ("success,8", {"returnurl": "/other?q='&amp;'<>"})]),
    ("refused return address", "en", [("success,9", {"returnurl": "http://evil.example/"}),
                                      ("success,8", {"returnurl": "https://b.example/x"})]),
    # the names list read name first, and numbers sent with it
    ("names list", "ko", [("success,997", {"rphone": "", "destination":
                                           "홍길동\t010-2222-3333\r\n김철수\t010-3333-4444",
                                           "msg": "{name}님"}),
                          ("success,96", {"rphone": "", "destination":
                                          "<이>\t010-2222-3333\r\n박\t010-3333-4444\r\n"
                                          "최\t010-5555-6666", "msg": "{name}님"})]),
    ("names list and numbers", "en", [("success,997", {"rphone": TWO, "destination":
                                                       "010-3333-4444|<홍>"}),
                                      ("success,96", {"rphone": THREE, "destination":
                                                      "010-3333-4444|&\"'"})]),
    # the gateway's answer lost, or not in its format (hostile bytes among it)
    ("unknown", "ko", [("drop", {"rphone": THREE}), ("garbage", {"rphone": TWO})]),
    ("unknown", "en", [("<script>alert('x')</script>&\",5", {}), ("html", {})]),
]

#: Endings shown by the result page only when the send log could not keep the outcome
#: (else the form comes back with everything typed): refusals of each kind, codes the
#: gateway's table lacks, and an accepted send whose warning the page must show.
NOT_LOGGED: list[tuple[str, str, list[tuple[str, dict[str, str]]]]] = [
    ("refused", "ko", [("-101,1000", {}), ("-114,20", {})]),
    ("refused", "en", [("-114,1000", {"rphone": THREE}), ("-201,3", {"rphone": TWO})]),
    ("an unlisted code", "ko", [("-999,12", {}), ("7777", {})]),
    ("an unlisted code", "en", [("-998,7", {}), ("-999,3", {})]),
    ("accepted, not logged", "ko", [("success,999", {"rphone": THREE}),
                                    ("success,5", {"rphone": TWO})]),
    ("test, not logged", "en", [("Test Success!,9", {"testflag": "Y"}),
                                ("Test Success!,8", {"testflag": "Y"})]),
]
FAULTS = {"drop", "garbage", "html"}


def compared(monkeypatch) -> list[tuple[str, str, SendResult]]:
    """Each result page as the app answers it and as the template renders it in the same
    request (``PageCache.render`` given the values themselves as its marks), and the send's
    result it shows."""
    pairs: list[tuple[str, str, SendResult]] = []
    real = result_page.render

    def both_ways(result: SendResult, *args: Any) -> str:
        # its words as the messages say them in this request (the view keeps them)
        said = (messages.next_step_text(result, result.request.recipient_count)
                if result.status.accepted else messages.send_result_text(result))
        assert args[1:3] == (said, messages.result_code_text(result.status.value,
                                                             result.code))
        kept = real(result, *args)
        with monkeypatch.context() as patched:
            patched.setattr(PageCache, "render",
                            lambda self, key, render, holes: render(dict(holes)))
            rendered = real(result, *args)
        pairs.append((kept, rendered, result))
        return kept

    monkeypatch.setattr(result_page, "render", both_ways)
    return pairs


@pytest.fixture
def scripted() -> ScriptedBackend:
    backend = ScriptedBackend()
    backend.add_account("demo", DEMO_SECURE_KEY, list(DEMO_SENDERS), 10**6)
    return backend


@pytest.fixture
def csrf_app(scripted: ScriptedBackend) -> Flask:
    """CSRF checks on, as deployed: the header's sign-out form carries a token."""
    return build_app(scripted, WTF_CSRF_ENABLED=True)


def send(client: FlaskClient, backend: ScriptedBackend, language: str, answer: str,
         fields: dict[str, str]):
    """Open the form in ``language`` and send it with its tokens; the gateway answers
    ``answer`` (or fails so: FAULTS)."""
    form = client.get(f"/smsform?lang={language}").get_data(as_text=True)
    backend.answer = None if answer in FAULTS else answer
    if answer in FAULTS:
        backend.inject(answer)
    return client.post("/smssend", data={**valid_send(**fields),
                                         **dict(TOKENS.findall(form))})


def pages(app: Flask) -> PageCache:
    return app.extensions[result_page.RESULT_PAGES]


def check_shapes(app: Flask, backend: ScriptedBackend, shapes, pairs,
                 client: FlaskClient | None = None) -> None:
    client = client or sign_in(app, "sender")
    for name, language, sends in shapes:
        hits = pages(app).hits
        answers = [send(client, backend, language, answer, fields)
                   for answer, fields in sends]
        assert pages(app).hits == hits + 1, f"{name} ({language}): not kept once"
        first, second = pairs[-2:]
        for kept, rendered, result in (first, second):
            assert kept == rendered, f"{name} ({language})"
            assert DEMO_SECURE_KEY not in kept and "\x1e" not in kept
            shows_its_figures(kept, result, language)
        assert first[0] != second[0], f"{name} ({language}): the same page twice"
        assert all(a.get_data(as_text=True) == p[0]
                   for a, p in zip(answers, (first, second), strict=True))


def shows_its_figures(text: str, result: SendResult, language: str) -> None:
    """The page's figures are this send's (read from its result, not from the page's
    own values)."""
    card = page_of(text).select_one("#send-result")
    sent = result.request
    assert card["data-code"] == card.select_one("#result-code")["data-code"] == (
        result.code or "")
    unknown = "unknown" if language == "en" else "알 수 없음"
    remaining = card.select_one("#result-remaining").get_text()
    assert remaining == (unknown if result.remaining is None else f"{result.remaining:,}")
    facts = [dd.get_text() for dd in card.select("dl.facts dd")]
    assert facts[1] == ("LMS" if sent.kind == "L" else "SMS")
    assert re.match(f"{sent.recipient_count:,}\\D", facts[2]), facts[2]
    cost = card.select_one("#result-cost").get_text()
    assert f"{sent.cost if result.cost is None else result.cost:,}" in cost
    log = f"/sends/{result.send_id}"
    assert [a["href"] for a in card.select("a") if a["href"].startswith("/sends/")] == (
        [log] if result.outcome_logged else [log, log])
    if sent.reserve_at:
        assert sent.reserve_at.strftime("%Y-%m-%d %H:%M") in text


def page_of(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def test_every_shape_from_the_cache_is_the_templates_page(csrf_app, scripted, monkeypatch):
    pairs = compared(monkeypatch)
    check_shapes(csrf_app, scripted, SHAPES, pairs)
    assert pages(csrf_app).misses == len({(n, lang) for n, lang, _ in SHAPES})


def test_every_ending_the_log_could_not_keep(csrf_app, scripted, monkeypatch):
    pairs = compared(monkeypatch)
    client = sign_in(csrf_app, "sender")
    for language in ("ko", "en"):  # the same shapes, logged: pages of their own
        send(client, scripted, language, "success,9", {"rphone": TWO})
        send(client, scripted, language, "Test Success!,9", {"testflag": "Y"})
    real = send_view.after_send
    monkeypatch.setattr(send_view, "after_send",
                        lambda result: real(replace(result, outcome_logged=False)))
    check_shapes(csrf_app, scripted, NOT_LOGGED, pairs, client)
    assert all(('id="not-logged"' in kept) is not result.outcome_logged
               for kept, _, result in pairs)


def test_the_kept_page_carries_this_send_and_this_session(csrf_app, scripted):
    """A kept page links this send's log entry and signs out with this browser's token."""
    laptop = sign_in(csrf_app, "sender")
    first = page(send(laptop, scripted, "ko", "success,999", {}))
    phone = csrf_app.test_client()  # the same person in a second browser
    with laptop.session_transaction() as signed_in, phone.session_transaction() as session:
        session.update({k: v for k, v in signed_in.items() if k.startswith("_")})
    kept = page(send(phone, scripted, "ko", "success,500", {}))
    assert pages(csrf_app).hits == 1
    links = [first.select_one("#log-link")["href"], kept.select_one("#log-link")["href"]]
    assert links[0] != links[1] and re.fullmatch(r"/sends/\d+", links[1])
    assert kept.select_one("#result-remaining").get_text() == "500"
    signing_out = 'form[action="/logout"] input[name="csrf_token"]'
    token = kept.select_one(signing_out)["value"]
    assert token != first.select_one(signing_out)["value"]
    assert phone.post("/logout", data={"csrf_token": token}).status_code == 302


def test_another_person_or_language_gets_its_own_page(csrf_app, scripted):
    kim, lee = sign_in(csrf_app, "sender", "kim"), sign_in(csrf_app, "sender", "lee")
    send(kim, scripted, "ko", "success,9", {})
    other = send(lee, scripted, "ko", "success,8", {}).get_data(as_text=True)
    english = send(lee, scripted, "en", "success,7", {}).get_data(as_text=True)
    assert pages(csrf_app).hits == 0 and pages(csrf_app).misses == 3
    assert "(lee)" in other and "(kim)" not in other
    assert "Accepted for sending" in english


def test_pages_with_more_to_say_are_rendered_by_the_template(csrf_app, scripted):
    """An opted-out number's note, a page in a frame and a flashed message: never kept."""
    with csrf_app.app_context():
        optouts.add("010-7777-8888", via=OptOutVia.CLI, by=CLI_ACTOR)
    client = sign_in(csrf_app, "sender")
    for _ in range(2):
        noted = page(send(client, scripted, "ko", "success,9", {"rphone": "010-7777-8888"}))
        assert noted.select_one("#optouts-notice") is not None
        framed = page(send(client, scripted, "ko", "success,9", {"embed": "1"}))
        assert framed.select_one("#smsform-embed") is not None
        form = client.get("/smsform").get_data(as_text=True)
        with client.session_transaction() as session:
            session["_flashes"] = [("info", "한 번만")]
        flashed = client.post("/smssend", data={**valid_send(), **dict(TOKENS.findall(form))})
        assert "한 번만" in flashed.get_data(as_text=True)
    assert len(pages(csrf_app)) == 0
