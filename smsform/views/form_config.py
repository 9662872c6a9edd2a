"""The send form's config block: the rules its script checks, its strings and its URLs.

The page renders ``form_config()`` as JSON into ``<script type="application/json"
id="smsform-config">`` (a data block: nothing runs, so the CSP stays 'self'), and
static/js/main.js starts the form's modules with it. The rules are the library's own
constants, so no limit is written twice; the strings are the ``gettext``/``ngettext`` ids
of static/js, translated from the same catalog as the pages.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file
from flask import current_app, request, url_for
from flask_babel import get_locale, get_translations

from cafe24 import message, phone, schedule, text
from smsform.services import compliance, credit

#: The JavaScript calls that mark a string for translation (static/js/i18n.js).
JS_KEYWORDS = {"gettext": None, "ngettext": (1, 2)}
_MINUTE = timedelta(minutes=1)

MsgId = str | tuple[str, str]


def rules() -> dict[str, Any]:
    """The limits and characters the form's script checks, from cafe24's constants."""
    return {
        "smsLimit": message.SMS_LIMIT,
        "lmsLimit": message.LMS_LIMIT,
        "subjectLimit": message.SUBJECT_LIMIT,
        "creditCost": dict(message.CREDIT_COST),
        "maxRecipients": phone.MAX_RECIPIENTS,
        "namePlaceholder": message.NAME_PLACEHOLDER,
        "nameLimit": message.NAME_LIMIT,
        "refusedChars": list(message.REFUSED_CHARS),
        "messageControls": text.MESSAGE_CONTROLS,
        "kstOffsetMinutes": schedule.KST.utcoffset(None) // _MINUTE,
        "reservationLeadMinutes": schedule.RESERVATION_LEAD // _MINUTE,
        "reservationHorizonDays": schedule.RESERVATION_HORIZON.days,
        "repeatNumMin": schedule.REPEAT_NUM_MIN,
        "repeatNumMax": schedule.REPEAT_NUM_MAX,
        "repeatTimeMin": schedule.REPEAT_TIME_MIN,
        "repeatTimeMax": schedule.REPEAT_TIME_MAX,
    }


def advertising_rules(ad: compliance.AdRules | None = None) -> dict[str, Any]:
    """What the advertising switch writes around the text (static/js/form/advertising.js
    builds it as ``compliance.AdRules.build`` does), and the settings it lacks (the running
    app's, unless ``ad`` says)."""
    ad = ad or compliance.AdRules.of_app()
    return {"label": compliance.LABEL, "firstLine": compliance.LABEL + ad.sender_name,
            "optoutLine": ad.optout_line,
            "blanks": compliance.BLANKS, "missing": list(ad.missing()),
            "nightStart": compliance.NIGHT_START.strftime("%H:%M"),
            "nightEnd": compliance.NIGHT_END.strftime("%H:%M")}


@cache
def js_msgids(folder: str) -> tuple[MsgId, ...]:
    """Every message id the scripts under ``folder`` use, once each (read once per process).

    A plural id is its (singular, plural) pair.
    """
    found: dict[MsgId, None] = {}
    for path in sorted(Path(folder).rglob("*.js")):
        for _lineno, msgid, _comments, _context in extract_from_file(
                "javascript", str(path), keywords=JS_KEYWORDS):
            # ngettext's two ids (JS_KEYWORDS) come as a pair, gettext's as one string.
            key: MsgId = (msgid[0], msgid[1]) if isinstance(msgid, (list, tuple)) else msgid
            found[key] = None
    return tuple(found)


def js_messages() -> dict[str, str | list[str]]:
    """The scripts' strings in the request's language: id -> text, or for a plural id,
    singular -> [the form for one, the form for other counts]. Made once per language and
    folder (the catalogs are compiled before the app starts); not to be changed."""
    folder = Path(current_app.static_folder or "static") / "js"
    return _js_messages(str(get_locale()), str(folder))


@lru_cache(maxsize=16)
def _js_messages(locale: str, folder: str) -> dict[str, str | list[str]]:
    """``js_messages`` for ``locale`` (the request's: its catalog is ``get_translations``)."""
    translations = get_translations()
    messages: dict[str, str | list[str]] = {}
    for msgid in js_msgids(folder):
        if isinstance(msgid, tuple):
            singular, plural = msgid
            messages[singular] = [translations.ungettext(singular, plural, 1),
                                  translations.ungettext(singular, plural, 2)]
        else:
            messages[msgid] = translations.ugettext(msgid)
    return messages


def known_credit() -> str:
    """The credit last known as JSON (``null``: none is), so the form can say before the
    send that its cost is over it, as the send service will refuse it. Its own data block
    (``#smsform-credit``), which main.js puts in the rules object as ``knownCredit``: it
    changes with every send, and the rest of the page is kept (views/page_cache.py)."""
    known = credit.last_known()
    return json.dumps(known[1] if known is not None else None)


#: Where each app keeps its configs made (``form_config``), by language, script root and
#: advertising settings.
_CONFIGS = "smsform.form_configs"


def form_config() -> dict[str, Any]:
    """The send form's config block: ``rules``, ``advertising``, ``messages`` and ``urls``
    (made once per language, script root and advertising settings; not to be changed)."""
    return _made_config()[0]


def form_config_key() -> str:
    """``form_config()`` as sorted JSON: what the page cache keys the opened form by."""
    return _made_config()[1]


def form_config_and_key() -> tuple[dict[str, Any], str]:
    """``form_config()`` and ``form_config_key()`` at once (one look-up)."""
    return _made_config()


def _made_config() -> tuple[dict[str, Any], str]:
    ad = compliance.AdRules.of_app()
    key = (str(get_locale()), request.script_root, ad)
    made: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = current_app.extensions.setdefault(
        _CONFIGS, {})
    found = made.get(key)
    if found is None:
        config = {
            "rules": rules(),
            "advertising": advertising_rules(ad),
            "messages": js_messages(),
            "urls": {"senders": url_for("lookup.calljson"),
                     "templates": url_for("templates.choices"),
                     "groups": url_for("contacts.groups_json")},
        }
        found = made[key] = (config, json.dumps(config, sort_keys=True, ensure_ascii=False))
    return found
