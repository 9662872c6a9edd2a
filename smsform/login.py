"""Flask-Login wiring: who the signed-in user is, and what an anonymous visitor is told.

Sessions carry the user's id; ``accounts.load`` reads the account on every request, so
a removed or demoted account loses its rights at once. ``CREDENTIAL_LOADERS`` is where a
request that carries its own credentials (the API's bearer tokens, next) is recognised;
each loader returns a user or None.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Request, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from smsform.errors import ApiError, wants_json
from smsform.extensions import login_manager
from smsform.services import accounts

#: Loaders tried, in order, for a request that has no signed-in session.
CREDENTIAL_LOADERS: list[Callable[[Request], accounts.SignedInUser | None]] = []


def _from_request(req: Request) -> accounts.SignedInUser | None:
    for loader in CREDENTIAL_LOADERS:
        user = loader(req)
        if user is not None:
            return user
    return None


def _unauthorized() -> Response:
    """JSON callers get 401; a browser goes to sign in (or to set-up when nobody exists)."""
    if wants_json():
        raise ApiError(401, "unauthorized", str(_l("Sign in first.")))
    if not accounts.has_users():
        return redirect(url_for("auth.setup"))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    """Attach the login manager and its loaders to ``app``."""
    login_manager.init_app(app)
    # "basic" protection only marks a session not fresh when the address or browser
    # changes, which matters to fresh_login_required (unused here), and rewrites the
    # session cookie on every such request: sessions are ended by sign-out instead.
    login_manager.session_protection = None
    login_manager.user_loader(accounts.load)
    login_manager.request_loader(_from_request)
    login_manager.unauthorized_handler(_unauthorized)
