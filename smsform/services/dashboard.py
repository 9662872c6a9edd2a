"""What the dashboard shows: the credit (live), sends by result, the 30-day series and the
sends that need a look (refusals and unknowns), counted from the send log.

Days are Korea days (KST, UTC+9 all year); the log stores UTC. A send still ``pending``
past the gateway's timeouts counts as ``unknown`` (``sendlog.unknown_after``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, or_, select

from cafe24.errors import Cafe24Error
from cafe24.message import messages_bought
from smsform.extensions import db
from smsform.models import Send, in_korea, korea_day_start, utcnow
from smsform.services import credit as credit_service
from smsform.services import gateway, sendlog
from smsform.states import Result

#: The results in the order the dashboard lists them: the endings, then those in progress.
RESULTS = tuple(sorted(Result, key=lambda result: result is Result.PENDING))
#: The count windows: name and how many Korea days, today included.
WINDOWS = (("today", 1), ("week", 7), ("month", 30))
CHART_DAYS = 30
LATEST = 10

_sends = Send.__table__


@dataclass(frozen=True)
class Credit:
    """The remaining credit as the gateway said it just now, or why it could not say."""

    remaining: int | None
    threshold: int
    error: Cafe24Error | None = None
    #: When the gateway could not say: the last credit known, and when it was (UTC, naive).
    last_known: tuple[datetime, int] | None = None

    @property
    def sms(self) -> int:
        """How many SMS the credit pays for."""
        return messages_bought(self.remaining or 0, "S")

    @property
    def lms(self) -> int:
        """How many LMS the credit pays for."""
        return messages_bought(self.remaining or 0, "L")

    @property
    def low(self) -> bool:
        """True when the credit is known and under the warning threshold."""
        return self.remaining is not None and self.remaining < self.threshold


def credit() -> Credit:
    """Ask the gateway for the remaining credit now (a page's look-up: short timeouts, an
    outage remembered for a moment); a failure is kept, not raised, with the last credit
    known."""
    threshold = current_app.extensions["smsform.settings"].low_credit_threshold
    try:
        return Credit(gateway.gateway().remaining(), threshold)
    except Cafe24Error as exc:
        return Credit(None, threshold, exc, last_known_credit())


def last_known_credit() -> tuple[datetime, int] | None:
    """The newest credit anyone was told (``services.credit.last_known``)."""
    return credit_service.last_known()


@dataclass(frozen=True)
class Day:
    """One Korea day of the chart."""

    day: date
    messages: int = 0  # accepted, not test: recipients × repeats
    credits: int = 0  # the cost of those sends, as charged when sent
    test_messages: int = 0  # test sends' messages: checked by the gateway, never sent


@dataclass(frozen=True)
class Attention:
    """A logged send that was refused, or whose outcome nobody knows."""

    id: int
    created_at: datetime  # UTC, naive
    actor: str
    result: str  # refused or unknown
    code: str | None
    kind: str
    recipient_count: int


@dataclass(frozen=True)
class Summary:
    """The send log's side of the dashboard."""

    today: date
    counts: dict[str, dict[str, int]]  # window name -> result -> sends
    days: tuple[Day, ...]  # oldest first, today last
    attention: tuple[Attention, ...] = field(default=())

    def total(self, window: str) -> int:
        """All sends in a window."""
        return sum(self.counts[window].values())


def kst_today(now: datetime) -> date:
    """The Korea date of ``now`` (UTC, naive)."""
    return in_korea(now).date()


def summary(now: datetime | None = None, latest: int = LATEST) -> Summary:
    """Counts by result for today, 7 and 30 days, the 30-day series and the latest sends
    that need a look; ``now`` is UTC, naive."""
    now = now or utcnow()
    today = kst_today(now)
    first = today - timedelta(days=CHART_DAYS - 1)
    bounds = [korea_day_start(first + timedelta(days=i)) for i in range(CHART_DAYS + 1)]
    counts: dict[str, dict[str, int]] = {name: dict.fromkeys(RESULTS, 0) for name, _ in WINDOWS}
    series = [{"messages": 0, "credits": 0, "test_messages": 0} for _ in range(CHART_DAYS)]
    for row in _grouped(bounds, now):
        result = Result.UNKNOWN if row.result == Result.PENDING and row.aged else row.result
        for name, days in WINDOWS:
            if row.day >= CHART_DAYS - days:
                counts[name][result] = counts[name].get(result, 0) + row.sends
        if row.test:
            series[row.day]["test_messages"] += row.messages
        elif result in Result.CHARGED:
            series[row.day]["messages"] += row.messages
            series[row.day]["credits"] += row.credits
    chart = tuple(Day(first + timedelta(days=i), **values) for i, values in enumerate(series))
    return Summary(today, counts, chart, _attention(now, latest))


def _grouped(bounds: list[datetime], now: datetime):
    """The log's rows of the 30 days, summed by Korea day, result, test flag and age.

    One pass over the ``created_at`` index; the day is a CASE on the day boundaries, so
    the same SQL runs on SQLite and PostgreSQL."""
    created = _sends.c.created_at
    day = case(*[(created < bounds[i + 1], i) for i in range(CHART_DAYS)])
    aged = case((sendlog.unknown_condition(now), 1), else_=0)  # the log's own rule
    rows = select(
        day.label("day"), _sends.c.result, _sends.c.test, aged.label("aged"),
        (_sends.c.recipient_count * func.coalesce(_sends.c.repeat_num, 1)).label("messages"),
        _sends.c.cost.label("credits"),
    ).where(created >= bounds[0], created < bounds[-1]).subquery()
    query = select(
        rows.c.day, rows.c.result, rows.c.test, rows.c.aged, func.count().label("sends"),
        func.coalesce(func.sum(rows.c.messages), 0).label("messages"),
        func.coalesce(func.sum(rows.c.credits), 0).label("credits"),
    ).group_by(rows.c.day, rows.c.result, rows.c.test, rows.c.aged)
    with db.engine.connect() as connection:
        return connection.execute(query).all()


def _attention(now: datetime, latest: int) -> tuple[Attention, ...]:
    """The newest refused and unknown sends (a pending one past the timeouts is unknown);
    one an admin has already marked as sent or not sent is settled and left out."""
    query = (select(_sends.c.id, _sends.c.created_at, _sends.c.actor, _sends.c.result,
                    _sends.c.code, _sends.c.kind, _sends.c.recipient_count)
             .where(or_(_sends.c.result == Result.REFUSED, sendlog.unknown_condition(now)),
                    _sends.c.marked.is_(None))
             .order_by(_sends.c.created_at.desc(), _sends.c.id.desc()).limit(latest))
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
    return tuple(Attention(r.id, r.created_at, r.actor,
                           Result.REFUSED if r.result == Result.REFUSED else Result.UNKNOWN,
                           r.code, r.kind, r.recipient_count) for r in rows)
