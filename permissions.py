"""Who may do what: sign-in and role checks as view decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for

from extensions import db
from models import User


def load_user() -> None:
    """Put the signed-in user (or None) on ``g`` for this request."""
    user_id = session.get("user_id")
    g.user = db.session.get(User, user_id) if user_id else None


def wants_json() -> bool:
    """True when the caller prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.args.get("format") == "json"


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to sign in (or to first set-up when nobody exists yet)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            if wants_json():
                abort(401)
            if db.session.query(User.id).first() is None:
                return redirect(url_for("auth.setup"))
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def sender_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only admins and senders may send; viewers get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.user.can_send:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
