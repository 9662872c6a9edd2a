"""Korean first, English on request: Flask-Babel's catalogs, the request's language, a picker.

Message ids are the English texts; Korean lives in ``translations/ko/LC_MESSAGES/messages.po``
(``make translations`` extracts and updates it, ``make install`` compiles it). English needs
no catalog: an id is its own English text. The scripts' strings reach the browser through
``smsform.views.form_config`` from the same compiled catalog.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, has_request_context, request, url_for
from flask_babel import get_locale

from smsform.extensions import babel

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """The request's language: ``?lang=``, then the cookie, then Korean."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
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
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    """Wire Flask-Babel (``_``, ``gettext``, ``ngettext`` in Jinja) and remember ``?lang=``."""
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS),
                   default_timezone="Asia/Seoul")
    app.jinja_env.globals.update(current_lang=current_lang, switch_url=switch_url)

    @app.after_request
    def remember_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES and asked != request.cookies.get(COOKIE):
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response
