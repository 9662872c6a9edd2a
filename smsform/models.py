"""Database models: staff accounts (a send log joins them in a later step)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from smsform.extensions import db

ROLES = ("admin", "sender", "viewer")


class User(db.Model):
    """A staff member who signs in to send or look up messages."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="sender")
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))

    def set_password(self, password: str) -> None:
        """Store a salted hash, never the password."""
        # Tests may pick a cheaper method; production keeps Werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = (generate_password_hash(password, method=method) if method
                              else generate_password_hash(password))

    def check_password(self, password: str) -> bool:
        """Compare a password with the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def can_send(self) -> bool:
        """Admins and senders may send; viewers only look."""
        return self.role in ("admin", "sender")


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
