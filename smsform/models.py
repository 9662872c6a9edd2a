"""Database models: staff accounts (a send log joins them in a later step)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smsform.extensions import db


class User(db.Model):
    """A staff member who signs in to send or look up messages (rules: services.accounts)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="sender")
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))


class SendToken(db.Model):
    """A one-time token carried by each send form, so one form can send only once.

    Claimed (``used_at``) in its own commit before the gateway is called; the outcome
    is written after. A claimed token without an outcome means the send's fate is not
    known (the process stopped in between).
    """

    __tablename__ = "send_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)  # JSON
