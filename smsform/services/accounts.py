"""Staff accounts: each rule written once (names, password length, hashing, sign-in).

Views, forms and the CLI use these; none of them hashes a password or counts users itself.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from smsform.extensions import db
from smsform.models import User
from smsform.permissions import DEFAULT_ROLE, ROLES, Permission, role_allows

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
USERNAME_MIN, USERNAME_MAX = 3, 64
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]+")


class AccountError(ValueError):
    """An account could not be made or changed; ``code`` says why (see smsform.messages)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """The signed-in staff member as a request needs them (no ORM object kept around)."""

    id: int
    username: str
    role: str

    def can(self, permission: Permission) -> bool:
        """True when this user's role has ``permission``."""
        return role_allows(self.role, permission)

    @property
    def can_send(self) -> bool:
        """Admins and senders may send; viewers only look."""
        return self.can(Permission.SEND)


_users = User.__table__
_USER_BY_ID = select(_users.c.id, _users.c.username, _users.c.role).where(
    _users.c.id == bindparam("id"))


def load(user_id: str) -> SignedInUser | None:
    """The user behind a session's id: one indexed read, every request, never cached,
    so a deleted or demoted account loses its rights at once."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    with db.engine.connect() as connection:
        row = connection.execute(_USER_BY_ID, {"id": key}).first()
    return SignedInUser(row.id, row.username, row.role) if row is not None else None


def hash_password(password: str) -> str:
    """A salted hash: Werkzeug's default (scrypt) unless the settings pick a cheaper one
    (tests do)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else (
        generate_password_hash(password))


@cache
def _dummy_hash(method: str | None) -> str:
    secret = secrets.token_hex(16)
    return generate_password_hash(secret, method=method) if method else (
        generate_password_hash(secret))


def has_users() -> bool:
    """True once any account exists (so first set-up is over)."""
    return db.session.execute(select(User.id).limit(1)).first() is not None


def check_username(username: str) -> str:
    """The trimmed user name, or AccountError."""
    name = username.strip()
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise AccountError("username_length", min=USERNAME_MIN, max=USERNAME_MAX)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError("username_chars")
    return name


def check_password(password: str) -> str:
    """The password if it is long enough (and not absurdly long), or AccountError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long", max=MAX_PASSWORD_LENGTH)
    return password


def create_user(username: str, password: str, role: str = DEFAULT_ROLE) -> User:
    """Add an account after checking every rule; AccountError says what is wrong."""
    name = check_username(username)
    check_password(password)
    if role not in ROLES:
        raise AccountError("unknown_role", role=role)
    user = User(username=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("username_taken", username=name) from None
    return user


def authenticate(username: str, password: str) -> User | None:
    """The account these credentials open, or None; an unknown name costs the same time
    as a known one, so timing does not tell who exists."""
    user = db.session.execute(
        select(User).filter_by(username=username.strip())).scalar_one_or_none()
    if user is None:
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD")),
                            password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
