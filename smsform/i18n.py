"""Korean first, English on request: the language of the current request and a picker."""

from __future__ import annotations

from flask import Flask, g, request, url_for

LANGUAGES = ("ko", "en")
COOKIE = "lang"


def current_lang() -> str:
    """The request's language: ``?lang=``, then the cookie, then Korean."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE) or "ko"
        g.lang = asked if asked in LANGUAGES else "ko"
    return g.lang


def t(ko: str, en: str) -> str:
    """Pick the Korean or the English text for this request."""
    return en if current_lang() == "en" else ko


def switch_url(lang: str) -> str:
    """This page in another language; a page that answered a POST links to the form."""
    if request.method != "GET" or request.endpoint is None:
        return url_for("send.smsform", lang=lang)
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    """Expose ``t`` and ``lang`` to templates and remember a ``?lang=`` choice."""
    app.jinja_env.globals.update(t=t, current_lang=current_lang, switch_url=switch_url)

    @app.after_request
    def remember_language(response):
        asked = request.args.get("lang")
        if asked in LANGUAGES and asked != request.cookies.get(COOKIE):
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response
