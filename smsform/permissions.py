"""Who may do what: sign-in and role checks as view decorators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import bindparam, select

from smsform.extensions import db
from smsform.models import User


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in staff member, as the request needs them (no ORM object kept on g)."""

    id: int
    username: str
    role: str

    @property
    def can_send(self) -> bool:
        """Admins and senders may send; viewers only look."""
        return self.role in ("admin", "sender")


_users = User.__table__
_USER_BY_ID = select(_users.c.id, _users.c.username, _users.c.role).where(
    _users.c.id == bindparam("id"))


def load_user() -> None:
    """Put the signed-in user (or None) on ``g``: one indexed read, every request.

    Read through a plain connection, not the ORM, because it runs on every request
    and a deleted or demoted account must lose its rights at once, so no caching.
    """
    user_id = session.get("user_id")
    g.user = None
    if user_id is None:
        return
    with db.engine.connect() as connection:
        row = connection.execute(_USER_BY_ID, {"id": user_id}).first()
    if row is not None:
        g.user = CurrentUser(row.id, row.username, row.role)


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
