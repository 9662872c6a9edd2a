"""API tokens: made and shown once, kept as a digest, recognised, listed and revoked.

A token reads ``smsf_<prefix>_<secret>``: the prefix (12 hex digits, not secret) finds
its row, and the SHA-256 of the whole token is compared with the stored one in constant
time. The secret is 32 random bytes, so a slow password hash would add nothing. A token
acts with its user's role as it is now: a disabled user's tokens stop, a demoted user's
tokens lose the rights at once. Every creation and revocation is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update

from smsform.extensions import db
from smsform.models import ApiToken, User, in_korea, utcnow
from smsform.permissions import Permission
from smsform.services import audit, hot_writes
from smsform.services.accounts import SignedInUser
from smsform.services.hot_writes import HotRead
from smsform.services.refusals import Refusal

SCHEME = "smsf"
NAME_MAX = 64
#: How often a token's ``last_used_at`` is written at most (a read costs no write).
USE_RESOLUTION = timedelta(seconds=60)
_SHAPE = re.compile(rf"{SCHEME}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")

_tokens = ApiToken.__table__
_users = User.__table__


class TokenError(Refusal):
    """A token could not be made or found; ``code`` says why."""


@dataclass(frozen=True)
class TokenUser(SignedInUser):
    """The user a bearer token acts as (Flask-Login's ``current_user`` on API requests).

    A token is its own credential: a password an administrator chose does not stop it. A
    read-only token has its user's rights but sending (``Permission.SEND``).
    """

    token_id: int = 0
    read_only: bool = False

    def can(self, permission: Permission) -> bool:
        """The user's right, less sending for a read-only token."""
        if self.read_only and permission is Permission.SEND:
            return False
        return super().can(permission)


@dataclass(frozen=True)
class Issued:
    """A new token: the only time its whole value is known."""

    id: int
    name: str
    token: str


@dataclass(frozen=True)
class TokenInfo:
    """A token as lists show it (times in Korea time); never its value."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    read_only: bool = False

    @property
    def active(self) -> bool:
        """True until the token is revoked."""
        return self.revoked_at is None


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    """The trimmed token name, or TokenError."""
    name = name.strip()
    if not name:
        raise TokenError("name_empty")
    if len(name) > NAME_MAX:
        raise TokenError("name_too_long", max=NAME_MAX)
    if not name.isprintable():
        raise TokenError("name_chars")
    return name


def _active_named(user_id: int, name: str) -> int | None:
    return db.session.execute(select(_tokens.c.id).where(
        _tokens.c.user_id == user_id, _tokens.c.name == name,
        _tokens.c.revoked_at.is_(None))).scalar()


def _live_count(user_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(_tokens).where(
        _tokens.c.user_id == user_id, _tokens.c.revoked_at.is_(None))).scalar_one()


def create(user: User, name: str, *, by: audit.AuditActor, read_only: bool = False) -> Issued:
    """A new token for ``user`` named ``name`` (unique among their live tokens), audited;
    at most SMSFORM_MAX_TOKENS live ones per user (two made at the same instant may pass
    the count together: the cap bounds how many tokens a user's rate is spread over)."""
    name = check_name(name)
    if not user.active:
        raise TokenError("user_disabled", username=user.username)
    if _active_named(user.id, name) is not None:
        raise TokenError("name_taken", name=name)
    most = current_app.extensions["smsform.settings"].max_tokens
    if _live_count(user.id) >= most:
        raise TokenError("too_many_tokens", username=user.username, max=most)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = f"{SCHEME}_{prefix}_{secret}"
    with db.engine.begin() as connection:
        inserted = connection.execute(insert(_tokens).values(
            user_id=user.id, name=name, prefix=prefix, token_hash=digest(token),
            created_at=utcnow(), read_only=read_only)).inserted_primary_key
    assert inserted is not None  # a one-row INSERT always has its key
    token_id = inserted[0]
    audit.record_by("api_token_created", by, target=user.username,
                    detail={"token": name, "id": token_id, "read_only": read_only})
    return Issued(token_id, name, token)


def list_tokens(user_id: int | None = None) -> list[TokenInfo]:
    """The tokens of ``user_id`` (everyone's when None): live ones first, newest first."""
    query = (select(_tokens, _users.c.username).join(_users, _users.c.id == _tokens.c.user_id)
             .order_by(_tokens.c.revoked_at.is_not(None), _tokens.c.created_at.desc(),
                       _tokens.c.id.desc()))
    if user_id is not None:
        query = query.where(_tokens.c.user_id == user_id)
    return [TokenInfo(row.id, row.username, row.name, row.prefix, in_korea(row.created_at),
                      in_korea(row.last_used_at), in_korea(row.revoked_at),
                      bool(row.read_only))
            for row in db.session.execute(query)]


def find(user_id: int, ref: str) -> TokenInfo:
    """One of the user's tokens by id, or by the name of a live one; TokenError
    ``not_found`` otherwise."""
    ref = ref.strip()
    # An id is ASCII digits: str.isdigit() also takes "²", which int() refuses.
    token_id = int(ref) if re.fullmatch(r"[0-9]{1,18}", ref) else None
    for token in list_tokens(user_id):
        if token.id == token_id or (token.active and token.name == ref):
            return token
    raise TokenError("not_found", ref=ref[:64])


def revoke(token_id: int, *, user_id: int, by: audit.AuditActor) -> bool:
    """Revoke the user's token (it stops at once), audited; False when it already was."""
    with db.engine.begin() as connection:
        row = connection.execute(
            select(_tokens.c.name, _tokens.c.revoked_at, _users.c.username)
            .join(_users, _users.c.id == _tokens.c.user_id)
            .where(_tokens.c.id == token_id, _tokens.c.user_id == user_id)).first()
        if row is None:
            raise TokenError("not_found", ref=str(token_id))
        if row.revoked_at is not None:
            return False
        connection.execute(update(_tokens).where(_tokens.c.id == token_id)
                           .values(revoked_at=utcnow()))
    audit.record_by("api_token_revoked", by, target=row.username,
                    detail={"token": row.name, "id": token_id})
    return True


_BY_PREFIX = HotRead(
    select(_tokens.c.id, _tokens.c.token_hash, _tokens.c.last_used_at, _tokens.c.read_only,
           _users.c.id.label("user_id"), _users.c.username, _users.c.role,
           _users.c.session_version)
    .join(_users, _users.c.id == _tokens.c.user_id)
    .where(_tokens.c.prefix == bindparam("prefix"), _tokens.c.revoked_at.is_(None),
           _users.c.active.is_(True)))
_NOTE_USE = update(_tokens).where(_tokens.c.id == bindparam("token_id")).values(
    last_used_at=bindparam("now"))


def public_part(token: str) -> str:
    """What may be said of a presented token in a log or the audit: its prefix when it has a
    token's shape (``smsf_1a2b3c4d5e6f_…``), never the secret."""
    match = _SHAPE.fullmatch(token.strip())
    return f"{SCHEME}_{match[1]}_…" if match is not None else "not a token's shape"


def authenticate(token: str, now: datetime | None = None) -> TokenUser | None:
    """The user a live token of an active account acts as, or None; notes the token's use
    (at most once a minute)."""
    match = _SHAPE.fullmatch(token.strip())
    if match is None:
        return None
    with hot_writes.connect(db.engine) as connection:
        row = _BY_PREFIX.first(connection, {"prefix": match[1]})
    if row is None or not hmac.compare_digest(row.token_hash, digest(match[0])):
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
        with hot_writes.begin(db.engine) as connection:
            connection.execute(_NOTE_USE, {"token_id": row.id, "now": now})
    return TokenUser(row.user_id, row.username, row.role, row.session_version,
                     token_id=row.id, read_only=bool(row.read_only))

