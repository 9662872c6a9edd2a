"""Flask-Login wiring: who the signed-in user is, and what an anonymous visitor is told.

Sessions carry the user's id; ``accounts.load`` reads the account on every request, so
a removed or demoted account loses its rights at once. ``CREDENTIAL_LOADERS`` is where a
request that carries its own credentials (the API's bearer tokens, ``_from_bearer``) is
recognised; each loader returns a user or None.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Request, redirect, request, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from smsform.errors import ApiError, status_text, wants_json
from smsform.extensions import login_manager
from smsform.services import accounts, api_tokens

#: Seconds between two notes of a session's last use.
SEEN_RESOLUTION = 60

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
        raise ApiError(401, "unauthorized", status_text(401))
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
    idle = app.extensions["smsform.settings"].idle_minutes * 60

    @app.before_request
    def end_idle_sessions() -> None:
        """Sign out a session unused for the idle time; note use at most once a minute
        (so the cookie is not rewritten on every request)."""
        if "_user_id" not in session:
            return
        now, seen = int(time.time()), session.get("_seen")
        # Sign-in notes the time (note_use); a signed-in session without it was not made
        # here as it is now, so it counts as idle rather than as just used.
        if not isinstance(seen, int) or now - seen > idle:
            logout_user()
            session.clear()
        elif now - seen >= SEEN_RESOLUTION:
            note_use()


def note_use() -> None:
    """Note that the session is in use now (sign-in, then at most once a minute)."""
    session["_seen"] = int(time.time())


# --- bearer tokens (the API) -----------------------------------------------------------

#: Blueprints whose requests are recognised by a bearer token (never by the session).
BEARER_BLUEPRINTS = frozenset({"api", "api_contacts", "api_optouts", "api_jobs"})


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    scheme, _, value = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _from_bearer(req: Request) -> accounts.SignedInUser | None:
    """The user of a live API token, on the API's requests; reads no session, writes none."""
    if req.blueprint not in BEARER_BLUEPRINTS:
        return None
    token = bearer_token(req)
    return api_tokens.authenticate(token) if token else None


def act_as_bearer(req: Request) -> api_tokens.TokenUser | None:
    """On an API request that also carries a signed-in session cookie, make the bearer
    token's user ``current_user`` instead of the session's (the API knows tokens only)."""
    user = _from_bearer(req)
    if user is not None:
        # Flask-Login has no public setter that leaves the session alone: this is what
        # its request loader path does with the user it loads.
        login_manager._update_request_context_with_user(user)  # noqa: SLF001
    return user


CREDENTIAL_LOADERS.append(_from_bearer)
