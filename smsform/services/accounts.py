"""Staff accounts: each rule written once (names, password length, hashing, sign-in).

Views, forms and the CLI use these; none of them hashes a password or counts users itself.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CursorResult, bindparam, exists, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.security import check_password_hash, generate_password_hash

from smsform.extensions import db
from smsform.models import User, utcnow
from smsform.permissions import DEFAULT_ROLE, ROLES, Permission, role_allows
from smsform.services import audit
from smsform.services.audit import AuditActor
from smsform.services.hot_writes import HotRead
from smsform.services.refusals import Refusal

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
USERNAME_MIN, USERNAME_MAX = 3, 64
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]+")


class AccountError(Refusal):
    """An account could not be made or changed; ``code`` says why."""


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """The signed-in staff member as a request needs them (no ORM object kept around).

    The session keeps ``id:version``; the version changes when the account's sessions
    must end (disabled, role or password changed, signed out), so an old cookie opens
    nothing.
    """

    id: int
    username: str
    role: str
    version: int = 1
    must_change_password: bool = False
    last_sender: str | None = None  # the sender of the user's last accepted send

    def get_id(self) -> str:
        """What the session keeps: the id and the session version."""
        return f"{self.id}:{self.version}"

    def can(self, permission: Permission) -> bool:
        """True when this user's role has ``permission``."""
        return role_allows(self.role, permission)

    @property
    def can_send(self) -> bool:
        """Admins and senders may send; viewers only look."""
        return self.can(Permission.SEND)


_users = User.__table__
_USER_BY_ID = HotRead(select(
    _users.c.id, _users.c.username, _users.c.role, _users.c.active, _users.c.session_version,
    _users.c.must_change_password, _users.c.last_sender).where(_users.c.id == bindparam("id")))


def signed_in(user: User) -> SignedInUser:
    """The session's view of ``user``."""
    return SignedInUser(user.id, user.username, user.role, user.session_version,
                        user.must_change_password, user.last_sender)


def load(session_id: str) -> SignedInUser | None:
    """The user behind a session's ``id:version``: one indexed read, every request, never
    cached, so a disabled, demoted or signed-out account loses its rights at once."""
    user_id, _, version = (session_id or "").partition(":")
    try:
        key, expected = int(user_id), int(version)
    except ValueError:
        return None
    with db.engine.connect() as connection:
        row = _USER_BY_ID.first(connection, {"id": key})
    if row is None or not row.active or row.session_version != expected:
        return None
    return SignedInUser(row.id, row.username, row.role, row.session_version,
                        row.must_change_password, row.last_sender)


def end_sessions(user_id: int) -> None:
    """End every open session of the account (its next request finds it signed out)."""
    db.session.execute(update(User).where(User.id == user_id)
                       .values(session_version=User.session_version + 1))
    db.session.commit()


def note_sign_in(user: User, address: str | None = None) -> None:
    """Remember when the account last signed in, and audit it."""
    user.last_login_at = utcnow()
    db.session.commit()
    audit.record_by("sign_in", AuditActor(user.username, user.id, address))


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


def check_role(role: str) -> str:
    """``role`` if it is one of the roles, or AccountError."""
    if role not in ROLES:
        raise AccountError("unknown_role", role=role[:40])
    return role


def create_user(username: str, password: str, role: str = DEFAULT_ROLE, *,
                must_change_password: bool = False) -> User:
    """Add an account after checking every rule; AccountError says what is wrong."""
    name = check_username(username)
    check_password(password)
    check_role(role)
    user = User(username=name, role=role, password_hash=hash_password(password),
                must_change_password=must_change_password)
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
    stored = user.password_hash if user is not None and user.active else None
    _release_connection()
    if stored is None:
        # Spend the same time as a real check, so timing does not tell who exists.
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD")),
                            password)
        return None
    return user if check_password_hash(stored, password) else None


def _release_connection() -> None:
    """End the request's read-only transaction before a slow password hash, so no request
    holds a database connection while it hashes: on a threaded server, sign-ins that each
    held one and then wanted another (for the audit) emptied the pool and waited on each
    other. Objects already read are reloaded when next used."""
    db.session.rollback()


# --- Managing accounts: each change audited, each that matters to open sessions ends them.

_MANAGES = Permission.MANAGE_USERS


def list_users() -> list[User]:
    """Every account, by name (disabled ones too: they are never deleted)."""
    return list(db.session.execute(select(User).order_by(User.username)).scalars())


def get_user(user_id: int) -> User | None:
    """The account with ``user_id``, or None."""
    return db.session.get(User, user_id)


def find_user(username: str) -> User:
    """The account named ``username``, or AccountError ``unknown_user``."""
    user = db.session.execute(
        select(User).filter_by(username=username.strip())).scalar_one_or_none()
    if user is None:
        raise AccountError("unknown_user", username=username.strip()[:64])
    return user


def _lock_users_on_postgresql() -> None:
    """Under READ COMMITTED two statements could each see what the other is changing; this
    lock (which conflicts with itself and with writes) makes them take turns. SQLite
    already lets one writer at a time."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))


def _change_keeping_a_manager(user: User, **values: object) -> None:
    """Apply ``values`` to ``user`` in one statement that only matches while another
    active account may still manage users; AccountError ``last_admin`` otherwise (two
    admins disabling each other at once leave one)."""
    if not (user.active and role_allows(user.role, _MANAGES)):
        db.session.execute(update(User).where(User.id == user.id).values(**values))
        db.session.commit()
        return
    roles = [role for role in ROLES if role_allows(role, _MANAGES)]
    other = aliased(User)
    others = select(other.id).where(other.id != user.id, other.active.is_(True),
                                    other.role.in_(roles)).exists()
    _lock_users_on_postgresql()
    changed = cast(CursorResult[Any], db.session.execute(
        update(User).where(User.id == user.id, others).values(**values)
        .execution_options(synchronize_session=False))).rowcount
    if changed != 1:
        db.session.rollback()
        raise AccountError("last_admin", username=user.username)
    db.session.commit()
    db.session.refresh(user)


def add_user(username: str, password: str, role: str, *, must_change: bool,
             by: AuditActor) -> User:
    """Create an account for someone (``must_change``: the first password is not theirs)."""
    user = create_user(username, password, role, must_change_password=must_change)
    audit.record_by("user_created", by, target=user.username,
                    detail={"role": user.role, "must_change_password": must_change})
    return user


def set_role(user: User, role: str, *, by: AuditActor) -> bool:
    """Give ``user`` another role, ending their sessions; False when it was already theirs."""
    check_role(role)
    if role == user.role:
        return False
    previous = user.role
    if role_allows(role, _MANAGES):
        user.role = role
        db.session.commit()
    else:
        _change_keeping_a_manager(user, role=role)
    end_sessions(user.id)
    audit.record_by("user_role_changed", by, target=user.username,
                    detail={"from": previous, "to": role})
    return True


def disable(user: User, *, by: AuditActor) -> bool:
    """Disable ``user`` (kept, never deleted) and end their sessions; False if it was."""
    if not user.active:
        return False
    _change_keeping_a_manager(user, active=False)
    end_sessions(user.id)
    audit.record_by("user_disabled", by, target=user.username)
    return True


def enable(user: User, *, by: AuditActor) -> bool:
    """Let a disabled ``user`` sign in again; False when it was not disabled."""
    if user.active:
        return False
    user.active = True
    db.session.commit()
    audit.record_by("user_enabled", by, target=user.username)
    return True


def set_password(user: User, password: str, *, must_change: bool, by: AuditActor) -> None:
    """Set ``user``'s password (``must_change`` when someone else chose it), ending their
    sessions."""
    check_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    db.session.commit()
    end_sessions(user.id)
    audit.record_by("user_password_reset", by, target=user.username,
                    detail={"must_change_password": must_change})


def change_own_password(user_id: int, current: str, new: str, *,
                        address: str | None = None) -> User:
    """The signed-in person's new password, after the current one; ends their sessions
    (the caller signs the current one in again with the returned account)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise AccountError("unknown_user", username=str(user_id))
    stored = user.password_hash
    _release_connection()
    if not check_password_hash(stored, current):
        raise AccountError("wrong_current_password")
    check_password(new)
    if new == current:
        raise AccountError("password_unchanged")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.commit()
    end_sessions(user.id)
    db.session.refresh(user)
    audit.record_by("password_changed", AuditActor(user.username, user.id, address),
                    target=user.username)
    return user


def create_first_admin(username: str, password: str, *, address: str | None = None
                       ) -> User | None:
    """The first administrator, made only while no account exists, in one statement (an
    ``INSERT … SELECT … WHERE NOT EXISTS``), so concurrent set-ups make one; None when
    another was first. AccountError for a bad name or password."""
    name = check_username(username)
    check_password(password)
    values = {"username": name, "password_hash": hash_password(password), "role": ROLES[0],
              "created_at": utcnow(), "active": True, "session_version": 1,
              "must_change_password": False}
    db.session.commit()  # end any read: the statement below judges on what is committed
    _lock_users_on_postgresql()
    columns = list(values)
    statement = insert(_users).from_select(
        columns, select(*[literal(values[c], _users.c[c].type) for c in columns])
        .where(~exists(select(_users.c.id)))).returning(_users.c.id)
    try:
        made = db.session.execute(statement).scalar_one_or_none()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    if made is None:
        return None
    user = db.session.get_one(User, made)
    audit.record_by("setup", AuditActor(name, user.id, address), target=name)
    return user
