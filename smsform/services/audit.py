"""The audit trail: who did what to whom, when and from where.

Every account change, sign-in (and failed sign-in), outcome mark and purge calls
``record``; the CLI records with actor ``cli``. Rows are only ever added.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from smsform.extensions import db
from smsform.models import AuditEvent, in_korea, korea_day_start, utcnow
from smsform.services import query_args
from smsform.services.query_args import FilterError, FilterProblem

_events = AuditEvent.__table__

#: The actions the trail knows (pages word them through smsform.messages).
ACTIONS = (
    "sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "setup",
    "user_created", "user_role_changed", "user_disabled", "user_enabled",
    "user_password_reset", "password_changed", "password_change_failed",
    "send_marked", "log_purged",
    "relay_created", "relay_disabled",
    "api_token_created", "api_token_revoked",
    "api_token_refused", "relay_key_refused",
    "template_created", "template_changed", "template_deleted",
    "contact_created", "contact_changed", "contact_deleted", "contacts_imported",
    "contacts_exported", "group_created", "group_deleted",
    "optout_added", "optout_removed", "optout_imported", "optouts_exported",
    "job_started", "job_paused", "job_resumed", "job_cancelled",
)
CLI = "cli"
PER_PAGE = 50
MAX_PAGE = 100_000


@dataclass(frozen=True)
class AuditActor:
    """Who acts, as the audit trail records them: a signed-in user (name and id) or the CLI,
    and from which address (``sending.Actor`` is who sends, and by which way in)."""

    name: str
    id: int | None = None
    address: str | None = None


CLI_ACTOR = AuditActor(CLI)


def record(action: str, *, actor: str, actor_id: int | None = None, target: str | None = None,
           detail: Mapping[str, object] | None = None, address: str | None = None) -> None:
    """Add one event, in its own transaction (it stays even if the caller's work fails)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with db.engine.begin() as connection:
        connection.execute(insert(_events).values(
            at=utcnow(), actor=actor[:64], actor_id=actor_id, action=action,
            target=target[:64] if target else None,
            detail=json.dumps(dict(detail), ensure_ascii=False) if detail else None,
            address=(address or "")[:64] or None))


def record_by(action: str, by: AuditActor, *, target: str | None = None,
              detail: Mapping[str, object] | None = None) -> None:
    """``record`` for what ``by`` did."""
    record(action, actor=by.name, actor_id=by.id, target=target, detail=detail,
           address=by.address)


@dataclass(frozen=True)
class Query:
    """The trail's filters: action, actor, KST days (inclusive) and the page."""

    action: str | None = None
    actor: str | None = None
    start: date | None = None
    end: date | None = None
    page: int = 1


@dataclass(frozen=True)
class Event:
    """One event as pages show it (``at`` in Korea time)."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    address: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of events, newest first, and how many match in all."""

    events: list[Event]
    total: int
    page: int
    pages: int


def parse_query(args: Mapping[str, Sequence[str]]) -> Query:
    """The filters from a query string's lists of values; raises FilterError naming each
    bad one."""
    problems: list[FilterProblem] = []
    action = query_args.single(args, "action", problems)
    if action and action not in ACTIONS:
        problems.append(FilterProblem("action", "unknown_action", {"value": action[:40]}))
    actor = query_args.single(args, "actor", problems)
    if len(actor) > 64:
        problems.append(FilterProblem("actor", "too_long", {"max": 64}))
    start, end = query_args.days(args, problems)
    page = query_args.page(query_args.single(args, "page", problems), problems, MAX_PAGE)
    if problems:
        raise FilterError(problems)
    return Query(action or None, actor or None, start, end, page)


def _event(row: Any) -> Event:
    detail = json.loads(row.detail) if row.detail else {}
    return Event(row.id, in_korea(row.at), row.actor, row.action,
                 row.target, detail if isinstance(detail, dict) else {"value": detail},
                 row.address)


def search(query: Query, per_page: int = PER_PAGE) -> Page:
    """The events matching ``query``, newest first, one page of them."""
    conditions = []
    if query.action:
        conditions.append(_events.c.action == query.action)
    if query.actor:
        conditions.append(_events.c.actor == query.actor)
    if query.start:
        conditions.append(_events.c.at >= korea_day_start(query.start))
    if query.end:
        conditions.append(_events.c.at < korea_day_start(query.end + timedelta(days=1)))
    total = db.session.execute(
        select(func.count()).select_from(_events).where(*conditions)).scalar_one()
    rows = db.session.execute(
        select(_events).where(*conditions).order_by(_events.c.at.desc(), _events.c.id.desc())
        .limit(per_page).offset((query.page - 1) * per_page)).all()
    return Page([_event(row) for row in rows], total, query.page,
                max(1, -(-total // per_page)))
