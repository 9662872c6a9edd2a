"""Korean by default, English on request (``?lang=en``, remembered in a cookie); the
catalogs: every English id in the sources has a Korean translation, placeholders and plurals
agree, and the committed template and compiled catalog are up to date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import gettext, ngettext

from cafe24 import codes
from smsform import i18n
from tests.support import field_errors, page, valid_send

JSON = {"Accept": "application/json"}
ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
KO_PO = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
KO_MO = KO_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def read_catalog(path: Path, locale: str | None = None):
    """A .po or .pot file, parsed."""
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def key(message) -> tuple[str | None, str | tuple[str, ...]]:
    """A message's (context, id); a plural id as a tuple (singular, plural)."""
    return message.context, tuple(message.id) if isinstance(message.id, list | tuple) else (
        message.id)


def ids(catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    """The (context, id) of every message (not the header)."""
    return {key(m) for m in catalog if m.id}


def forms(message) -> tuple[str, ...]:
    """A message's translation(s): one string, or one per plural form."""
    if isinstance(message.string, list | tuple):
        return tuple(message.string)
    return (message.string,)


def placeholders(text: str) -> set[str]:
    """The names of the %(name)s placeholders in ``text``."""
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> object:
    """The template extracted afresh from the sources, with the Makefile's own command."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(["make", "--silent", "--no-print-directory", "extract", f"POT={pot}",
                    f"BIN={Path(sys.executable).parent}"], cwd=ROOT, check=True,
                   capture_output=True)
    return read_catalog(pot)


@pytest.fixture(scope="module")
def korean():
    """The Korean catalog as committed."""
    return read_catalog(KO_PO, "ko")


def _h1(response) -> str:
    return page(response).select_one("main h1").get_text(strip=True)


def test_korean_is_the_default(admin_client):
    response = admin_client.get("/smsform")
    soup = page(response)
    assert soup.html["lang"] == "ko"
    assert _h1(response) == "문자 보내기"
    assert soup.select_one("header .tools a[hreflang=en]")["href"] == "/smsform?lang=en"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_lang_en_switches_the_text_and_sets_a_cookie(admin_client):
    response = admin_client.get("/smsform?lang=en")
    soup = page(response)
    assert soup.html["lang"] == "en"
    assert _h1(response) == "Send a message"
    assert soup.select_one("label[for=rphone]").get_text(strip=True) == "Recipient numbers"
    assert soup.select_one("header .tools a[hreflang=ko]")["href"] == "/smsform?lang=ko"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;")
    assert "SameSite=Lax" in cookie


def test_the_cookie_keeps_english_until_korean_is_chosen(admin_client):
    admin_client.get("/smsform?lang=en")
    assert _h1(admin_client.get("/smscount")) == "Remaining credit"
    back = admin_client.get("/smscount?lang=ko")
    assert _h1(back) == "잔여 건수"
    assert back.headers["Set-Cookie"].startswith("lang=ko;")
    assert _h1(admin_client.get("/smscount")) == "잔여 건수"


@pytest.mark.parametrize("asked", ["fr", "EN", "", "en;drop"])
def test_unknown_languages_fall_back_to_korean(admin_client, asked):
    response = admin_client.get("/smsform", query_string={"lang": asked})
    assert page(response).html["lang"] == "ko"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_english_pages_before_sign_in(app, client):
    response = client.get("/setup?lang=en")
    assert _h1(response) == "Create the administrator"


def test_english_validation_messages(admin_client):
    response = admin_client.post("/smssend?lang=en", data=valid_send(msg=""))
    soup = page(response)
    assert field_errors(soup, "msg") == ["Please enter a message"]
    assert soup.select_one("#error-summary h2").get_text(strip=True) == (
        "Not sent. Please fix the items below.")
    assert soup.select_one('#error-summary a[href="#msg"]').get_text(strip=True) == (
        "Message: Please enter a message")


def test_english_send_result(admin_client, no_credit_account):
    response = admin_client.post("/smssend?lang=en", data=valid_send())
    card = page(response).select_one("#send-result")
    assert card.select_one("h2").get_text(strip=True) == "The gateway refused the send"
    assert card.select_one("#result-message").get_text(strip=True) == (
        codes.describe_send("-201").text("en"))


def test_english_json_answers(admin_client, backend):
    backend.inject("drop")
    body = admin_client.post("/smssend?lang=en", headers=JSON, data=valid_send()).get_json()
    assert body["message"].startswith("Unknown whether the message was sent")
    invalid = admin_client.post("/smssend?lang=en", headers=JSON,
                                data=valid_send(msg="")).get_json()
    assert invalid["message"] == "Check your input: Please enter a message"


def test_english_results(admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-3333-0000"))
    items = admin_client.get("/smsresult?lang=en", headers=JSON).get_json()["items"]
    assert sorted(i["statusText"] for i in items) == ["delivered", "failed"]
    assert {i["sendTypeText"] for i in items} == {"immediate"}
    failed = next(i for i in items if i["sendStatus"] == "9")
    assert failed["resultText"] == codes.describe_delivery("3208").text("en")


def test_english_credit_page(admin_client):
    soup = page(admin_client.get("/smscount?lang=en"))
    assert soup.select_one("#remaining").get_text(strip=True) == "1,000 credits"


def test_the_language_link_keeps_the_filters_of_a_results_page(admin_client):
    soup = page(admin_client.get("/smsresult?sendType=reserve&day=3"))
    href = soup.select_one("header .tools a[hreflang=en]")["href"]
    assert href.startswith("/smsresult?")
    assert {"sendType=reserve", "day=3", "lang=en"} <= set(href.split("?", 1)[1].split("&"))


def test_the_language_link_of_a_send_result_leads_to_the_form_not_a_405(admin_client):
    soup = page(admin_client.post("/smssend", data=valid_send()))
    href = soup.select_one("header .tools a[hreflang=en]")["href"]
    assert href == "/smsform?lang=en"
    assert admin_client.get(href).status_code == 200


def test_the_committed_template_is_up_to_date(extracted):
    committed = ids(read_catalog(TRANSLATIONS / "messages.pot"))
    assert ids(extracted) - committed == set(), "new ids: run `make translations`"
    assert committed - ids(extracted) == set(), "ids gone from the sources: run `make translations`"


def test_every_id_in_the_sources_has_a_korean_translation(extracted, korean):
    translated = {key(m) for m in korean if m.id and not m.fuzzy and all(forms(m))}
    untranslated = sorted(map(str, ids(extracted) - translated))
    assert untranslated == [], "translate these in translations/ko/LC_MESSAGES/messages.po"


def test_the_korean_catalog_has_one_plural_form(korean):
    assert korean.num_plurals == 1
    assert korean.plural_expr == "0"


def test_korean_placeholders_match_the_english_ones(korean):
    wrong = []
    for message in korean:
        if not message.id or not all(forms(message)):
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        # Korean has one form for every count, so it takes the plural's names (and num).
        expected = placeholders(english[-1])
        for text in forms(message):
            names = placeholders(text)
            allowed = expected | ({"num"} if len(english) > 1 else set())
            if not expected <= names <= allowed:
                wrong.append((english[0], text))
            try:  # a stray % would break Jinja's gettext, which always formats
                text % dict.fromkeys(names, 1)
            except (ValueError, TypeError, KeyError):
                wrong.append((english[0], text))
    assert wrong == []
    assert [str(error) for _, errors in korean.check() for error in errors] == []


def test_the_english_ids_format_cleanly(extracted):
    broken = []
    for message in extracted:
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            try:
                text % dict.fromkeys(placeholders(text), 1)
            except (ValueError, TypeError, KeyError):
                broken.append(text)
    assert broken == [], "write a literal % as %% in a message id"


def test_the_compiled_catalog_matches_the_po(korean):
    assert KO_MO.exists(), "run `make install` (it compiles the catalogs)"
    with KO_MO.open("rb") as f:
        compiled = {key(m): forms(m) for m in read_mo(f) if m.id}
    expected = {key(m): forms(m) for m in korean if m.id and not m.fuzzy and all(forms(m))}
    # (pybabel compiles an untranslated plural as its English forms: leave those out)
    assert {k: v for k, v in compiled.items() if k in expected} == expected, (
        "the .mo is stale: run `make install`")


def plural_messages() -> list:
    """The catalog's ngettext ids (checked in both languages)."""
    return [m for m in read_catalog(KO_PO, "ko") if isinstance(m.id, tuple)]


def test_the_sources_use_plurals():
    assert plural_messages(), "counts in sentences go through ngettext"


@pytest.mark.parametrize("message", plural_messages(), ids=lambda m: m.id[0])
def test_ngettext_picks_the_english_form_and_the_one_korean_form(app, message):
    singular, plural = message.id
    names = placeholders(singular) | placeholders(plural)
    values = dict.fromkeys(names - {"num"}, "X")
    for n in (1, 2, 5):
        expected_en = (singular if n == 1 else plural) % {**values, "num": n}
        with app.test_request_context("/?lang=en"):
            assert ngettext(singular, plural, n, **values) == expected_en
            # Jinja's gettext marks the text itself safe (it is ours) and escapes the values.
            assert render_template_string(
                "{{ ngettext(s, p, n, **v) }}", s=singular, p=plural, n=n, v=values,
            ) == expected_en
        with app.test_request_context("/"):
            assert ngettext(singular, plural, n, **values) == (
                message.string[0] % {**values, "num": n})


def test_gettext_follows_the_request_language(app, korean):
    message = next(m for m in korean if m.id and isinstance(m.id, str)
                   and not placeholders(m.id) and m.string)
    with app.test_request_context("/"):
        assert gettext(message.id) == message.string
        assert render_template_string("{{ _(s) }}", s=message.id) == message.string % {}
        assert i18n.current_lang() == "ko"
    with app.test_request_context("/?lang=en"):
        assert gettext(message.id) == message.id
        assert i18n.current_lang() == "en"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert gettext(message.id) == message.id
    with app.test_request_context("/?lang=ko", headers={"Cookie": "lang=en"}):
        assert gettext(message.id) == message.string


def test_accept_language_does_not_switch_a_fresh_client_to_english(client):
    response = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"},
                          follow_redirects=True)
    assert page(response).html["lang"] == "ko"


def test_each_sentence_of_the_apps_python_is_written_once():
    # One sentence, one place: a second copy drifts from the first (a word changed in one
    # only). A label of one or two words (a column's "Subject") may stand in two tables;
    # templates may repeat one too.
    from babel.messages.extract import extract_from_dir

    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
                "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
    places: dict[object, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=[("smsform/**.py", "python"), ("app.py", "python")],
            keywords=keywords):
        places.setdefault(message, []).append(f"{filename}:{line}")
    sentences = {m: p for m, p in places.items()
                 if len(p) > 1 and len(str(m if isinstance(m, str) else m[0]).split()) > 2}
    assert sentences == {}
