"""Relay sites: the records of the sites that speak Cafe24's wire to this app.

A site gets an id (``relay-`` and 8 random characters) and a key (32 random bytes, shown
once; only its SHA-256 is kept, and ``relay_gate`` compares it in constant time), the
sender numbers it may use, the networks it may call from, its daily limit in credits (a
Korea-time day, counted from the send log by ``used_today``) and whether it may only test.
Issuing and disabling are audited. No HTTP in here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import secrets
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cafe24.encoding import AUTO, normalize_charset
from cafe24.phone import normalize_phone
from cafe24.schedule import KST
from smsform.extensions import db
from smsform.models import RelaySite, Send, korea_day_start, utcnow
from smsform.services import audit, hot_writes
from smsform.services.audit import AuditActor
from smsform.services.hot_writes import HotRead
from smsform.services.refusals import Refusal
from smsform.states import Result

#: The send log's source of relayed sends (the site's name is the actor).
SOURCE = "relay"
USER_ID_PREFIX = "relay-"
USER_ID_CHARS = string.ascii_lowercase + string.digits
USER_ID_LENGTH = 8
KEY_BYTES = 32
NAME_MAX = 64
DAILY_LIMIT_MAX = 10_000_000
CHARSETS = (AUTO, "utf-8", "euc-kr")
#: How often a site's ``last_used_at`` is written at most.
USE_RESOLUTION = timedelta(seconds=60)

_sites = RelaySite.__table__
_sends = Send.__table__


class RelayError(Refusal):
    """A site could not be made or found; ``code`` says why."""


@dataclass(frozen=True)
class Site:
    """A relay site as the relay and the lists need it (never its key)."""

    id: int
    name: str
    user_id: str
    senders: tuple[str, ...]
    daily_limit: int | None
    test_only: bool
    allow_ips: tuple[str, ...]
    charset: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    key_hash: str = field(default="", repr=False)  # compared by relay_gate only

    @classmethod
    def of(cls, row: Any) -> Site:
        """The site of a ``relay_sites`` row."""
        return cls(row.id, row.name, row.user_id, tuple(json.loads(row.senders or "[]")),
                   row.daily_limit, bool(row.test_only),
                   tuple(json.loads(row.allow_ips or "[]")), row.charset or AUTO,
                   bool(row.active), row.created_at, row.last_used_at, row.key_hash)


@dataclass(frozen=True)
class Issued:
    """A new site and its key: the only time the key is known."""

    site: Site
    secure: str


# -- issuing, listing, disabling ---------------------------------------------------------


def hash_key(key: str) -> str:
    """The digest a site's key is kept as."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """The name, trimmed: 1 to 64 printable characters."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise RelayError("name_invalid", max=NAME_MAX)
    return name


def check_senders(numbers: Iterable[str]) -> tuple[str, ...]:
    """The numbers, normalised and without repeats: at least one, each a phone number."""
    found: list[str] = []
    for raw in numbers:
        number = normalize_phone(raw or "")
        if number is None:
            raise RelayError("sender_invalid", number=raw)
        if number not in found:
            found.append(number)
    if not found:
        raise RelayError("no_senders")
    return tuple(found)


def check_networks(cidrs: Iterable[str]) -> tuple[str, ...]:
    """The allowed networks in CIDR form (a bare address is a /32 or /128)."""
    found: list[str] = []
    for raw in cidrs:
        try:
            network = str(ipaddress.ip_network((raw or "").strip(), strict=False))
        except ValueError:
            raise RelayError("network_invalid", value=raw) from None
        if network not in found:
            found.append(network)
    return tuple(found)


def check_limit(limit: int | None) -> int | None:
    """A daily limit of 1 to 10,000,000 credits, or None for no limit."""
    if limit is not None and not 1 <= limit <= DAILY_LIMIT_MAX:
        raise RelayError("limit_invalid", max=DAILY_LIMIT_MAX)
    return limit


def check_charset(charset: str) -> str:
    """``auto`` (the contract's rule), ``utf-8`` or ``euc-kr``."""
    if (charset or AUTO).strip().lower() == AUTO:
        return AUTO
    try:
        return normalize_charset(charset)
    except ValueError:
        raise RelayError("charset_invalid", value=charset) from None


def parse_limit(text: str | None) -> int | None:
    """A daily limit as typed (empty: none): RelayError ``limit_invalid`` when it is not a
    whole number in range."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise RelayError("limit_invalid", max=DAILY_LIMIT_MAX)
    return check_limit(int(text))


def split_list(text: str | None) -> list[str]:
    """Numbers or networks as typed in one box: separated by commas, spaces or lines."""
    return [item for item in re.split(r"[\s,]+", text or "") if item]


def _new_user_id() -> str:
    return USER_ID_PREFIX + "".join(secrets.choice(USER_ID_CHARS) for _ in range(USER_ID_LENGTH))


def create_site(name: str, senders: Sequence[str], *, daily_limit: int | None = None,
                test_only: bool = False, allow_ips: Sequence[str] = (), charset: str = AUTO,
                by: AuditActor) -> Issued:
    """Issue an id and a key for a new site, keep the key's digest, audit it.

    :raises RelayError: a rule is broken, or the name is taken (``name_taken``).
    """
    name = check_name(name)
    numbers, networks = check_senders(senders), check_networks(allow_ips)
    limit, charset = check_limit(daily_limit), check_charset(charset)
    key = secrets.token_urlsafe(KEY_BYTES)
    with db.engine.connect() as connection:
        taken = connection.execute(select(_sites.c.id).where(
            func.lower(_sites.c.name) == name.lower())).first()
    if taken is not None:
        raise RelayError("name_taken", name=name)
    values = {"name": name, "key_hash": hash_key(key), "senders": json.dumps(numbers),
              "daily_limit": limit, "test_only": test_only, "allow_ips": json.dumps(networks),
              "charset": charset, "active": True, "created_at": utcnow()}
    for _attempt in range(3):  # another site drew the same id: draw again
        values["user_id"] = _new_user_id()
        try:
            with db.engine.begin() as connection:
                connection.execute(insert(_sites).values(**values))
            break
        except IntegrityError:
            if _by_name(name) is not None:
                raise RelayError("name_taken", name=name) from None
    else:  # pragma: no cover - 36**8 ids
        raise RuntimeError("could not draw a free relay id")
    audit.record_by("relay_created", by, target=name, detail={
        "user_id": values["user_id"], "senders": list(numbers), "daily_limit": limit,
        "test_only": test_only, "allow_ips": list(networks), "charset": charset})
    site = _by_name(name)
    assert site is not None
    return Issued(site, key)


def _by_name(name: str) -> Site | None:
    with db.engine.connect() as connection:
        row = connection.execute(select(_sites).where(_sites.c.name == name)).first()
    return Site.of(row) if row is not None else None


def list_sites() -> list[Site]:
    """Every site, active first, then by name."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(_sites).order_by(_sites.c.active.desc(),
                                                          _sites.c.name)).all()
    return [Site.of(row) for row in rows]


def find_site(name: str) -> Site:
    """The site named ``name``; RelayError ``not_found`` when there is none."""
    site = _by_name((name or "").strip())
    if site is None:
        raise RelayError("not_found", name=name)
    return site


def disable_site(name: str, *, by: AuditActor) -> bool:
    """Stop a site's id and key for good (audited); False when it was disabled already."""
    site = find_site(name)
    if not site.active:
        return False
    with db.engine.begin() as connection:
        connection.execute(update(_sites).where(_sites.c.id == site.id).values(active=False))
    audit.record_by("relay_disabled", by, target=site.name, detail={"user_id": site.user_id})
    return True


#: Built once: every relayed request looks its site up.
_BY_USER_ID = HotRead(select(_sites).where(_sites.c.user_id == bindparam("user_id")))


def find_by_user_id(user_id: str) -> Site | None:
    """The site a request's id names, active or not (None when there is none)."""
    with hot_writes.connect(db.engine) as connection:
        row = _BY_USER_ID.first(connection, {"user_id": user_id[:32]})
    return Site.of(row) if row is not None else None


def note_use(site: Site) -> None:
    """Write the site's last use, at most once a minute."""
    now = utcnow()
    if site.last_used_at is not None and now - site.last_used_at < USE_RESOLUTION:
        return
    with hot_writes.begin(db.engine) as connection:
        connection.execute(update(_sites).where(_sites.c.id == site.id)
                           .values(last_used_at=now))



# -- the daily limit ---------------------------------------------------------------------


def used_today(site: Site, now: datetime | None = None, *, through: int | None = None) -> int:
    """Credits the site's sends of this Korea-time day cost or may have cost (accepted,
    pending or unknown; tests cost nothing).

    With ``through`` (a send's own row, committed), what its admission counts: on SQLite,
    whose writers take turns, ids are handed out in commit order, so only the sends logged
    up to that row count and concurrent sends are admitted in the order the log gave them.
    On PostgreSQL a later id can commit (and be admitted) first, so every committed send
    counts: simultaneous sends may then all be refused, but never all admitted past the
    limit."""
    day = (now or datetime.now(UTC)).astimezone(KST).date()
    start = korea_day_start(day)
    s = _sends.c
    # What it was charged, or for a send still pending or unknown what it may have been.
    query = (select(func.coalesce(func.sum(func.coalesce(s.cost, s.forecast)), 0))
             .where(s.source == SOURCE, s.actor == site.name[:64], s.created_at >= start,
                    s.test.is_(False), s.result.in_(Result.COUNTED)))
    with db.engine.connect() as connection:
        if through is not None and connection.dialect.name == "sqlite":
            query = query.where(s.id <= through)
        used = connection.execute(query).scalar()
    return int(used or 0)


def allowance(site: Site, real: int | None = None) -> int | None:
    """What the site may still spend today: its limit left (never below 0), capped by the
    real credit when known; the real credit when it has no limit."""
    if site.daily_limit is None:
        return real
    left = max(0, site.daily_limit - used_today(site))
    return left if real is None else min(left, real)
