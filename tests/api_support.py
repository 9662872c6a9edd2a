"""Helpers for the token API's tests: a user with a token, the send log's rows."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from smsform.extensions import db
from smsform.models import ApiToken, AuditEvent, Send
from smsform.services import accounts, api_tokens
from smsform.services.audit import CLI_ACTOR
from tests.support import make_user

PASSWORD = "a-long-enough-password"


def token_user(app: Flask, role: str = "sender", username: str | None = None,
               name: str = "test") -> str:
    """A new user with ``role`` and a live token of theirs; returns the token."""
    username = username or f"api-{role}"
    make_user(app, username, PASSWORD, role)
    with app.app_context():
        return api_tokens.create(accounts.find_user(username), name, by=CLI_ACTOR).token


def bearer(token: str, **headers: str) -> dict[str, str]:
    """The Authorization header for ``token``, with any others."""
    return {"Authorization": f"Bearer {token}", **headers}


def sends(app: Flask) -> list[Send]:
    """Every row of the send log, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(Send).order_by(Send.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def token_rows(app: Flask) -> list[ApiToken]:
    """Every stored token row."""
    with app.app_context():
        rows = db.session.execute(select(ApiToken).order_by(ApiToken.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def audit_events(app: Flask, *actions: str) -> list[AuditEvent]:
    """The audit trail's events of these actions, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(actions))
                                  .order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)
