"""The result page of ``POST /smssend``, kept per shape with the send's words and figures as
holes (views/page_cache.py).

Every accepted send of the same person, language and kind gets the same page but for a
handful of values: the line under the heading, the result's words and code, the counts,
the credit left, the send's log link. Rendering it (the include of ``_outcome.html``, its
ten ``_()`` and three ``ngettext``, the header) was the largest part of the form's own
time after the send itself (docs/performance.md). Here the page is rendered once per
*shape*, with a mark in place of each value the card prints (``Shown``, the holes, and the
CSRF token of the header's sign-out form), and later sends of that shape join the kept
pieces around their own values, escaped as the template escapes them.

The shape is everything else the page depends on: the template, the language, the URL,
the person, the simulation banner, and of the send its ending, what was and was not logged
or said (no cost, no credit left, a reservation, a return address) and the plural form of
each count in the page's language. Pages that show more than this are rendered by the
template every time: in a frame (``embed=1``: its JSON block), with a message flashed for
them, or with the opt-out list's notes. tests/test_result_page.py renders every shape both
ways and compares the bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import Flask, current_app, render_template, request, session, url_for
from flask_babel import get_locale

from smsform import i18n, messages
from smsform.current import this_user
from smsform.services import form_input, gateway
from smsform.services.sending import SendResult
from smsform.views.page_cache import PageCache, csrf_token, csrf_token_as

#: The app's kept result pages, and its kept words of them (``keep``).
RESULT_PAGES = "smsform.result_pages"
RESULT_WORDS = "smsform.result_words"
TEMPLATE = "send/result.html"
#: Sentences kept per app before the store starts again.
WORDS_KEPT = 1024
#: A send number no log reaches: the log link's URL is built once around it.
_SEND_ID_MARK = 7_391_046_285_193
_UNBUILT = ("", "")


def keep(app: Flask) -> None:
    """Give ``app`` its store of result pages and of their words."""
    app.extensions[RESULT_PAGES] = PageCache()
    app.extensions[RESULT_WORDS] = {}


def _words(key: Hashable, make: Callable[[], str]) -> str:
    """The sentence ``make()`` says, kept under ``key`` (which holds the language and all
    else it depends on: the catalogs do not change while the app runs)."""
    kept: dict[Hashable, str] = current_app.extensions[RESULT_WORDS]
    text = kept.get(key)
    if text is None:
        if len(kept) >= WORDS_KEPT:
            kept.clear()
        text = kept[key] = make()
    return text


def next_step_text(result: SendResult) -> str:
    """``messages.next_step_text`` of an accepted send, made once per language, ending and
    number of recipients (its number format and plural form cost more than the page)."""
    count = result.request.recipient_count
    return _words(("next", str(get_locale()), result.status, count),
                  lambda: messages.next_step_text(result, count))


def code_text(result: str, code: str | None) -> str:
    """``messages.result_code_text``, made once per language, ending and code."""
    return _words(("code", str(get_locale()), result, code),
                  lambda: messages.result_code_text(result, code))


def _log_url(send_id: int) -> str:
    """``url_for("sends.show", send_id=send_id)``, built once per script root around a
    number no send has."""
    kept: dict[Hashable, tuple[str, str] | None] = current_app.extensions[RESULT_WORDS]
    key = ("log_url", request.script_root)
    around = kept.get(key, _UNBUILT)
    if around is _UNBUILT:
        before, mark, after = url_for("sends.show", send_id=_SEND_ID_MARK).partition(
            str(_SEND_ID_MARK))
        around = kept[key] = ((before, after) if mark and str(_SEND_ID_MARK) not in after
                              else None)
    if around is None:
        return url_for("sends.show", send_id=send_id)
    return f"{around[0]}{send_id}{around[1]}"


@dataclass(frozen=True)
class Shown:
    """Every value the outcome card prints (templates/send/_outcome.html and
    _reading.html, which the form shown again also includes), as the text it prints: the
    holes of a kept result page."""

    code: str = ""  # the gateway's code, or the ending's own word
    text: str = ""  # the line under the heading
    code_text: str = ""  # the result's words, with the gateway's code
    recipients: str = ""
    forecast: str = ""
    cost: str = ""  # "" when nobody knows (the page says "unknown")
    remaining: str = ""  # "" when the gateway did not say
    reserve_at: str = ""
    log_url: str = ""
    return_url: str = ""
    name_first: str = ""
    added_numbers: str = ""


#: The names of the holes.
_FIELDS = tuple(f.name for f in fields(Shown))


def reading(draft: form_input.Draft) -> Shown:
    """What _reading.html prints of how the recipients were read (the form shown again
    with its problems, no send's outcome above it)."""
    name_first, added = draft.recipients.name_first, draft.added_numbers
    return Shown(name_first=f"{name_first:,}" if name_first else "",
                 added_numbers=f"{added:,}" if added else "")


def shown(result: SendResult, draft: form_input.Draft | None, text: str, code_text: str,
          return_url: str | None = None) -> Shown:
    """What the outcome card of ``result`` prints, under ``text`` and ``code_text``."""
    sent = result.request
    cost, remaining = result.cost, result.remaining
    name_first = draft.recipients.name_first if draft else 0
    added = draft.added_numbers if draft else 0
    return Shown(
        code=result.code or "", text=text, code_text=code_text,
        recipients=f"{sent.recipient_count:,}", forecast=f"{sent.cost:,}",
        cost="" if cost is None else f"{cost:,}",
        remaining="" if remaining is None else f"{remaining:,}",
        reserve_at=sent.reserve_at.strftime("%Y-%m-%d %H:%M") if sent.reserve_at else "",
        log_url=_log_url(result.send_id) if result.send_id else "",
        return_url=return_url or "",
        name_first=f"{name_first:,}" if name_first else "",
        added_numbers=f"{added:,}" if added else "")


def _shape(result: SendResult, draft: form_input.Draft | None, return_url: str | None,
           return_url_refused: bool) -> Hashable:
    """Everything of a send that decides its page, except the values ``Shown`` prints: the
    ending, what is known, and each count's plural form in this request's language."""
    sent = result.request
    plural = i18n.plural_key
    cost = result.cost
    name_first = draft.recipients.name_first if draft else 0
    added = draft.added_numbers if draft else 0
    return (result.status, result.outcome_logged, bool(result.send_id), sent.kind == "L",
            plural(sent.recipient_count), plural(sent.cost),
            None if cost is None else plural(cost), cost == sent.cost,
            bool(sent.reserve_at), result.remaining is None,
            plural(name_first) if name_first else None, plural(added) if added else None,
            bool(return_url), return_url_refused)


def _kept(result: SendResult, extra: Mapping[str, Any]) -> bool:
    """True when the page may come from the cache: not in a frame (``extra``: its JSON
    block), no message flashed for it, nothing from the opt-out list to say."""
    return not extra and "_flashes" not in session and not (result.excluded or result.notices)


def render(result: SendResult, draft: form_input.Draft | None, text: str, code_text: str,
           return_url: str | None, return_url_refused: bool,
           extra: Mapping[str, Any]) -> str:
    """The result page of ``result`` (templates/send/result.html), from the cache when its
    shape was seen; ``extra``: the embedded page's values (embed.result_context)."""
    values = shown(result, draft, text, code_text, return_url)
    context = {"result": result, "draft": draft, "return_url": return_url,
               "return_url_refused": return_url_refused, **extra}
    if not _kept(result, extra):
        return render_template(TEMPLATE, shown=values, **context)
    user = this_user()  # one look-up, not three
    key = (TEMPLATE, str(get_locale()), request.script_root, request.full_path,
           user.get_id(), user.username, user.role, gateway.gateway().simulated,
           _shape(result, draft, return_url, return_url_refused))

    def render_marked(marks: Mapping[str, str]) -> str:
        with csrf_token_as(marks["csrf"]):
            return render_template(TEMPLATE, shown=Shown(**{f: marks[f] for f in _FIELDS}),
                                   **context)

    pages: PageCache = current_app.extensions[RESULT_PAGES]
    return pages.render(key, render_marked, {"csrf": csrf_token(), **vars(values)})
