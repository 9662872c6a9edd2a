"""Rendered pages and page parts kept per process, with holes for what changes on every request.

Opening the send form renders the same page again and again for the same person: only its
two one-time values differ (the CSRF token and the send token). Rendering it was about a
third of the form cycle's own time (docs/performance.md). A ``PageCache`` renders a page
once with a unique mark in place of each such value, keeps the text cut at the marks, and
on the next request with the same key joins the pieces around the new values, escaped as
the template would have escaped them. The output is byte for byte the page the template
renders (tests/test_page_cache.py renders both and compares).

What goes into the key is the caller's promise that nothing else changes the page; the
send form's key (views/send.py) holds the template, the language, the whole URL, the
person and everything the view hands over. Pages with a message flashed for them are
never cached (the flash would be shown once and kept forever).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from smsform.current import this_user

#: Pages kept per process (the least recently used leave first).
DEFAULT_SIZE = 128


class PageCache:
    """A bounded, thread-safe store of rendered pages cut at their holes."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[tuple[str, ...], tuple[str, ...]]] = \
            OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def render(self, key: Hashable, render: Callable[[Mapping[str, str]], str],
               holes: Mapping[str, str]) -> str:
        """The page for ``key`` with ``holes`` (name -> this request's value) filled in.

        ``render(marks)`` renders the page with ``marks[name]`` where each hole's value
        goes; it is called only when the page is not kept yet.
        """
        with self._lock:
            entry = self._pages.get(key)
            if entry is not None:
                self._pages.move_to_end(key)
                self.hits += 1
        if entry is None:
            marks = {name: f"\x1ehole-{secrets.token_hex(8)}-{name}\x1e" for name in holes}
            entry = _cut(render(marks), marks)
            with self._lock:
                self.misses += 1
                self._pages[key] = entry
                self._pages.move_to_end(key)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        pieces, names = entry
        values = [str(escape(holes[name])) for name in names]
        out = [pieces[0]]
        for value, piece in zip(values, pieces[1:], strict=True):
            out.append(value)
            out.append(piece)
        return "".join(out)

    def clear(self) -> None:
        """Forget every kept page."""
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def _cut(page: str, marks: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The text between the marks, and which hole each mark was."""
    if not marks:
        return (page,), ()
    by_mark = {mark: name for name, mark in marks.items()}
    pattern = re.compile("|".join(re.escape(mark) for mark in by_mark))
    pieces: list[str] = []
    names: list[str] = []
    start = 0
    for found in pattern.finditer(page):
        pieces.append(page[start:found.start()])
        names.append(by_mark[found.group()])
        start = found.end()
    pieces.append(page[start:])
    return tuple(pieces), tuple(names)


# -- the header of every page ---------------------------------------------------------------

#: The app's kept headers (``init_app``).
HEADERS = "smsform.page_headers"
HEADER_TEMPLATE = "components/header.html"


@pass_context
def page_header(context: Context) -> Markup:
    """The page's header (components/header.html) from the cache: kept per language, the
    request's method and URL (the navigation's current page, the language switch), the
    person (session, name, role) and the simulation banner, with a hole for the CSRF
    token of the sign-out form (only a signed-in person's header has one)."""
    user = this_user()  # one look-up, not five
    signed_in = bool(user.is_authenticated)
    key = (str(get_locale()), request.method, request.script_root, request.full_path,
           user.get_id() if signed_in else None, getattr(user, "username", None),
           getattr(user, "role", None), context.get("simulated"))
    template = current_app.jinja_env.get_template(HEADER_TEMPLATE)
    holes = {"csrf": csrf_token()} if signed_in else {}

    def render(marks: Mapping[str, str]) -> str:
        with csrf_token_as(marks.get("csrf")):
            return template.render(context.get_all())

    page = current_app.extensions[HEADERS].render(key, render, holes)
    return Markup(page)  # noqa: S704 - the template's own (escaped) output


#: Signed CSRF tokens by secret, session token and second (the last 1,024).
_SIGNED: dict[tuple[Any, str, int], str] = {}
_SIGNED_KEPT = 1024


def csrf_token() -> str:
    """This request's CSRF token: ``generate_csrf()``, whose bytes are the session's token
    signed with the time in whole seconds, so one signing a second serves every request of
    the session within it (a page's hole asks for it first; ``csrf_token()`` in a template
    then finds it where Flask-WTF keeps it)."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    made = g.get(field)
    if made is not None:
        return made
    raw = session.get(field)
    if not isinstance(raw, str):
        return generate_csrf()  # none yet: Flask-WTF makes the session's token
    second = int(time.time())
    key = (config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key), raw, second)
    token = _SIGNED.get(key)
    if token is not None:
        setattr(g, field, token)
        return token
    token = generate_csrf()
    if int(time.time()) == second:  # signed within the second it is kept under
        if len(_SIGNED) >= _SIGNED_KEPT:
            _SIGNED.clear()
        _SIGNED[key] = token
    return token


@contextmanager
def csrf_token_as(mark: str | None) -> Iterator[None]:
    """Within the block every ``csrf_token()`` of a template gives ``mark`` (a page's hole;
    None: leave it alone), after it this request's own token again. Flask-WTF keeps the
    request's token in ``g``; getting it first also puts the session's secret in place, as
    a render would."""
    if mark is None:
        yield
        return
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    own = csrf_token()
    setattr(g, field, mark)
    try:
        yield
    finally:
        setattr(g, field, own)


def init_app(app: Flask) -> None:
    """Keep the app's headers and give the templates ``page_header()``."""
    app.extensions[HEADERS] = PageCache()
    app.add_template_global(page_header)
