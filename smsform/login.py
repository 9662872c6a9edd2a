"""Flask-Login wiring: who the signed-in user is, and what an anonymous visitor is told.

Sessions carry the user's id; ``accounts.load`` reads the account on every request, so
a removed or demoted account loses its rights at once. The API's requests (its blueprints,
``BEARER_BLUEPRINTS``) are not Flask-Login's: the API's gate reads the bearer token itself
and makes its user ``current_user`` (``act_as``); no session's user is loaded for them.
"""

from __future__ import annotations

import time

from flask import Flask, Request, redirect, request, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from smsform.current import this_session
from smsform.errors import ApiError, status_text, wants_json
from smsform.extensions import login_manager
from smsform.services import accounts, api_tokens

#: Seconds between two notes of a session's last use.
SEEN_RESOLUTION = 60


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
    login_manager.unauthorized_handler(_unauthorized)
    idle = app.extensions["smsform.settings"].idle_minutes * 60

    @app.before_request
    def end_idle_sessions() -> None:
        """Sign out a session unused for the idle time; note use at most once a minute
        (so the cookie is not rewritten on every request)."""
        own = this_session()  # on every request: the object, not the proxy
        if "_user_id" not in own:
            return
        now, seen = int(time.time()), own.get("_seen")
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


def act_as(user: api_tokens.TokenUser) -> None:
    """Make a bearer token's user ``current_user`` for this request, in Flask-Login's own
    place for it, without its loaders (no session looked at, no signal sent). The API's gate
    calls it once the token is checked."""
    # Flask-Login has no public setter that leaves the session alone: this is what its own
    # request loader path does with the user it loads.
    login_manager._update_request_context_with_user(user)  # noqa: SLF001
