"""The delivery sync: each logged recipient's outcome, read back from the gateway's result
list (``sms_list.php``), which is the only place the gateway tells it.

The list has no message ids, lists one kind a call, 50 records a call, newest first, over
at most 7 days. ``sync`` reads, for each kind that has sends still waiting, the days back
to the oldest of them (page after page with ``startNo``, stopping once a page is older
than everything it looks for), gives each listed record one logged recipient's copy
(``result_matching.Assigner``, fed page by page: sender, number, the text that recipient
was sent, kind and time; the same text to the same number twice within the slack is
given in order and marked ambiguous), and writes per recipient:

- ``delivered`` (``sendStatus`` 3) or ``failed`` (9, with the list's code and refund time),
  at the listed time; a repeat's copies together (a failed copy makes it failed);
- nothing while the list says "requested" (1, 2): the recipient stays waiting (NULL);
- ``no_report`` when an accepted send's recipient is still waiting past the window
  (``SMSFORM_DELIVERY_SMS_HOURS`` / ``_LMS_HOURS`` after its last due time): the gateway
  took it and never said it arrived. A later record still corrects it.

Records that match no logged send (another tool on the same account) are counted, never
imported. A send whose outcome is ``unknown`` (its process died during the call) gets
``listed_at`` when the list shows one of its recipients: it was sent; past the list's 7
days it stays unknown. An administrator's mark is never changed (the pages show a
disagreement). No database transaction is open during a gateway call: the list is read
first, then everything is written in one transaction; a ``-102`` or a transport failure
stops the sync, writes what the pages read so far said, and is kept in
``delivery_syncs`` (``/gateway`` shows the last run).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from cafe24.calls import LIST_DAY_MAX, LIST_DISPLAY_MAX, ResultQuery
from cafe24.client import Cafe24Client
from cafe24.errors import Cafe24Error, GatewayRefused
from cafe24.schedule import KST
from config import Settings
from smsform import logs
from smsform.extensions import db
from smsform.models import DeliverySync, Send, SendRecipient, korea_day_start, utcnow
from smsform.services import compliance, lists, results, sendlog
from smsform.services.result_matching import (
    REPEAT_SPAN,
    TIME_SLACK,
    Assigner,
    LoggedRecipient,
    RecipientIndex,
    number_digits,
    recipients_of,
)
from smsform.states import Delivery, Result

log = logs.get("delivery")

_sends = Send.__table__
_recipients = SendRecipient.__table__
_syncs = DeliverySync.__table__

#: The list's statuses that end a recipient's wait.
_LISTED = {"3": Delivery.DELIVERED, "9": Delivery.FAILED}
#: The send log's results whose recipients the gateway took (a test never reaches a phone).
_TAKEN = (Result.SUCCESS.value, Result.RESERVED.value)
#: How many ids one ``IN`` list holds (SQLite's parameter limit is far above it).
_CHUNK = 500
_KINDS = ("S", "L")


def _open_result() -> ColumnElement[str]:
    """``sends.result`` (never NULL) in a form no index serves, for the sync's look-ups:
    the small ``ix_sends_delivery_open`` (or the time indexes, for the sends the list may
    show) is the one to read; SQLite, without ANALYZE's figures, would otherwise take the
    (result, created_at) index and go through every accepted send ever logged."""
    return func.coalesce(_sends.c.result, "")


@dataclass(frozen=True)
class Windows:
    """How long an accepted message may stay without a report, by kind, and the pause
    between two list calls (the settings)."""

    sms: timedelta = timedelta(hours=24)
    lms: timedelta = timedelta(hours=72)
    pace: float = 0.2  # seconds

    def of(self, kind: str) -> timedelta:
        """The window of ``kind`` (``S`` or ``L``)."""
        return self.lms if kind == "L" else self.sms


def windows_of(settings: Settings) -> Windows:
    """The windows the settings give (``SMSFORM_DELIVERY_*``)."""
    return Windows(timedelta(hours=settings.delivery_sms_hours),
                   timedelta(hours=settings.delivery_lms_hours),
                   settings.delivery_pace_ms / 1000)


@dataclass
class SyncReport:
    """What one run read and wrote (the ``delivery_syncs`` row's values)."""

    id: int | None = None
    days: int = 0
    calls: int = 0
    listed: int = 0
    matched: int = 0
    foreign: int = 0
    ambiguous: int = 0
    delivered: int = 0
    failed: int = 0
    no_report: int = 0
    resolved: int = 0
    stopped: str | None = None  # a gateway code (-102...), "transport"; None: read it all
    detail: str = ""
    calls_by_kind: dict[str, int] = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        """The values of its ``delivery_syncs`` row."""
        return {"days": self.days, "calls": self.calls, "listed": self.listed,
                "matched": self.matched, "foreign": self.foreign,
                "ambiguous": self.ambiguous, "delivered": self.delivered,
                "failed": self.failed, "no_report": self.no_report,
                "resolved": self.resolved, "stopped": self.stopped,
                "detail": self.detail[:300] or None}


@dataclass(frozen=True)
class _Send:
    """A logged send the list may show: its recipients as the gateway lists them."""

    id: int
    kind: str
    result: str
    unknown: bool  # pending past the unknown window: the process died during the call
    listed_at: datetime | None
    last_due: datetime  # aware UTC: its last copy's time


@dataclass(slots=True)
class _Outcome:
    """What the list said of one recipient (its copies together)."""

    state: Delivery
    at: datetime | None
    code: str | None
    refunded_at: datetime | None
    ambiguous: bool


def _naive_utc(when: datetime | None) -> datetime | None:
    """``when`` as the log keeps times: naive UTC (a naive ``when`` is taken as that already)."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=1024)
def _refund_time(raw: str) -> datetime | None:
    """``refundDate`` (``YYYY-MM-DD HH:MM:SS`` or its digits, KST) as naive UTC."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    fmt = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 8: "%Y%m%d"}.get(len(digits))
    if fmt is None:
        return None
    try:
        return _naive_utc(datetime.strptime(digits, fmt).replace(tzinfo=KST))
    except ValueError:
        return None


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


# --- what to look for ------------------------------------------------------------------


def _logged(since: datetime, now: datetime) -> tuple[dict[int, _Send], list[LoggedRecipient]]:
    """The sends the list may show after ``since`` (naive UTC) whose recipients the gateway
    took, or may have (unknown), with their recipients: not tests, texts not purged."""
    s = _sends.c
    unknown_before = now.replace(tzinfo=None) - sendlog.unknown_after()
    result = _open_result()  # the two times' indexes are read, not the results'
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(s.id, s.sender, s.kind, s.text, sendlog.RECIPIENTS_JSON, s.created_at,
                   s.reserve_at, s.repeat_num, s.repeat_minutes, s.result, s.listed_at)
            .where(or_(result.in_(_TAKEN),
                       and_(result == Result.PENDING.value, s.created_at < unknown_before)),
                   s.test.is_(False), s.text.is_not(None),
                   or_(s.created_at >= since - REPEAT_SPAN,
                       s.reserve_at >= since - REPEAT_SPAN))).all()
    sends: dict[int, _Send] = {}
    found: list[LoggedRecipient] = []
    for row in rows:
        recipients = list(recipients_of(row))
        if not recipients:
            continue
        sends[row.id] = _Send(row.id, row.kind, row.result, row.result == Result.PENDING,
                              row.listed_at, recipients[0].due[-1])
        found.extend(recipients)
    return sends, found


def _open_since(now: datetime, days: int | None) -> datetime | None:
    """The oldest first due time (naive UTC) of an accepted send some recipient of which is
    still waiting, within the list's reach; None when nothing waits."""
    s = _sends.c
    reach = now.replace(tzinfo=None) - timedelta(days=days or LIST_DAY_MAX)
    unknown_before = now.replace(tzinfo=None) - sendlog.unknown_after()
    due = func.coalesce(s.reserve_at, s.created_at)
    result = _open_result()
    with db.engine.connect() as connection:
        oldest = connection.execute(
            select(func.min(due)).where(
                or_(result.in_(_TAKEN),
                    and_(result == Result.PENDING.value, s.created_at < unknown_before)),
                s.test.is_(False), s.text.is_not(None), s.delivery_done_at.is_(None),
                or_(s.created_at >= reach - REPEAT_SPAN, s.reserve_at >= reach - REPEAT_SPAN),
                due <= now.replace(tzinfo=None))).scalar()
    if oldest is None:
        return None
    return max(oldest, reach)


# --- reading the list -------------------------------------------------------------------


#: What the sync keeps of a listed record (one shared tuple for every record that says the
#: same): its ``sendStatus``, failure code, refund time and listed minute (naive UTC).
_Said = tuple[str, str | None, datetime | None, datetime | None]


def _read(kind: str, since: datetime, now: datetime, report: SyncReport,
          pacer: results.Meter, client: Cafe24Client | None,
          assigner: Assigner[_Said]) -> None:
    """Every record of ``kind`` listed from ``since`` (naive UTC, less the slack) to now,
    page by page, each handed to ``assigner`` as it is read (a record of no logged send is
    counted as foreign and dropped); stops early on a refusal or a transport failure
    (``report.stopped``)."""
    oldest = since.replace(tzinfo=UTC) - TIME_SLACK
    today = now.astimezone(KST).date()
    # The list runs from `date` minus `day` days up to now, newest first.
    days = min(LIST_DAY_MAX, max(1, (today - oldest.astimezone(KST).date()).days))
    report.days = max(report.days, days)
    query = ResultQuery(date=today, day=days, display=LIST_DISPLAY_MAX, lms=kind == "L")
    # A page's records say a few things (a status, a code, a refund time, a minute): what
    # each says is worked out once and shared; the sender is one number or a few.
    said: dict[tuple[str, str, str, str], tuple[_Said, datetime | None, str, bool]] = {}
    senders: dict[str, str] = {}
    calls = 0
    add, digits_of = assigner.add, number_digits
    try:
        for page in results.pages(query, meter=pacer, client=client):
            calls += 1
            older = False
            report.listed += len(page.rows)
            for item in page.rows:
                row = item.row
                raw = (row.status, row.extra.get("resultCode") or "", row.refund_date,
                       row.sent_at_raw)
                known = said.get(raw)
                if known is None:
                    when = row.sent_at
                    what: _Said = (row.status, raw[1].strip()[:8] or None,
                                   _refund_time(row.refund_date) if row.refund_date else None,
                                   _naive_utc(when))
                    known = said[raw] = (what, when, row.sent_at_raw,
                                         when is not None and when < oldest)
                sender = senders.get(row.send_phone)
                if sender is None:
                    sender = senders[row.send_phone] = number_digits(row.send_phone)
                # result_matching.listed_key, the kind being the list's
                key = (sender, digits_of(row.receive_phone), row.msg.strip(), kind)
                if not add(key, known[1], known[2], known[0]):
                    report.foreign += 1
                older = older or known[3]
            if older:
                break  # newest first: every later page is older still
    except GatewayRefused as exc:
        calls += 1
        report.stopped, report.detail = exc.code or "refused", exc.message
    except Cafe24Error as exc:
        calls += 1
        report.stopped, report.detail = "transport", exc.message
    report.calls += calls
    report.calls_by_kind[kind] = calls


def _pacer(pace: float, sleep: Callable[[float], None]) -> results.Meter:
    """A meter that lets the first list call of a run go at once and waits ``pace``
    seconds before each later one."""
    made = [0]

    def meter() -> int:
        if made[0] and pace:
            sleep(pace)
        made[0] += 1
        return 0
    return meter


# --- the sync ------------------------------------------------------------------------------


def sync(*, days: int | None = None, now: datetime | None = None,
         windows: Windows | None = None, client: Cafe24Client | None = None,
         sleep: Callable[[float], None] = time.sleep) -> SyncReport:
    """Read the gateway's result list for the sends still waiting (at most ``days`` back,
    default the list's 7) and write what it says of each recipient; then mark as
    ``no_report`` what waited past its window. The run is kept in ``delivery_syncs``."""
    now = (now or compliance.now()).astimezone(UTC)
    windows = windows or Windows()
    report = SyncReport()
    started = utcnow()
    since = _open_since(now, days)
    if since is not None:
        # The sync keeps a few hundred thousand objects until it ends while each page's
        # XML makes and drops a thousand more: the collector would walk the long-lived ones
        # again and again (a quarter of the sync's CPU at 100,000 recipients). None of them
        # forms a cycle. The pause is the one a list's reading shares across threads.
        with lists.paused_gc():
            sends, logged = _logged(since, now)
            kinds = sorted({send.kind for send in sends.values()}, key=_KINDS.index)
            index = RecipientIndex(logged)
            del logged
            outcomes: dict[tuple[int, int], _Outcome] = {}
            listed_sends: set[int] = set()
            pacer = _pacer(windows.pace, sleep)
            for kind in kinds:
                if report.stopped:
                    break
                assigner: Assigner[_Said] = Assigner(index)
                _read(kind, since, now, report, pacer, client, assigner)
                _match(assigner, report, outcomes, listed_sends)
                del assigner
        _write(outcomes, listed_sends, sends, report)
    if not report.stopped:
        _no_report(now, windows, report)
    _finish(now)
    report.id = _keep(report, started)
    level = log.warning if report.stopped else log.info
    level("delivery sync: calls=%d listed=%d matched=%d foreign=%d delivered=%d failed=%d "
          "no_report=%d resolved=%d stopped=%s", report.calls, report.listed, report.matched,
          report.foreign, report.delivered, report.failed, report.no_report, report.resolved,
          report.stopped)
    return report


def _match(assigner: Assigner[_Said], report: SyncReport,
           outcomes: dict[tuple[int, int], _Outcome], listed_sends: set[int]) -> None:
    """Give each held record a logged copy and fold what it says into ``outcomes``."""
    failed = Delivery.FAILED
    matched = foreign = ambiguities = 0  # counted here, kept in the report once
    seen, listed = outcomes.get, _LISTED.get
    for (status, code, refunded_at, at), recipient, _due, ambiguous in assigner.assign():
        ambiguities += ambiguous
        if recipient is None:
            foreign += 1
            continue
        matched += 1
        listed_sends.add(recipient.send_id)
        state = listed(status)
        if state is None:
            continue  # requested, not yet settled: still waiting
        where = (recipient.send_id, recipient.position)
        known = seen(where)
        if known is None or (state is failed and known.state is not failed):
            outcomes[where] = _Outcome(state, at, code if state is failed else None,
                                       refunded_at, ambiguous)
        elif ambiguous:
            known.ambiguous = True
    report.matched += matched
    report.foreign += foreign
    report.ambiguous += ambiguities


def _write(outcomes: dict[tuple[int, int], _Outcome], listed_sends: set[int],
           sends: dict[int, _Send], report: SyncReport) -> None:
    """Write the outcomes that differ from what is stored, and ``listed_at``, in one
    transaction (no gateway call is made inside it): the recipients that get the same
    values together, a run of consecutive positions at a time (``_runs``), so 100,000
    delivered recipients of 100 sends are about a thousand runs, not 100,000 rows."""
    r = _recipients.c
    ids = sorted({send_id for send_id, _ in outcomes})
    with db.engine.begin() as connection:
        # Only what already has an outcome can be unchanged (no value: waiting).
        stored: dict[tuple[int, int], tuple[str | None, str | None, bool]] = {}
        for chunk in _chunks(ids):
            for row in connection.execute(
                    select(r.send_id, r.position, r.delivery, r.delivery_code,
                           r.delivery_ambiguous).where(r.send_id.in_(chunk),
                                                       r.delivery.is_not(None))):
                stored[(row.send_id, row.position)] = (row.delivery, row.delivery_code,
                                                       bool(row.delivery_ambiguous))
        alike: dict[tuple[Delivery, datetime | None, str | None, datetime | None, bool],
                    list[tuple[int, int]]] = {}
        waiting = (None, None, False)
        for where, outcome in outcomes.items():
            # Delivery is a StrEnum: the state is its stored string (no .value looked up).
            if stored.get(where, waiting) == (outcome.state, outcome.code, outcome.ambiguous):
                continue
            alike.setdefault((outcome.state, outcome.at, outcome.code, outcome.refunded_at,
                              outcome.ambiguous), []).append(where)
        del stored
        for state in (Delivery.DELIVERED, Delivery.FAILED):
            groups = [(values, places) for values, places in alike.items()
                      if values[0] is state]
            runs = [{"b_send": send_id, "b_low": low, "b_high": high,
                     "b_state": state.value, "b_at": at, "b_code": code,
                     "b_refunded": refunded_at, "b_ambiguous": ambiguous}
                    for (_, at, code, refunded_at, ambiguous), places in groups
                    for send_id, low, high in _runs(places)]
            if not runs:
                continue
            done = connection.execute(_WRITE, runs).rowcount
            if done is None or done < 0:  # a driver that cannot count: every place is there
                done = sum(len(places) for _, places in groups)
            if state is Delivery.DELIVERED:
                report.delivered += done
            else:
                report.failed += done
        first_seen = sorted(i for i in listed_sends if sends[i].listed_at is None)
        report.resolved += sum(1 for i in first_seen if sends[i].unknown)
        for chunk in _chunks(first_seen):
            connection.execute(update(_sends).where(_sends.c.id.in_(chunk))
                               .values(listed_at=utcnow()))


def _runs(places: list[tuple[int, int]]) -> Iterator[tuple[int, int, int]]:
    """``places`` (send id, position) as runs of consecutive positions: (send id, first,
    last). The recipients of a send that get one outcome are mostly one run or a few."""
    places.sort()
    first = 0
    for i in range(1, len(places) + 1):
        if i < len(places) and places[i] == (places[i - 1][0], places[i - 1][1] + 1):
            continue
        yield places[first][0], places[first][1], places[i - 1][1]
        first = i


#: One run of recipients given one outcome (executed with every run's values at once: a
#: lookup in the primary key each).
_WRITE = update(_recipients).where(
    _recipients.c.send_id == bindparam("b_send"),
    _recipients.c.position.between(bindparam("b_low"), bindparam("b_high"))).values(
    delivery=bindparam("b_state"), delivery_at=bindparam("b_at"),
    delivery_code=bindparam("b_code"), refunded_at=bindparam("b_refunded"),
    delivery_ambiguous=bindparam("b_ambiguous"))


def _no_report(now: datetime, windows: Windows, report: SyncReport) -> None:
    """Recipients of accepted sends (or unknown ones the list showed) still waiting past
    their kind's window after the send's last copy become ``no_report``."""
    s, r = _sends.c, _recipients.c
    naive = now.replace(tzinfo=None)
    due = func.coalesce(s.reserve_at, s.created_at)
    last = (func.coalesce(s.repeat_num, 1) - 1) * func.coalesce(s.repeat_minutes, 0)
    result = _open_result()
    with db.engine.begin() as connection:
        for kind in _KINDS:
            # The last copy's time is due + (repeats - 1) x minutes; a bound that ignores
            # the repeats first, then each candidate send checked exactly in Python.
            window = windows.of(kind)
            candidates = connection.execute(
                select(s.id, due.label("due"), last.label("span")).where(
                    s.kind == kind, s.test.is_(False), s.delivery_done_at.is_(None),
                    or_(result.in_(_TAKEN),
                        and_(result == Result.PENDING.value, s.listed_at.is_not(None))),
                    due < naive - window)).all()
            late = [row.id for row in candidates
                    if row.due + timedelta(minutes=row.span or 0) < naive - window]
            for chunk in _chunks(late):
                done = connection.execute(
                    update(_recipients).where(r.send_id.in_(chunk), r.delivery.is_(None))
                    .values(delivery=Delivery.NO_REPORT.value))
                report.no_report += done.rowcount or 0


def _finish(now: datetime) -> None:
    """Sends whose every recipient is final are not looked for again; nor are the sends
    that can never have a delivery (a test, a refusal, a send never made, a stored
    ``unknown``, or a pending one the list can no longer show), so the open sends
    (``ix_sends_delivery_open``) stay the few that may still change."""
    s, r = _sends.c, _recipients.c
    naive = now.replace(tzinfo=None)
    waiting = exists().where(r.send_id == s.id, r.delivery.is_(None))
    # Past the list's days (and a Korea day's edge) after its last possible copy.
    beyond = naive - timedelta(days=LIST_DAY_MAX + 1) - REPEAT_SPAN
    with db.engine.begin() as connection:
        connection.execute(
            update(_sends).where(s.delivery_done_at.is_(None), s.test.is_(False),
                                 or_(s.result.in_(_TAKEN), s.listed_at.is_not(None)),
                                 ~waiting)
            .values(delivery_done_at=naive))
        connection.execute(
            update(_sends).where(
                s.delivery_done_at.is_(None), s.listed_at.is_(None),
                or_(s.test.is_(True),
                    s.result.not_in((*_TAKEN, Result.PENDING.value)),
                    and_(s.result == Result.PENDING.value,
                         func.coalesce(s.reserve_at, s.created_at) < beyond)))
            .values(delivery_done_at=naive))


def _keep(report: SyncReport, started: datetime) -> int:
    with db.engine.begin() as connection:
        return int(connection.execute(
            insert(_syncs).values(started_at=started, finished_at=utcnow(), **report.row())
            .returning(_syncs.c.id)).scalar_one())


def sync_if_due(now: datetime | None = None) -> SyncReport | None:
    """Run ``sync`` when the last run started ``SMSFORM_DELIVERY_EVERY`` minutes ago or more
    (the worker asks every minute); None when it is not yet time."""
    settings = current_app.extensions["smsform.settings"]
    now = (now or compliance.now()).astimezone(UTC)
    with db.engine.connect() as connection:
        last = connection.execute(select(func.max(_syncs.c.started_at))).scalar()
    if last is not None and now.replace(tzinfo=None) - last < timedelta(
            minutes=settings.delivery_every):
        return None
    return sync(now=now, windows=windows_of(settings))


def last_run() -> dict[str, object] | None:
    """The newest run's row, for ``/gateway`` (None: the sync never ran)."""
    with db.engine.connect() as connection:
        row = connection.execute(
            select(_syncs).order_by(_syncs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def calls_needed(records: int) -> int:
    """The list calls ``records`` records of one kind take, 50 a call (at least one)."""
    return max(1, math.ceil(records / LIST_DISPLAY_MAX))


def reaches_phones() -> ColumnElement[bool]:
    """The send log rows (a WHERE on ``sends``) the gateway took for phones, or whose
    recipients its result list showed: delivery applies to their recipients."""
    s = _sends.c
    return and_(s.test.is_(False), or_(s.result.in_(_TAKEN), s.listed_at.is_not(None)))


def condition(state: Delivery) -> ColumnElement[bool]:
    """The sends (a WHERE on ``sends``) with a recipient whose delivery is ``state``:
    an indexed look-up of the outcome's recipients; ``waiting``: a send that reached the
    gateway for phones whose recipients are not all final yet."""
    s, r = _sends.c, _recipients.c
    if state is Delivery.WAITING:
        return and_(reaches_phones(), s.delivery_done_at.is_(None),
                    exists().where(r.send_id == s.id, r.delivery.is_(None)))
    return s.id.in_(select(r.send_id).where(r.delivery == state.value))


def counts(send_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each send's recipients by delivery outcome (``waiting`` for no value yet)."""
    r = _recipients.c
    found: dict[int, dict[str, int]] = {}
    ids = list(send_ids)
    with db.engine.connect() as connection:
        for chunk in _chunks(ids):
            for row in connection.execute(
                    select(r.send_id, r.delivery, func.count())
                    .where(r.send_id.in_(chunk)).group_by(r.send_id, r.delivery)):
                state = row.delivery or Delivery.WAITING.value
                found.setdefault(row.send_id, {})[state] = row[2]
    return found


@dataclass(frozen=True)
class Rates:
    """The dashboard's delivery figures: recipients of the sends that reached the gateway
    for phones in the last 7 and 30 Korea days, by outcome, and the 30 days' failures by
    the list's code."""

    week: dict[str, int]
    month: dict[str, int]
    failures: list[tuple[str | None, int]]  # (code or None, recipients), most first

    @staticmethod
    def rate(counts: dict[str, int]) -> float | None:
        """Delivered over every final outcome (None: nothing final yet)."""
        final = sum(counts.get(state.value, 0) for state in Delivery.FINAL)
        return counts.get(Delivery.DELIVERED.value, 0) / final if final else None


def rates(now: datetime | None = None) -> Rates:
    """Delivery by outcome over 7 and 30 days (one grouped read of the window's recipients)
    and the month's failures by code."""
    naive = _naive_utc(now) or utcnow()
    today = naive.replace(tzinfo=UTC).astimezone(KST).date()
    week_start = korea_day_start(today - timedelta(days=6))
    month_start = korea_day_start(today - timedelta(days=29))
    s, r = _sends.c, _recipients.c
    reached = and_(reaches_phones(), s.created_at >= month_start)
    recent = s.created_at >= week_start
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(r.delivery, recent.label("recent"), func.count().label("n"))
            .select_from(_recipients.join(_sends, s.id == r.send_id)).where(reached)
            .group_by(r.delivery, recent)).all()
        failures = connection.execute(
            select(r.delivery_code, func.count().label("n"))
            .select_from(_recipients.join(_sends, s.id == r.send_id))
            .where(reached, r.delivery == Delivery.FAILED.value)
            .group_by(r.delivery_code).order_by(func.count().desc())).all()
    week: dict[str, int] = {}
    month: dict[str, int] = {}
    for row in rows:
        state = row.delivery or Delivery.WAITING.value
        month[state] = month.get(state, 0) + row.n
        if row.recent:
            week[state] = week.get(state, 0) + row.n
    return Rates(week, month, [(row.delivery_code, row.n) for row in failures])
