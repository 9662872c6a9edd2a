"""The send log's writes: the intent row before the gateway call, the outcome after.

Plain statements, each in its own transaction: the intent must be committed before
anything reaches the gateway, and this runs on every send. The unique ``send_key``
makes a second claim of a token or key fail in the database itself, so concurrent
posts of one form (or one ``Idempotency-Key``) produce one row and one call.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cafe24.calls import SendRequest
from cafe24.phone import normalize_phone
from smsform import logs
from smsform.database import SQLITE_BUSY_TIMEOUT_MS
from smsform.extensions import db
from smsform.models import (
    SEND_NUMBERS,
    SEND_SEARCH,
    JobBatch,
    JobBatchPayload,
    Send,
    SendRecipient,
    User,
    utcnow,
)
from smsform.services import audit, hot_writes, search_index
from smsform.services.hot_writes import HotRead, HotWrite
from smsform.services.refusals import Refusal
from smsform.states import Result

log = logs.get("sendlog")
_sends = Send.__table__
_recipients = SendRecipient.__table__
_payloads = JobBatchPayload.__table__

#: A send's recipients as JSON ``[[phone, name], ...]`` (labelled ``recipients``): its
#: row's, or for a job batch's send logged without them (``write_intent``: its job's
#: payload holds the same JSON) the payload's; none once the send is purged. Read the
#: column through this, never ``sends.recipients`` alone.
RECIPIENTS_JSON = func.coalesce(_sends.c.recipients, case((
    _sends.c.purged_at.is_(None),
    select(_payloads.c.recipients_logged).where(
        _payloads.c.job_id == _sends.c.job_id, _payloads.c.number == _sends.c.batch)
    .scalar_subquery()))).label("recipients")
_users = User.__table__

_READ = object()  # write_intent: the newest credit known is read with the intent

#: A pending row older than the gateway's timeouts plus this is shown as unknown.
UNKNOWN_MARGIN = timedelta(seconds=2)
ANSWER_EXCERPT = 300


def unknown_after() -> timedelta:
    """How long a send may stay pending before nobody can say what became of it: every
    connect attempt and the read timeout, plus a margin."""
    gateway = current_app.extensions["smsform.settings"].gateway
    connects = 3  # the first attempt and the client's two connect retries
    return timedelta(seconds=gateway.connect_timeout * connects + gateway.read_timeout) + (
        UNKNOWN_MARGIN)


def request_hash(request: SendRequest) -> str:
    """A digest of what was asked, to tell a reused Idempotency-Key with another body."""
    prepared = request.prepared
    canonical = json.dumps([
        request.text, request.sender_number, list(request.recipients),
        [[r.phone, r.name] for r in request.named]
        if prepared is None else [prepared.named, prepared.field], request.subject_text,
        request.kind,
        request.reserve_at.isoformat() if request.reserve_at else None,
        request.repeat_num, request.repeat_minutes, request.test,
    ], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _utc(when: datetime | None) -> datetime | None:
    return when.astimezone(UTC).replace(tzinfo=None) if when is not None else None


def digits(phone: str) -> str:
    """A number as the log indexes it: its digits only (010-1234-5678 -> 01012345678)."""
    return "".join(ch for ch in (normalize_phone(phone) or phone) if ch.isdigit())[:16]


def _recipient_rows(request: SendRequest) -> list[tuple[str, str | None]]:
    request = request.unprepared()
    if request.named:
        return [(r.phone, r.name) for r in request.named]
    return [(phone, None) for phone in request.recipients]


@dataclass(frozen=True)
class Claimed:
    """The intent row was written: its id and its time (UTC, naive); for a send that costs
    credits, the newest credit a send's answer in the log gave, and when (read in the same
    transaction: the credit check needs it, and a second connection would cost as much).
    ``copy``: a job batch whose recipient rows are still to be copied from the job's (its
    job, batch and whether it is named): ``RowCopy`` does it while the call is made."""

    send_id: int
    created_at: datetime
    last_answer: tuple[datetime, int] | None = None
    copy: tuple[int, int, bool] | None = None


class _Helper(threading.Thread):
    """A kept daemon thread that runs the work beside one gateway call at a time."""

    def __init__(self, helpers: _Helpers) -> None:
        super().__init__(name="send-beside", daemon=True)
        self.helpers = helpers
        self.tasks: queue.SimpleQueue[tuple[Callable[[], None], threading.Event]] = (
            queue.SimpleQueue())

    def run(self) -> None:
        while True:
            work, done = self.tasks.get()
            try:
                work()
            except Exception:  # noqa: BLE001 - a kept thread must outlive its work's failure
                log.exception("the work beside a gateway call failed")
            finally:
                self.helpers.give_back(self)
                done.set()


class _Helpers:
    """The threads of the work beside gateway calls, kept between calls: a thread started
    for each call held that call up until it ran (~2 ms of a batch on this machine, the
    new thread taking the interpreter first). One per call at a time, so concurrent
    sends never wait for each other's; a forked process starts its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Helper] = []
        self._pid = os.getpid()

    def start(self, work: Callable[[], None]) -> threading.Event:
        """Run ``work`` in an idle helper (or a new one); the event is set when it ends."""
        done = threading.Event()
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's threads are not here
                self._idle, self._pid = [], os.getpid()
            helper = self._idle.pop() if self._idle else None
        if helper is None:
            helper = _Helper(self)
            helper.start()
        helper.tasks.put((work, done))
        return done

    def give_back(self, helper: _Helper) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._idle.append(helper)


_HELPERS = _Helpers()


#: On SQLite, every this many sends' row copy also folds the write-ahead log into the
#: database file (a passive checkpoint, which waits for no one), beside the call. Else the
#: commit that finds the log past SQLite's 1,000 pages does it: a bulk batch writes about
#: 90, so every 11th batch's outcome commit, on the way to the next call, took 10-15 ms.
#: Every 4th (~360 pages): each batch's made the outcome commits slower (1.2 -> 1.5 ms).
CHECKPOINT_BESIDE = 4


def _checkpoint_passively(engine: Any) -> None:
    """Fold SQLite's write-ahead log into the database file as far as no reader holds it
    back (``CHECKPOINT_BESIDE``); a failure is only logged: the copy is done, and SQLite's
    own checkpoint takes the log later."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except SQLAlchemyError as exc:
        log.warning("the write-ahead log was not checkpointed beside a call (%s)",
                    type(exc).__name__)


class RowCopy:
    """A job batch's recipient rows copied from the job's while its gateway call is made
    (the call waits on the network, the copy on the database: on a file or a server
    database in a thread of its own, so the batch does not wait for both), finished before
    the outcome is written (``finish``: a copy that failed, or one never started because
    no request left, is done there). The work starts once the request has left
    (``start``, the client's ``sent``): begun before, it took the interpreter from the
    request's encoding and writing, and the call came back that much later. An in-memory
    SQLite database, one connection for every thread, copies at once. A process killed in
    between leaves the rows to ``copy_missing`` (``bulk.settle`` asks it). ``beside``
    (``SendOrder.beside``) runs after the copy in the same thread, in the app's context;
    what it raises is logged, not raised. ``before`` runs first, in that thread too (a bulk
    worker writes the outcome of the batch before there, ``sending.Unwritten``), and in
    ``finish`` when no request left: it is never left undone."""

    def __init__(self, claim: Claimed, beside: Callable[[], object] | None = None,
                 before: Callable[[], object] | None = None) -> None:
        self.claim, self._failed = claim, False
        self._done: threading.Event | None = None
        self._beside, self._before = beside, before
        self._started = claim.copy is None and beside is None and before is None
        #: The search index's turn (``search_index.after_send``) was taken beside the call
        #: too, after the copy: the outcome need not take it.
        self.indexed = False

    def start(self) -> None:
        """Begin the work beside the call (once; the client calls it when its request has
        been written)."""
        if self._started:
            return
        self._started = True
        engine = db.engine
        if engine.url.database in (None, "", ":memory:"):
            self._work(engine)
            return
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._done = _HELPERS.start(lambda: self._work(engine, app))

    def _work(self, engine: Any, app: Any = None) -> None:
        self._run_quietly(self._take_before(), app)
        if self.claim.copy is not None:
            self._copy(engine)
        self._run_quietly(self._beside, app)

    def _take_before(self) -> Callable[[], object] | None:
        before, self._before = self._before, None
        return before

    def _run_quietly(self, work: Callable[[], object] | None, app: Any = None) -> None:
        if work is None:
            return
        try:
            if app is None:
                work()
            else:
                with app.app_context():
                    work()
        except Exception:  # noqa: BLE001 - the send goes on; its caller does it later
            log.exception("send %s: the work beside its call failed", self.claim.send_id)

    def _copy(self, engine: Any) -> None:
        job, batch, named = self.claim.copy or (0, 0, False)
        try:
            with engine.begin() as connection:
                _copy_batch(connection, self.claim.send_id, (job, batch), named)
            # Its own rows, while the call waits (see search_index: every batch).
            search_index.after_send(self.claim.send_id, engine, always=True)
            self.indexed = True
        except SQLAlchemyError as exc:
            self._failed = True
            log.warning("send %s: its recipient rows were not copied (%s); done again after "
                        "the call", self.claim.send_id, type(exc).__name__)
            return
        if engine.dialect.name == "sqlite" and not self.claim.send_id % CHECKPOINT_BESIDE:
            _checkpoint_passively(engine)

    def finish_quietly(self) -> None:
        """Wait for the copy's thread (a call that failed still lets it end)."""
        if self._done is not None:
            self._done.wait()
            self._done = None

    def finish(self) -> None:
        """Wait for the copy; do it here if it failed or never started (no request left:
        the work beside the call is not done then; raises what the database says)."""
        if not self._started:
            self._started, self._failed = True, self.claim.copy is not None
            self._run_quietly(self._take_before())
        self.finish_quietly()
        if self._failed and self.claim.copy is not None:
            self._failed = False
            job, batch, named = self.claim.copy
            with db.engine.begin() as connection:
                _copy_batch(connection, self.claim.send_id, (job, batch), named)


def copy_missing(send_id: int) -> bool:
    """Copy a job batch send's recipient rows from the job's when it has none (its copy
    was cut off by a stopped process); True when it did."""
    s, b = _sends.c, JobBatch.__table__.c
    with db.engine.begin() as connection:
        row = connection.execute(
            select(s.job_id, s.batch, b.named)
            .join(JobBatch.__table__, and_(b.job_id == s.job_id, b.number == s.batch))
            .where(s.id == send_id)).first()
        if row is None:  # no such send, or not a job batch's
            return False
        return _copy_batch(connection, send_id, (row.job_id, row.batch), row.named) > 0


@dataclass(frozen=True)
class Taken:
    """The key already belongs to a logged send: that row's state."""

    send_id: int
    result: str
    code: str | None
    remaining: int | None
    detail: str | None
    created_at: datetime
    same_request: bool


# Built once: the statements of every send (only their values change; the SET of an
# UPDATE is the values' names, the WHERE's parameters start with "w_").
_INSERT_SEND = HotWrite(insert(_sends), _sends)
_INSERT_RECIPIENT = HotWrite(insert(_recipients), _recipients)
_UPDATE_SEND = HotWrite(update(_sends).where(_sends.c.id == bindparam("w_id")), _sends)
_REMEMBER_SENDER = HotWrite(update(_users).where(
    _users.c.id == bindparam("w_id"),
    _users.c.last_sender.is_distinct_from(bindparam("w_sender"))).values(
    last_sender=bindparam("w_sender")), _users)


#: A job batch's recipient rows from the job's (``_copy_batch``): one statement, the same
#: text every time (on SQLite it runs on the driver's cursor: no statement is built).
_COPY_BATCH = (
    "INSERT INTO send_recipients (send_id, position, phone, name, delivery_ambiguous) "
    "SELECT :send_id, r.position - (SELECT first_position FROM job_batches "
    "WHERE job_id = :job AND number = :batch), r.phone, "
    "CASE WHEN :named THEN r.name ELSE NULL END, :ambiguous "
    "FROM job_recipients r WHERE r.job_id = :job "
    # the batch's range as constants of the statement (each subquery read once): a range
    # of the primary key whatever the planner knows of the tables' sizes
    "AND r.position >= (SELECT first_position FROM job_batches "
    "WHERE job_id = :job AND number = :batch) "
    "AND r.position < (SELECT first_position + recipient_count FROM job_batches "
    "WHERE job_id = :job AND number = :batch) "
    "AND NOT EXISTS (SELECT 1 FROM send_recipients WHERE send_id = :send_id) "
    "ORDER BY r.position")


def _copy_batch(connection: Connection, send_id: int, job: tuple[int, int],
                named: bool) -> int:
    """A job batch's recipient rows, copied from the job's own in one statement (its
    positions ``first_position`` onwards, from 0; names only when the batch sends them);
    nothing when the send has rows already (a copy done again after a failure). The rows
    it wrote."""
    params = {"send_id": send_id, "job": job[0], "batch": job[1], "named": named,
              "ambiguous": False}
    if connection.dialect.name == "sqlite":
        return hot_writes.run(connection, _COPY_BATCH, params)
    return int(connection.execute(text(_COPY_BATCH), params).rowcount)


def record_intent(request: SendRequest, *, user_id: int | None, actor: str, source: str,
                  address: str | None, send_key: str | None,
                  digest: str | None, advertising: bool = False,
                  excluded: Sequence[str] = (), opted_out: int = 0,
                  job: tuple[int, int] | None = None,
                  logged: str | None = None) -> Claimed | Taken:
    """Write and commit the intent row (result ``pending``), or say who has the key;
    ``excluded`` and ``opted_out`` are the opt-out list's (``optouts.log_values``), written
    only when there are some; ``job`` a bulk job's id and batch number. A job batch's
    prepared request (``SendRequest.prepared``) comes with its recipients as the log keeps
    them written out (``logged``, JSON) and its recipient rows are copied from the job's in
    the database: no work per recipient here."""
    for _attempt in range(3):  # a key released between our insert and our look-up
        try:
            with hot_writes.begin(db.engine) as connection:
                return write_intent(connection, request, user_id=user_id, actor=actor,
                                    source=source, address=address, send_key=send_key,
                                    digest=digest, advertising=advertising,
                                    excluded=excluded, opted_out=opted_out, job=job,
                                    logged=logged)
        except IntegrityError:
            if send_key is None:
                raise
        taken = _holder(send_key, digest)
        if taken is not None:
            return taken
    raise RuntimeError("the send key kept changing hands")  # pragma: no cover - a livelock


def write_intent(connection: Connection, request: SendRequest, *, user_id: int | None,
                 actor: str, source: str, address: str | None, send_key: str | None,
                 digest: str | None, advertising: bool = False,
                 excluded: Sequence[str] = (), opted_out: int = 0,
                 job: tuple[int, int] | None = None, logged: str | None = None,
                 answered: Any = _READ) -> Claimed:
    """``record_intent``'s row written inside ``connection``'s transaction (committed by
    its caller, before the call); ``IntegrityError`` when the key is taken. A job batch's
    recipients as the job wrote them out (``logged``, its payload's JSON) stay in the
    payload (``RECIPIENTS_JSON`` reads them there): on SQLite a row that changes size is
    written again whole, and the outcome's update then wrote those 30 kB a second time, on
    the way from one batch's answer to the next batch's request. ``answered``: the newest
    credit known as its caller read it (``newest_answer``), else read here."""
    copied = job is not None and request.prepared is not None and logged is not None
    rows = [] if copied else _recipient_rows(request)
    values = _intent_row(request, user_id=user_id, actor=actor, source=source,
                         address=address, send_key=send_key, digest=digest,
                         advertising=advertising, excluded=excluded, opted_out=opted_out,
                         job=job, recipients=None if copied else rows)
    send_id = _INSERT_SEND.execute(connection, values)
    assert send_id is not None  # a one-row INSERT always has its key
    if not copied:
        _INSERT_RECIPIENT.execute_many(connection, [
            {"send_id": send_id, "position": i, "phone": digits(phone),
             "name": name} for i, (phone, name) in enumerate(rows)])
    if answered is _READ:
        answered = newest_answer(connection) if request.cost > 0 else None
    created_at = values["created_at"]
    if copied:
        assert job is not None and request.prepared is not None
        return Claimed(send_id, created_at, answered,
                       copy=(job[0], job[1], request.prepared.named))
    return Claimed(send_id, created_at, answered)


#: ``json.dumps(..., ensure_ascii=False)``, its encoder made once (dumps makes one a call).
_AS_WRITTEN = json.JSONEncoder(ensure_ascii=False)


def _intent_row(request: SendRequest, *, user_id: int | None, actor: str, source: str,
                address: str | None, send_key: str | None, digest: str | None,
                advertising: bool, excluded: Sequence[str], opted_out: int,
                job: tuple[int, int] | None,
                recipients: list[tuple[str, str | None]] | None) -> dict[str, Any]:
    """The intent row's values (``recipients`` None: a job batch's, kept in its payload)."""
    values = {
        "created_at": utcnow(), "user_id": user_id, "actor": actor[:64], "source": source,
        "client_address": (address or "")[:64] or None, "send_key": send_key,
        "request_hash": digest, "sender": request.sender_number, "kind": request.kind,
        "subject": request.subject_text or None, "text": request.text,
        "recipients": None if recipients is None else _AS_WRITTEN.encode(recipients),
        "recipient_count": request.recipient_count, "forecast": request.cost, "cost": None,
        "test": request.test, "advertising": advertising, "reserve_at": _utc(request.reserve_at),
        "repeat_num": request.repeat_num, "repeat_minutes": request.repeat_minutes,
        "result": Result.PENDING,
    }
    if job is not None:
        values["job_id"], values["batch"] = job
    if opted_out:
        values["opted_out"] = opted_out
        if excluded:
            values["excluded"] = _AS_WRITTEN.encode(list(excluded))
    return values


_CLAIMED_INSERTS: dict[tuple[int, tuple[str, ...]], Any] = {}


def write_claimed_intent(connection: Connection, claim: Any, request: SendRequest, *,
                         claim_params: dict[str, Any], answered: tuple[datetime, int] | None,
                         user_id: int | None, actor: str, source: str, address: str | None,
                         send_key: str | None, digest: str | None, advertising: bool = False,
                         excluded: Sequence[str] = (), opted_out: int = 0,
                         job: tuple[int, int]) -> Claimed | None:
    """A job batch's intent row (its recipients in its payload, ``write_intent``) written
    in one statement with ``claim`` (PostgreSQL: an UPDATE ... RETURNING, the batch's
    compare-and-set), and only when the claim changed a row: None when it did not. One
    round trip on an autocommit connection, the claim and the intent one transaction;
    ``IntegrityError`` when the key is taken (the claim undone with it)."""
    assert request.prepared is not None
    values = _intent_row(request, user_id=user_id, actor=actor, source=source,
                         address=address, send_key=send_key, digest=digest,
                         advertising=advertising, excluded=excluded, opted_out=opted_out,
                         job=job, recipients=None)
    names = tuple(values)
    key = (id(claim), names)
    statement = _CLAIMED_INSERTS.get(key)
    if statement is None:
        claimed = claim.cte("claimed")
        c = _sends.c
        statement = hot_writes.DriverStatement(insert(_sends).from_select(list(names), select(
            *(bindparam(f"v_{name}", type_=c[name].type) for name in names))
            .select_from(claimed)).returning(c.id))
        _CLAIMED_INSERTS[key] = statement
    params = {**claim_params, **{f"v_{name}": value for name, value in values.items()}}
    row = statement.first(connection, params)
    if row is None:
        return None
    send_id = row[0]
    return Claimed(send_id, values["created_at"], answered,
                   copy=(job[0], job[1], request.prepared.named))


_NEWEST_ANSWER = HotRead(select(_sends.c.finished_at, _sends.c.remaining)
                         .where(_sends.c.remaining.is_not(None),
                                _sends.c.finished_at.is_not(None))
                         .order_by(_sends.c.id.desc()).limit(1))


def newest_answer(connection: Connection) -> tuple[datetime, int] | None:
    """The newest credit a send's answer gave (``success,N``, ``-201,N``...), and when."""
    row = _NEWEST_ANSWER.first(connection, {})
    return (row.finished_at, row.remaining) if row is not None else None


def _holder(send_key: str, digest: str | None) -> Taken | None:
    with db.engine.connect() as connection:
        row = connection.execute(
            select(_sends.c.id, _sends.c.result, _sends.c.code, _sends.c.remaining,
                   _sends.c.detail, _sends.c.created_at, _sends.c.request_hash)
            .where(_sends.c.send_key == send_key)).first()
    if row is None:
        return None
    return Taken(row.id, row.result, row.code, row.remaining, row.detail, row.created_at,
                 digest is None or row.request_hash == digest)


def record_outcome(send_id: int, *, result: str, code: str | None, cost: int | None,
                   remaining: int | None, answer: str, detail: str, duration_ms: int,
                   release_key: bool, user_id: int | None, sender: str | None,
                   indexed: bool = False) -> None:
    """Write what became of the send (``cost``: what the gateway charged, None when nobody
    knows); give its key back when nothing went out; remember the user's sender after an
    accepted send; then the search index's turn (``search_index.after_send``) unless it
    was ``indexed`` already (a job batch's, beside its call)."""
    with hot_writes.begin(db.engine) as connection:
        write_outcome(connection, send_id, result=result, code=code, cost=cost,
                      remaining=remaining, answer=answer, detail=detail,
                      duration_ms=duration_ms, release_key=release_key, user_id=user_id,
                      sender=sender)
    after_outcome(send_id, indexed=indexed)


def write_outcome(connection: Connection, send_id: int, *, result: str, code: str | None,
                  cost: int | None, remaining: int | None, answer: str, detail: str,
                  duration_ms: int, release_key: bool, user_id: int | None,
                  sender: str | None) -> None:
    """``record_outcome``'s writes inside ``connection``'s transaction (its caller commits
    them, then calls ``after_outcome``)."""
    values = {"result": result, "code": code, "cost": cost, "remaining": remaining,
              "answer": answer[:ANSWER_EXCERPT] or None, "detail": detail[:300] or None,
              "duration_ms": duration_ms, "finished_at": utcnow()}
    if release_key:
        values["send_key"] = None
    values["w_id"] = send_id
    _UPDATE_SEND.execute(connection, values)
    if user_id is not None and sender:
        _REMEMBER_SENDER.execute(connection, {"w_id": user_id, "w_sender": sender})


def after_outcome(send_id: int, *, indexed: bool = False) -> None:
    """After an outcome's commit: the search index's turn, unless it was ``indexed``."""
    if not indexed:
        search_index.after_send(send_id)


def effective_result(result: str, created_at: datetime, now: datetime | None = None) -> str:
    """``pending`` past the gateway's timeouts is ``unknown``: the process stopped mid-call."""
    if result != Result.PENDING:
        return result
    return Result.UNKNOWN if (now or utcnow()) - created_at > unknown_after() else Result.PENDING


# --- settling and purging (admins, the CLI) ------------------------------------------

#: How often a purge asks SQLite to empty its write-ahead log, and the pause between.
CHECKPOINT_TRIES, CHECKPOINT_PAUSE = 10, 0.2
#: How an admin may settle an unknown send after checking the gateway's results.
MARKS = ("sent", "not_sent")
PURGE_BATCH = 2000


class MarkRefused(Refusal):
    """The send cannot be marked: ``code`` is ``not_found`` or ``not_unknown``."""


def unknown_condition(now: datetime):
    """The rows whose outcome is unknown at ``now``, as ``effective_result`` says (for a WHERE)."""
    s = _sends.c
    return or_(s.result == Result.UNKNOWN,
               and_(s.result == Result.PENDING, s.created_at < now - unknown_after()))


def pending_condition(now: datetime):
    """The rows still waiting for the gateway's answer at ``now`` (for a WHERE)."""
    s = _sends.c
    return and_(s.result == Result.PENDING, s.created_at >= now - unknown_after())


def mark(send_id: int, verdict: str, *, user_id: int, actor: str,
         address: str | None) -> str | None:
    """Settle an unknown send as ``sent`` or ``not_sent`` (its result stays unknown; the
    mark is shown beside it, and its cost becomes the forecast or 0) and audit it; returns
    the earlier mark. Raises MarkRefused."""
    if verdict not in MARKS:
        raise ValueError(f"unknown mark {verdict!r}")
    now = utcnow()
    with db.engine.begin() as connection:
        previous = connection.execute(select(_sends.c.id, _sends.c.marked)
                                      .where(_sends.c.id == send_id)).first()
        if previous is None:
            raise MarkRefused("not_found")
        changed = connection.execute(
            update(_sends).where(_sends.c.id == send_id, unknown_condition(now))
            .values(marked=verdict, marked_by=user_id, marked_at=now,
                    cost=_sends.c.forecast if verdict == "sent" else 0)).rowcount
    if not changed:
        raise MarkRefused("not_unknown")
    audit.record("send_marked", actor=actor, actor_id=user_id, target=str(send_id),
                 detail={"mark": verdict, "previous": previous.marked}, address=address)
    return previous.marked


def purgeable(before: datetime) -> int:
    """How many sends logged before ``before`` (UTC, naive) still hold texts and numbers."""
    s = _sends.c
    with db.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(_sends).where(
            s.created_at < before, s.purged_at.is_(None))).scalar_one()


def _erase_freed_pages(connection, on: bool) -> None:
    """On SQLite, have ``connection`` overwrite what it deletes while ``on`` (freed pages
    would otherwise keep purged texts and numbers in the file until they are reused)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}")
        connection.commit()  # the statement began SQLAlchemy's transaction: end it


_OPTIMIZE_SEARCH = f"INSERT INTO {SEND_SEARCH}({SEND_SEARCH}) VALUES ('optimize')"  # noqa: S608 - a constant
_OPTIMIZE_NUMBERS = f"INSERT INTO {SEND_NUMBERS}({SEND_NUMBERS}) VALUES ('optimize')"  # noqa: S608 - a constant


def has_sqlite_table(connection: Connection, name: str) -> bool:
    """True when SQLite's search aid ``name`` (the word index, the counts) exists; never on
    another database."""
    if connection.dialect.name != "sqlite":
        return False
    return connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).first(
    ) is not None


def _compact(connection) -> None:
    """On SQLite, fold the deleted entries out of the texts' word index and empty the
    write-ahead log, so that the purged words leave the files, not only the rows."""
    if connection.dialect.name != "sqlite":
        return
    with connection.begin():
        if has_sqlite_table(connection, SEND_SEARCH):
            connection.exec_driver_sql(_OPTIMIZE_SEARCH)
        if has_sqlite_table(connection, SEND_NUMBERS):
            connection.exec_driver_sql(_OPTIMIZE_NUMBERS)
    # Each try waits for readers only briefly (not the app's busy timeout of seconds).
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(CHECKPOINT_PAUSE * 1000)}")
    try:
        for _attempt in range(CHECKPOINT_TRIES):
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0]
            connection.commit()
            if not busy:
                return
            time.sleep(CHECKPOINT_PAUSE)  # a reader is in the log: let it finish
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
        connection.commit()
    log.warning("log purge: the write-ahead log could not be emptied while other "
                "connections read it; it keeps purged text until SQLite reuses it. Run "
                "the purge again when the app is quiet to empty it.")


def purge(before: datetime, *, actor: str, label: str) -> int:
    """Remove the texts, subjects, numbers and gateway answers of every send logged before
    ``before`` (UTC, naive), keeping its counts, kind, cost, result and code; audited.

    Works PURGE_BATCH rows per transaction so sends are never kept waiting for the lock.
    ``label`` is the cut-off as the person gave it (for the audit). Returns the rows purged.
    """
    s = _sends.c
    purged, after = 0, (datetime.min, 0)
    with db.engine.connect() as connection:
        _erase_freed_pages(connection, True)
        try:
            while True:
                with connection.begin():
                    batch = connection.execute(
                        select(s.id, s.created_at).where(
                            s.created_at < before, s.purged_at.is_(None),
                            tuple_(s.created_at, s.id) > after)
                        .order_by(s.created_at, s.id).limit(PURGE_BATCH)).all()
                    if not batch:
                        break
                    ids = [row.id for row in batch]
                    connection.execute(delete(_recipients).where(
                        _recipients.c.send_id.in_(ids)))
                    connection.execute(update(_sends).where(s.id.in_(ids)).values(
                        text=None, subject=None, recipients=None, answer=None, excluded=None,
                        purged_at=utcnow(),
                        # A digest of text and numbers can be matched against guesses, and
                        # a caller's key may name its order: neither outlives the texts.
                        request_hash=None, send_key=None))
                purged += len(ids)
                after = (batch[-1].created_at, batch[-1].id)
            if purged:
                _compact(connection)
        finally:
            _erase_freed_pages(connection, False)
    audit.record("log_purged", actor=actor, detail={"before": label, "rows": purged})
    return purged
