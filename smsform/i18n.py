"""Korean first, English on request: Flask-Babel's catalogs, the request's language, a picker.

Message ids are the English texts; Korean lives in ``translations/ko/LC_MESSAGES/messages.po``
(``make translations`` extracts and updates it, ``make install`` compiles it). English needs
no catalog: an id is its own English text. The scripts' strings reach the browser through
``smsform.views.form_config`` from the same compiled catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, Response, g, has_request_context, request, url_for
from flask_babel import get_locale, get_translations

from smsform.current import this_request
from smsform.extensions import babel

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale(by_accept_language: frozenset[str] = frozenset()) -> str:
    """The request's language: ``?lang=``, then the cookie, then Korean; on a request of
    one of the blueprints ``by_accept_language`` (the API's: a program calls it, not a
    browser) what its ``Accept-Language`` prefers, English or else Korean, as its problems
    are worded (``accepted_language``). Flask-Babel asks once a request."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.blueprint in by_accept_language:
        return accepted_language()
    asked = request.args.get("lang") or request.cookies.get(COOKIE) or DEFAULT_LANGUAGE
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def current_lang() -> str:
    """The request's language code (``ko`` or ``en``), for views and templates."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


def switch_url(lang: str) -> str:
    """This page in another language; a page that answered a POST links to the form."""
    if request.method != "GET" or request.endpoint is None:
        return url_for("send.smsform", lang=lang)
    values: dict[str, Any] = {**request.args.to_dict(flat=False), **(request.view_args or {}),
                              "lang": [lang]}
    return url_for(request.endpoint, **values)


def _catalog() -> Translations | NullTranslations:
    """The request's catalog for the templates, found once per request and locale.

    Flask-Babel's own ``get_translations`` looks up the request's context, its locale and
    the locale's name through Werkzeug's proxies on every call, and a page makes dozens;
    this keeps what it found beside the locale it found it for (a ``force_locale`` sets
    another locale object, so it is looked up anew)."""
    context = g.get("_flask_babel")
    if context is None:
        return get_translations()
    locale = getattr(context, "babel_locale", None)
    kept = getattr(context, "smsform_catalog", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()  # also settles the locale on the context
    context.smsform_catalog = (getattr(context, "babel_locale", None), found)
    return found


def accepted_language() -> str:
    """The language a caller asks for with ``Accept-Language``: English when it prefers
    English, otherwise Korean."""
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def plural_key(count: int) -> tuple[int, bool]:
    """What decides the words of ``count`` in this request's language: the catalog's plural
    form, and whether it is one (the source text's rule, which a text the catalog lacks
    follows)."""
    return _catalog().plural(count), count == 1


def init_app(app: Flask, by_accept_language: frozenset[str] = frozenset()) -> None:
    """Wire Flask-Babel (``_``, ``gettext``, ``ngettext`` in Jinja) and remember ``?lang=``;
    the blueprints ``by_accept_language`` speak what a request's Accept-Language prefers."""

    def selector() -> str:
        return select_locale(by_accept_language)

    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=selector,
                   default_translation_directories=str(TRANSLATIONS),
                   default_timezone="Asia/Seoul")
    # A method the jinja2.ext.i18n extension (loaded by Flask-Babel) adds to the environment.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(current_lang=current_lang, switch_url=switch_url)

    @app.after_request
    def remember_language(response: Response) -> Response:
        # most requests: no parsing at all (and the request itself, not the proxy)
        if b"lang=" not in this_request().query_string:
            return response
        asked = request.args.get("lang")
        if asked in LANGUAGES and asked != request.cookies.get(COOKIE):
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response
