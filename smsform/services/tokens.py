"""One-time send tokens: a form, a double click or a browser's "resend" sends only once."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from smsform.extensions import db
from smsform.models import SendToken

LIFETIME = timedelta(hours=24)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored naive, in UTC


def issue(user_id: int) -> str:
    """A fresh token for one send form; forgets tokens older than a day."""
    now = _now()
    db.session.execute(delete(SendToken).where(SendToken.created_at < now - LIFETIME))
    token = secrets.token_urlsafe(24)
    db.session.add(SendToken(token=token, user_id=user_id, created_at=now))
    db.session.commit()
    return token


@dataclass(frozen=True)
class Claim:
    """Whether a token may send now, and if not, what is known of its earlier use."""

    ok: bool
    reason: str = ""  # "used" or "unknown"
    outcome: dict[str, Any] | None = None


_tokens = SendToken.__table__


def claim(token: str, user_id: int) -> Claim:
    """Mark the token used, atomically; only the first claim of a token succeeds.

    Plain statements in their own transaction, not the ORM session: this runs on every
    send, and the claim must be committed before anything reaches the gateway.
    """
    now = _now()
    with db.engine.begin() as connection:
        claimed = connection.execute(
            update(_tokens)
            .where(_tokens.c.token == token, _tokens.c.user_id == user_id,
                   _tokens.c.used_at.is_(None), _tokens.c.created_at >= now - LIFETIME)
            .values(used_at=now)).rowcount == 1
        row = None if claimed else connection.execute(
            select(_tokens.c.user_id, _tokens.c.used_at, _tokens.c.outcome)
            .where(_tokens.c.token == token)).first()
    if claimed:
        return Claim(True)
    if row is None or row.user_id != user_id or row.used_at is None:
        return Claim(False, "unknown")
    return Claim(False, "used", json.loads(row.outcome) if row.outcome else None)


def from_key(key: str, user_id: int) -> str | None:
    """The token row for a caller's own ``Idempotency-Key`` (made on first sight), or None."""
    key = key.strip()
    if not key or len(key) > 40 or not key.isprintable():
        return None
    token = f"key:{user_id}:{key}"
    if db.session.get(SendToken, token) is None:
        db.session.add(SendToken(token=token, user_id=user_id, created_at=_now()))
        try:
            db.session.commit()
        except IntegrityError:  # the same key arrived twice at once; the row exists now
            db.session.rollback()
    return token


def release(token: str) -> None:
    """Make the token usable again: its send certainly did not happen (refused, not sent)."""
    with db.engine.begin() as connection:
        connection.execute(update(_tokens).where(_tokens.c.token == token)
                           .values(used_at=None, outcome=None))


def finish(token: str, outcome: dict[str, Any]) -> None:
    """Keep what became of the token's send, for a repeated submission to show."""
    with db.engine.begin() as connection:
        connection.execute(update(_tokens).where(_tokens.c.token == token)
                           .values(outcome=json.dumps(outcome, ensure_ascii=False)))
