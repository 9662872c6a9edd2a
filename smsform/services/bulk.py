"""Bulk jobs: a checked list becomes a job, its batches go one by one through the send
service, and the job's life (start, pause, resume, cancel) is kept in the database.

The database is the truth. A job's row holds its state and its worker's lease; each batch
(at most 999 recipients, one gateway call) is claimed by a compare-and-set of its state
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and committed ``sending`` before its call, its
outcome after; the send log's row (``SendKey.job_batch``) makes the call happen once
whatever crashes. A queue message (smsform.worker) only wakes a worker; ``pick_up``, every
minute, finds what a lost message or a dead worker left behind.

``create`` writes a checked list (services.bulk_check) as a job in ``checking``: one
transaction, one executemany per table, so 100,000 recipients take well under 2 s.

A job's life: ``start`` (``scheduled`` or ``running``; refused when the credit known
cannot pay, or an advertisement would reach the night), ``pause``, ``resume`` and
``cancel`` (the batches not yet handed over are cancelled in the job's own transaction,
so no worker claims one after it), each audited; senders control their own jobs,
administrators every job (``may_control``). ``run`` is the worker's: its lease on the
job, each batch claimed, built from its recipients' rows and sent through
``sending.submit`` (source ``bulk``, the send log row carrying the job and batch), its
outcome written on the batch. Stop rules: a refusal that would come back for every batch
(``-102``, ``-201`` or the service's own credit check, ``-114``, ``-105``) or three
transport failures in a row pause the job after that batch with the reason
(``JobPause``), and ``resume`` sends the batches it refused again (nothing went); a
batch refused for its own content (``0004``) is marked and the job goes on; an
advertisement that reaches 21:00 pauses until 08:00 (Korea time), when ``pick_up``
resumes it. ``pick_up`` also starts due scheduled jobs (or pauses one more than
``SMSFORM_BULK_LATE_AFTER`` late for a person) and settles the batches a dead worker
left ``sending`` (``settle``): its send log row's result, or, with no row, back to
waiting; a pending row past the unknown window is ``unknown``, never sent again.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cafe24 import message
from cafe24.calls import PreparedRecipients, SendRequest
from cafe24.phone import Recipient, normalize_phone
from cafe24.text import normalize_text
from smsform import logs
from smsform.extensions import db
from smsform.models import (
    DeliverySync,
    Job,
    JobBatch,
    JobBatchPayload,
    JobProblem,
    JobRecipient,
    JobUpload,
    Send,
    SendRecipient,
    User,
    utcnow,
)
from smsform.permissions import Permission, role_allows
from smsform.services import (
    audit,
    bulk_check,
    compliance,
    credit,
    hot_writes,
    lists,
    optouts,
    sending,
    sendlog,
    tokens,
)
from smsform.services.bulk_check import Checked, Draft
from smsform.services.delivery import reaches_phones
from smsform.services.hot_writes import HotRead, HotWrite
from smsform.services.lists import Choice, Limits, RowProblem
from smsform.services.refusals import Refusal
from smsform.services.visibility import EVERYTHING, Reader, mask_name
from smsform.states import BatchState, Delivery, JobPause, JobState, Result

log = logs.get("bulk")
_jobs = Job.__table__
_batches = JobBatch.__table__
_payloads = JobBatchPayload.__table__
_recipients = JobRecipient.__table__
_problems = JobProblem.__table__
_uploads = JobUpload.__table__
_sends = Send.__table__
_sent_to = SendRecipient.__table__
_syncs = DeliverySync.__table__
_users = User.__table__

#: The ways a job comes in (``jobs.source``); its batches are logged with source ``bulk``.
SOURCES = ("web", "api", "cli")
#: The send log's source of a job's batches.
SEND_SOURCE = "bulk"

_INSERT_RECIPIENT = HotWrite(insert(_recipients), _recipients)
_INSERT_BATCH = HotWrite(insert(_batches), _batches)
_INSERT_PAYLOAD = HotWrite(insert(_payloads), _payloads)
_INSERT_PROBLEM = HotWrite(insert(_problems), _problems)


class BulkRefused(Refusal):
    """A job cannot do what was asked: ``code`` is ``not_found``, ``not_allowed``,
    ``not_checking``, ``not_live``, ``not_paused``, ``not_running``, ``final``,
    ``nothing_to_send``, ``credit_short`` (params ``needed``, ``credit``, ``shortfall``),
    ``message`` (the draft itself cannot be sent), ``night`` (``resumes``) or
    ``key_taken`` (``id``: a job holds the Idempotency-Key already); ``no_upload`` (a
    pasted list cannot be read again with other columns)."""


def _digits(phone: str) -> str:
    """A number as the job (and the send log) keeps it: digits only."""
    if phone.isdigit():
        return phone
    plain = phone.replace("-", "")  # a checked number is dashed: its digits at once
    return plain[:16] if plain.isdigit() else "".join(ch for ch in phone if ch.isdigit())[:16]


@dataclass(frozen=True)
class JobKey:
    """A caller's Idempotency-Key for a job (its user's own) and a digest of what was
    asked with it."""

    user_id: int
    value: str
    request_hash: str

    @property
    def stored(self) -> str:
        """The key as ``jobs.request_key`` holds it (``key:<user>:<key>``)."""
        return tokens.header_key(self.user_id, self.value)


def create(checked: Checked, actor: sending.Actor, *, source: str, file_name: str = "",
           upload: bytes | None = None, pace_ms: int | None = None,
           key: JobKey | None = None, retry_of: dict[str, int | None] | None = None) -> int:
    """Write ``checked`` as a job in ``checking`` (its batches, recipients laid out batch
    by batch, the rows left out, the upload's bytes) in one transaction; its id. With
    ``key``, BulkRefused ``key_taken`` (``id``: the job that has it) when a job holds the
    key already: a repeated request makes no second job. ``retry_of``: the columns naming
    the job or send whose failed recipients this job retries (services.retry)."""
    if source not in SOURCES:
        raise ValueError(f"unknown job source {source!r}")
    draft, report = checked.draft, checked.report
    now = utcnow()
    values: dict[str, Any] = {
        "created_at": now, "user_id": actor.user_id, "actor": actor.name[:64],
        "source": source, "state": JobState.CHECKING.value, "pause_reason": None,
        "sender": draft.sender, "text": draft.text, "subject": draft.subject or "",
        "kind_choice": draft.kind, "test": draft.test, "advertising": draft.advertising,
        "send_at": draft.send_at, "file_name": file_name[:255],
        "phone_column": report.phone_column, "name_column": report.name_column,
        "fields": json.dumps(list(report.fields), ensure_ascii=False),
        "rows": checked.rows, "recipient_count": checked.recipients,
        "refused_count": checked.refused, "duplicate_count": checked.duplicates,
        "opted_out_count": checked.opted_out, "batch_count": len(checked.batches),
        "sms_count": checked.sms, "lms_count": checked.lms, "forecast": checked.forecast,
        "pace_ms": pace_ms, "failures_in_row": 0,
        "request_key": key.stored if key else None,
        "request_hash": key.request_hash if key else None,
        **(retry_of or {}),
    }
    batches: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    recipients: list[dict[str, Any]] = []
    position = 0
    for planned in checked.batches:
        # Names composed as a send composes them (SendRequest), once: the job's rows, the
        # gateway's field and the log's JSON then say the same.
        people = [Recipient(r.phone, normalize_text(r.name) if r.name else "")
                  for r in planned.recipients]
        prepared = PreparedRecipients.of(people, planned.named)
        logged = ([[p.phone, p.name] for p in people] if planned.named
                  else [[p.phone, None] for p in people])
        batches.append({
            "number": planned.number, "state": BatchState.WAITING.value,
            "kind": planned.kind, "subject": planned.subject or "", "text": planned.text,
            "named": planned.named, "first_position": position,
            "recipient_count": len(planned.recipients), "forecast": planned.forecast})
        payloads.append({
            "number": planned.number, "recipients_field": prepared.field,
            "recipients_logged": json.dumps(logged, ensure_ascii=False),
            "longest_name": prepared.longest_name})
        for r, person in zip(planned.recipients, people, strict=True):
            recipients.append({
                "position": position, "batch": planned.number, "row": r.row,
                "phone": _digits(r.phone), "name": person.name or None,
                "fields": json.dumps(r.fields, ensure_ascii=False) if r.fields else None})
            position += 1
    problems = _problem_rows(checked)
    try:
        job_id = _write(values, batches, payloads, recipients, problems, upload, file_name,
                        now)
    except IntegrityError:
        found = keyed(key) if key is not None else None
        if found is None:
            raise
        raise BulkRefused("key_taken", id=found[0]) from None
    log.info("job created id=%s user=%s source=%s recipients=%d batches=%d", job_id,
             actor.name, source, checked.recipients, len(batches))
    return int(job_id)


def keyed(key: JobKey) -> tuple[int, str | None] | None:
    """The job that holds ``key`` and the digest it was asked with, or None."""
    with db.engine.connect() as connection:
        row = connection.execute(select(_jobs.c.id, _jobs.c.request_hash).where(
            _jobs.c.request_key == key.stored)).first()
    return (row.id, row.request_hash) if row is not None else None


def _write(values: dict[str, Any], batches: list[dict[str, Any]],
           payloads: list[dict[str, Any]],
           recipients: list[dict[str, Any]], problems: list[dict[str, Any]],
           upload: bytes | None, file_name: str, now: Any) -> int:
    """The job's rows in one transaction; its id."""
    with db.engine.begin() as connection:
        inserted = connection.execute(insert(_jobs).values(values)).inserted_primary_key
        assert inserted is not None  # a one-row INSERT always has its key
        job_id = inserted[0]
        for row in batches:
            row["job_id"] = job_id
        for row in payloads:
            row["job_id"] = job_id
        for row in recipients:
            row["job_id"] = job_id
        for row in problems:
            row["job_id"] = job_id
        _INSERT_BATCH.execute_many(connection, batches)
        _INSERT_PAYLOAD.execute_many(connection, payloads)
        if connection.dialect.name == "postgresql":  # COPY: a row costs next to nothing
            _copy_rows(connection, _recipients, recipients)
            _copy_rows(connection, _problems, problems)
        else:
            _INSERT_RECIPIENT.execute_many(connection, recipients)
            _INSERT_PROBLEM.execute_many(connection, problems)
        if upload is not None:
            connection.execute(insert(_uploads).values(
                job_id=job_id, file_name=file_name[:255], data=upload, created_at=now))
    return int(job_id)


def _copy_rows(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (each naming the same columns) into ``table`` on PostgreSQL with COPY,
    inside ``connection``'s transaction (psycopg's own cursor on the same connection):
    100,000 job recipients in a fraction of what an executemany of them costs."""
    if not rows:
        return
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 "FROM STDIN")
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _problem_rows(checked: Checked) -> list[dict[str, Any]]:
    """The rows left out, one per row number (the first reason a row was refused)."""
    seen: set[int] = set()
    rows = []
    for problem in _in_row_order(checked.problems):
        if problem.row in seen:
            continue
        seen.add(problem.row)
        rows.append({"row": problem.row, "value": problem.value or "", "code": problem.code,
                     "first_row": problem.first_row})
    return rows


def _in_row_order(problems: Iterable[Any]) -> list[Any]:
    return sorted(problems, key=lambda p: p.row)



# --- reading a job ------------------------------------------------------------------


def get(job_id: int) -> Row[Any] | None:
    """The job's row (every column of ``jobs``, read by attribute), or None."""
    with db.engine.connect() as connection:
        return connection.execute(select(_jobs).where(_jobs.c.id == job_id)).first()


def listing(*, offset: int = 0, limit: int = 50,
            states: Iterable[str] | None = None) -> tuple[int, list[Row[Any]]]:
    """How many jobs there are and one page of them, newest first (``states``: only those)."""
    where = [] if states is None else [_jobs.c.state.in_([str(s) for s in states])]
    with db.engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(_jobs).where(*where)
                                   ).scalar_one()
        rows = connection.execute(select(_jobs).where(*where).order_by(_jobs.c.id.desc())
                                  .offset(offset).limit(limit)).all()
    return total, list(rows)


def jobs_of(user_id: int | None, *, before: int | None = None,
            limit: int = 20) -> tuple[list[Row[Any]], int | None]:
    """Up to ``limit`` jobs of ``user_id`` (None: everyone's) newest first, with ids below
    ``before``, and the ``before`` of the next page (None on the last): the token API's
    list, by keyset on the id so a page stays right while jobs are made."""
    j = _jobs.c
    where = [] if user_id is None else [j.user_id == user_id]
    if before is not None:
        where.append(j.id < before)
    with db.engine.connect() as connection:
        rows = list(connection.execute(select(_jobs).where(*where).order_by(j.id.desc())
                                       .limit(limit + 1)).all())
    more = len(rows) > limit
    return rows[:limit], rows[limit - 1].id if more else None


def discard(job_id: int) -> bool:
    """Delete a job still in ``checking`` and everything of it (never started: nothing of
    it was sent, and its Idempotency-Key may be used again); False when it has left
    ``checking`` meanwhile. For a list a program handed over that could not start."""
    with db.engine.begin() as connection:
        gone = connection.execute(delete(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == JobState.CHECKING.value)).rowcount
        if gone:
            for table in (_uploads, _problems, _recipients, _payloads, _batches):
                connection.execute(delete(table).where(table.c.job_id == job_id))
    return bool(gone)


def batches(job_id: int) -> list[Row[Any]]:
    """The job's batches in order (every column of ``job_batches``)."""
    with db.engine.connect() as connection:
        return list(connection.execute(select(_batches).where(_batches.c.job_id == job_id)
                                       .order_by(_batches.c.number)).all())


def upload(job_id: int) -> tuple[str, bytes] | None:
    """The list's file name and bytes while the job is ``checking`` (else None)."""
    with db.engine.connect() as connection:
        row = connection.execute(select(_uploads.c.file_name, _uploads.c.data)
                                 .where(_uploads.c.job_id == job_id)).first()
    return (row.file_name, row.data) if row is not None else None


def problems(job_id: int, *, offset: int = 0, limit: int = 100) -> list[RowProblem]:
    """The rows of the job's list left out, in row order."""
    p = _problems.c
    with db.engine.connect() as connection:
        rows = connection.execute(select(p.row, p.value, p.code, p.first_row)
                                  .where(p.job_id == job_id).order_by(p.row)
                                  .offset(offset).limit(limit)).all()
    return [RowProblem(r.row, r.value, r.code, r.first_row) for r in rows]


@dataclass(frozen=True)
class Progress:
    """A job's figures for its page and the API.

    Batch and recipient counts are by the batch's state (``BatchState`` values: waiting
    counts ``sending`` too); ``used`` is the credit charged so far (accepted batches, and
    unknown ones an administrator marked sent), ``at_most`` adds what the unmarked unknown
    ones may have cost; ``pace`` the measured seconds a batch takes (the newest batches'
    calls and the pause after each; None before one has gone), ``left`` the time the rest
    will take at that pace; ``unknown_send_ids`` the send log rows of the unknown batches
    (``/sends/<id>``, where an administrator marks them).
    """

    job_id: int
    state: str
    pause_reason: str | None
    resume_at: datetime | None
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    batch_total: int
    batch_done: int
    batches: dict[str, int]
    recipient_total: int
    recipients: dict[str, int]
    forecast: int
    used: int
    at_most: int
    pace: float | None
    left: timedelta | None
    unknown_send_ids: tuple[int, ...] = ()
    test: bool = False  # a test job: its batches go with testflag and cost nothing
    user_id: int | None = None  # whose job it is (who sees its numbers in full)

    @property
    def percent(self) -> int:
        """Batches done of all, 0 to 100 (100 for a job with nothing to send)."""
        return 100 if not self.batch_total else self.batch_done * 100 // self.batch_total

    @property
    def recipient_done(self) -> int:
        """Recipients whose batch has ended."""
        return self.recipient_total - self.recipients.get(BatchState.WAITING, 0)


#: How many of the newest batches the measured pace averages.
PACE_SAMPLE = 20


def progress(job_id: int) -> Progress | None:
    """The job's figures (None: no such job): the job, an aggregate of its batches by
    state, its newest batches' times (the pace) and its unknown ones' send log rows (an
    administrator's mark settles what they cost)."""
    with db.engine.connect() as connection:
        return _progress_in(connection, job_id)


def progress_and_delivery(job_id: int, job: Row[Any] | None = None,
                          ) -> tuple[Progress, dict[str, int] | None] | None:
    """``progress`` and ``delivery_of`` on one connection (the progress page and its
    JSON, polled every second while a job runs: one connection's round trips, not three);
    ``job``: its row, when the caller has read it already. None: no such job."""
    with db.engine.connect() as connection:
        found = _progress_in(connection, job_id, job)
        if found is None:
            return None
        return found, None if found.test else _delivery_in(connection, job_id)


def _progress_in(connection: Connection, job_id: int,
                 job: Row[Any] | None = None) -> Progress | None:
    b, s = _batches.c, _sends.c
    if job is None:
        job = connection.execute(select(_jobs).where(_jobs.c.id == job_id)).first()
    if job is None:
        return None
    counted = connection.execute(
        select(b.state, func.count(), func.coalesce(func.sum(b.recipient_count), 0),
               func.coalesce(func.sum(b.cost), 0))
        .where(b.job_id == job_id).group_by(b.state)).all()
    timed = connection.execute(
        select(b.claimed_at, b.finished_at).where(
            b.job_id == job_id, b.claimed_at.is_not(None), b.finished_at.is_not(None),
            b.state != BatchState.CANCELLED.value)
        .order_by(b.finished_at.desc()).limit(PACE_SAMPLE)).all()
    unknown = connection.execute(
        select(b.send_id, b.forecast, s.marked, s.cost)
        .outerjoin(_sends, s.id == b.send_id)
        .where(b.job_id == job_id, b.state == BatchState.UNKNOWN.value)
        .order_by(b.number)).all()
    by_batch: dict[str, int] = {}
    by_recipient: dict[str, int] = {}
    used = done = 0
    for state, count, people, cost in counted:
        key = BatchState.WAITING.value if state == BatchState.SENDING else state
        by_batch[key] = by_batch.get(key, 0) + count
        by_recipient[key] = by_recipient.get(key, 0) + people
        if state in BatchState.FINAL:
            done += count
        if state == BatchState.ACCEPTED:
            used += cost
    # An unknown batch costs what an administrator's mark of its send says, else at most
    # its forecast.
    used += sum(row.cost or 0 for row in unknown if row.marked is not None)
    at_most = used + sum(row.forecast for row in unknown if row.marked is None)
    pace_ms = job.pace_ms if job.pace_ms is not None else _settings().bulk_pace_ms
    pace = (sum((f - c).total_seconds() for c, f in timed) / len(timed) + pace_ms / 1000
            if timed else None)
    waiting = by_batch.get(BatchState.WAITING, 0)
    left = (timedelta(seconds=pace * waiting) if pace is not None and job.state in
            (JobState.RUNNING, JobState.PAUSED) else None)
    return Progress(
        job_id=job.id, state=job.state, pause_reason=job.pause_reason,
        resume_at=job.resume_at, send_at=job.send_at, started_at=job.started_at,
        finished_at=job.finished_at, batch_total=job.batch_count, batch_done=done,
        batches=by_batch, recipient_total=job.recipient_count, recipients=by_recipient,
        forecast=job.forecast, used=used, at_most=at_most, pace=pace, left=left,
        unknown_send_ids=tuple(row.send_id for row in unknown if row.send_id is not None),
        test=bool(job.test), user_id=job.user_id)


#: Each job's final delivery counts (delivered, failed, no_report) as of a delivery sync's
#: run (``delivery_syncs``' id and start): only a sync writes them, so a poll of a job's page counts
#: its recipient rows once a sync, not once a second (a job of 100,000 has as many).
_FINAL: dict[int, tuple[tuple[Any, ...], dict[str, int]]] = {}
_FINAL_LOCK = threading.Lock()
_FINAL_KEPT = 1024


def delivery_counts(job_id: int) -> dict[str, int]:
    """The job's recipients by delivery outcome (``states.Delivery`` values), over the
    send log rows of its batches that reached phones: empty for a test job or before a
    batch went. Those not final are waiting; the final ones are counted again only after
    a delivery sync has run since (two indexed one-row reads otherwise)."""
    with db.engine.connect() as connection:
        return _delivery_in(connection, job_id)


def _delivery_in(connection: Connection, job_id: int) -> dict[str, int]:
    s, r = _sends.c, _sent_to.c
    reaching = int(connection.execute(
        select(func.coalesce(func.sum(s.recipient_count), 0))
        .where(s.job_id == job_id, reaches_phones())).scalar() or 0)
    if not reaching:
        return {}
    # A run by its id and start (a database made again starts its ids again).
    newest = connection.execute(select(_syncs.c.id, _syncs.c.started_at)
                                .order_by(_syncs.c.id.desc()).limit(1)).first()
    run = tuple(newest) if newest is not None else None
    with _FINAL_LOCK:
        kept = _FINAL.get(job_id)
    if run is None:
        final: dict[str, int] = {}
    elif kept is not None and kept[0] == run:
        final = kept[1]
    else:
        final = {row[0]: row[1] for row in connection.execute(
            select(r.delivery, func.count()).select_from(
                _sent_to.join(_sends, s.id == r.send_id))
            .where(s.job_id == job_id, reaches_phones(), r.delivery.is_not(None))
            .group_by(r.delivery))}
        with _FINAL_LOCK:
            if len(_FINAL) >= _FINAL_KEPT:
                _FINAL.clear()
            _FINAL[job_id] = (run, final)
    waiting = reaching - sum(final.values())
    return {**final, **({Delivery.WAITING.value: waiting} if waiting else {})}


def delivery_of(progress: Progress) -> dict[str, int] | None:
    """The job's recipients by delivery outcome (``delivery_counts``), None for a test job
    (it reaches no phone): what its page, the API and the CLI show."""
    return None if progress.test else delivery_counts(progress.job_id)


@dataclass(frozen=True)
class RecipientRow:
    """One recipient as the job's pages, API and report show it: its place in the job,
    its list row, number (dashed; masked for a reader who may not see it), name, batch,
    and the batch's outcome (``BatchState``) and code; then its delivery
    (``states.Delivery`` value, None when its batch reached no phone), the list's time of
    it (UTC), failure code, refund time and whether the match was ambiguous."""

    position: int
    row: int
    phone: str
    name: str
    batch: int
    outcome: str
    code: str | None
    delivery: str | None = None
    delivery_at: datetime | None = None
    delivery_code: str | None = None
    refunded_at: datetime | None = None
    ambiguous: bool = False
    fields: dict[str, str] | None = None


def _dashed(digits: str) -> str:
    return normalize_phone(digits) or digits


def _mask_phone(phone: str) -> str:
    parts = phone.split("-")
    if len(parts) == 3:
        return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]


def _recipient_query(job_id: int):
    """The job's recipients with their batch's outcome and, through the batch's send log
    row, their delivery (a batch has each number once: the number finds its row)."""
    r, b, t = _recipients.c, _batches.c, _sent_to.c
    return (select(r.position, r.row, r.phone, r.name, r.fields, r.batch, b.state, b.code,
                   reaches_phones().label("reaches"), t.send_id.label("sent"),
                   t.delivery, t.delivery_at,
                   t.delivery_code, t.refunded_at, t.delivery_ambiguous)
            .join(_batches, and_(b.job_id == r.job_id, b.number == r.batch))
            .outerjoin(_sends, _sends.c.id == b.send_id)
            .outerjoin(_sent_to, and_(t.send_id == b.send_id, t.phone == r.phone))
            .where(r.job_id == job_id))


def _shown(row: Any, full: bool) -> RecipientRow:
    phone, name = _dashed(row.phone), row.name or ""
    if not full:
        phone, name = _mask_phone(phone), mask_name(name)
    delivery = (row.delivery or Delivery.WAITING.value
                if row.reaches and row.sent is not None else None)
    return RecipientRow(
        row.position, row.row, phone, name, row.batch, row.state, row.code, delivery,
        row.delivery_at, row.delivery_code, row.refunded_at, bool(row.delivery_ambiguous),
        json.loads(row.fields) if full and row.fields else None)


def recipients(job_id: int, *, offset: int = 0, limit: int = 100, outcome: str | None = None,
               delivery: Delivery | None = None,
               reader: Reader = EVERYTHING) -> list[RecipientRow]:
    """One page of the job's recipients in order (``outcome``: only those of a batch
    state; ``delivery``: only those of a delivery outcome), masked for a ``reader`` who
    may not see the job's numbers in full."""
    job = get(job_id)
    if job is None:
        return []
    query = _recipient_query(job_id)
    if outcome is not None:
        query = query.where(_batches.c.state == outcome)
    if delivery is not None:
        query = query.where(_delivery_is(delivery))
    with db.engine.connect() as connection:
        rows = connection.execute(query.order_by(_recipients.c.position)
                                  .offset(offset).limit(limit)).all()
    full = reader.in_full(job.user_id)
    return [_shown(row, full) for row in rows]


def _delivery_is(state: Delivery):
    """A recipient of the query whose delivery is ``state`` (waiting: sent to phones and
    not told yet)."""
    t = _sent_to.c
    if state is Delivery.WAITING:
        return and_(reaches_phones(), t.send_id.is_not(None), t.delivery.is_(None))
    return and_(reaches_phones(), t.delivery == state.value)


REPORT_CHUNK = 5000


def report_rows(job_id: int, *, reader: Reader = EVERYTHING,
                delivery: Delivery | None = None) -> Iterator[RecipientRow]:
    """Every recipient of the job in order (``delivery``: only those of that outcome), for
    the CSVs (read in chunks by position, so a million rows never sit in memory)."""
    job = get(job_id)
    if job is None:
        return
    full = reader.in_full(job.user_id)
    after = -1
    query = _recipient_query(job_id)
    if delivery is not None:
        query = query.where(_delivery_is(delivery))
    while True:
        with db.engine.connect() as connection:
            rows = connection.execute(query.where(_recipients.c.position > after)
                                      .order_by(_recipients.c.position)
                                      .limit(REPORT_CHUNK)).all()
        if not rows:
            return
        for row in rows:
            yield _shown(row, full)
        after = rows[-1].position


# --- who may control a job ------------------------------------------------------------


def may_control(job_user_id: int | None, user_id: int | None, role: str | None) -> bool:
    """Senders start and control their own jobs, administrators every job (``user_id``
    None with role None: the CLI, which acts for the machine's owner)."""
    if user_id is None and role is None:
        return True
    if role is None or not role_allows(role, Permission.SEND):
        return False
    return role_allows(role, Permission.READ_ALL_SENDS) or job_user_id == user_id


def _role(connection: Connection, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    row = connection.execute(select(_users.c.role, _users.c.active)
                             .where(_users.c.id == user_id)).first()
    return row.role if row is not None and row.active else ""


def _job_for(connection: Connection, job_id: int, by: audit.AuditActor) -> Row[Any]:
    job = connection.execute(select(_jobs).where(_jobs.c.id == job_id)).first()
    if job is None:
        raise BulkRefused("not_found", job=job_id)
    if not may_control(job.user_id, by.id, _role(connection, by.id)):
        raise BulkRefused("not_allowed", job=job_id)
    return job


# --- the clock ----------------------------------------------------------------------


def _now(now: datetime | None = None) -> datetime:
    """Now in UTC, naive (``now`` when given; else the app's clock, which a test sets
    through ``SMSFORM_CLOCK`` as the law's judge reads it)."""
    if now is not None:
        return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    return compliance.now().astimezone(UTC).replace(tzinfo=None)


def _aware(stored: datetime) -> datetime:
    return stored.replace(tzinfo=UTC)


def _settings():
    return current_app.extensions["smsform.settings"]


# --- start, pause, resume, cancel -----------------------------------------------------


#: The gateway's answer codes (and the service's refusal) that will come back for every
#: batch: the job pauses after that batch, with this reason.
STOP_CODES = {"-102": JobPause.AUTH, "-201": JobPause.CREDIT, "-114": JobPause.SENDER,
              "-105": JobPause.BLOCKED, sending.Status.CREDIT_SHORT.value: JobPause.CREDIT}
#: Transport failures (not sent, or no answer) on this many batches in a row pause the job.
TRANSPORT_STOP = 3


def _open_cost(connection: Connection, job: Row[Any]) -> int:
    """Credits the batches still to go will cost."""
    if job.test:
        return 0
    b = _batches.c
    return connection.execute(select(func.coalesce(func.sum(b.forecast), 0)).where(
        b.job_id == job.id, b.state.in_(BatchState.OPEN))).scalar_one()


def _credit_check(job: Row[Any]) -> None:
    with db.engine.connect() as connection:
        cost = _open_cost(connection, job)
        logged = sendlog.newest_answer(connection)
    short = credit.shortfall(cost, logged)
    if short is not None:
        raise BulkRefused("credit_short", **short.params)


def _night_check(job: Row[Any], when: datetime) -> None:
    """An advertisement may not reach phones at night: refuse a start (or a schedule)
    that would, naming the next 08:00."""
    if not job.advertising:
        return
    resumes = compliance.night_resumes(_aware(when))
    if resumes is not None:
        raise BulkRefused("night", resumes=resumes.strftime("%Y-%m-%d %H:%M"))


def start(job_id: int, actor_user_id: int | None, actor_name: str, *,
          address: str | None = None, now: datetime | None = None) -> Progress:
    """Start a checked job (or a late one a person now starts): ``scheduled`` when its
    time is in the future, else ``running``; its upload is dropped. Audited. Raises
    BulkRefused (``not_checking``, ``nothing_to_send``, ``credit_short``, ``night``)."""
    by = audit.AuditActor(actor_name, actor_user_id, address)
    at = _now(now)
    with db.engine.connect() as connection:
        job = _job_for(connection, job_id, by)
    late = job.state == JobState.PAUSED and job.pause_reason == JobPause.LATE
    if job.state != JobState.CHECKING and not late:
        raise BulkRefused("not_checking", state=job.state)
    if not job.batch_count:
        raise BulkRefused("nothing_to_send")
    scheduled = job.send_at is not None and job.send_at > at and not late
    _night_check(job, job.send_at if scheduled else at)
    _credit_check(job)
    state = JobState.SCHEDULED if scheduled else JobState.RUNNING
    values: dict[str, Any] = {"state": state.value, "pause_reason": None, "resume_at": None,
                              "failures_in_row": 0}
    if state is JobState.RUNNING:
        values["started_at"] = at
    with db.engine.begin() as connection:
        changed = connection.execute(update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == job.state,
            _jobs.c.pause_reason.is_(None) if not late else _jobs.c.pause_reason == JobPause.LATE
        ).values(values)).rowcount
        if not changed:
            raise BulkRefused("not_checking", state=job.state)
        connection.execute(delete(_uploads).where(_uploads.c.job_id == job_id))
    audit.record_by("job_started", by, target=str(job_id), detail={
        "state": state.value, "recipients": job.recipient_count, "forecast": job.forecast,
        "send_at": job.send_at.isoformat() if job.send_at else None})
    log.info("job started id=%s by=%s state=%s", job_id, actor_name, state.value)
    if state is JobState.RUNNING:
        wake(job_id)
    return _progress(job_id)


def _progress(job_id: int) -> Progress:
    found = progress(job_id)
    assert found is not None  # the job exists: jobs are never deleted
    return found


def pause(job_id: int, actor_user_id: int | None, actor_name: str, *,
          address: str | None = None) -> Progress:
    """Pause a running or scheduled job (a batch being sent finishes; no other starts).
    Audited. Raises BulkRefused (``not_live``)."""
    by = audit.AuditActor(actor_name, actor_user_id, address)
    with db.engine.begin() as connection:
        job = _job_for(connection, job_id, by)
        changed = connection.execute(update(_jobs).where(
            _jobs.c.id == job_id,
            _jobs.c.state.in_([JobState.RUNNING.value, JobState.SCHEDULED.value]))
            .values(state=JobState.PAUSED.value, pause_reason=JobPause.PERSON.value)).rowcount
    if not changed:
        raise BulkRefused("not_live", state=job.state)
    audit.record_by("job_paused", by, target=str(job_id),
                    detail={"reason": JobPause.PERSON.value, "was": job.state})
    return _progress(job_id)


#: The batch outcomes a resume sends again: the ones a stop rule refused (nothing went)
#: and those that did not reach the gateway.
def _again_condition():
    b = _batches.c
    return or_(and_(b.state == BatchState.REFUSED.value, b.code.in_(list(STOP_CODES))),
               and_(b.state == BatchState.NOT_SENT.value,
                    or_(b.code.is_(None), b.code.in_(
                        [*STOP_CODES, sending.Status.NOT_SENT.value]))))


def resume(job_id: int, actor_user_id: int | None, actor_name: str, *,
           address: str | None = None, now: datetime | None = None) -> Progress:
    """Resume a paused job: ``running`` (``scheduled`` when its time is still ahead). The
    batches its stop rule refused, where nothing was sent, go again. Audited. Raises
    BulkRefused (``not_paused``, ``credit_short``, ``night``)."""
    by = audit.AuditActor(actor_name, actor_user_id, address)
    at = _now(now)
    with db.engine.connect() as connection:
        job = _job_for(connection, job_id, by)
    if job.state != JobState.PAUSED:
        raise BulkRefused("not_paused", state=job.state)
    scheduled = job.send_at is not None and job.send_at > at and job.started_at is None
    _night_check(job, job.send_at if scheduled else at)
    state = JobState.SCHEDULED if scheduled else JobState.RUNNING
    with db.engine.begin() as connection:
        again = connection.execute(update(_batches).where(
            _batches.c.job_id == job_id, _again_condition()).values(
            state=BatchState.WAITING.value, claimed_by=None, claimed_at=None,
            finished_at=None, code=None, cost=None)).rowcount
        values: dict[str, Any] = {"state": state.value, "pause_reason": None,
                                  "resume_at": None, "failures_in_row": 0}
        if state is JobState.RUNNING and job.started_at is None:
            values["started_at"] = at
        changed = connection.execute(update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == JobState.PAUSED.value).values(values)
        ).rowcount
        if not changed:
            raise BulkRefused("not_paused", state=job.state)
        # The credit of what is left, counted in the same transaction: short, nothing moves.
        cost = _open_cost(connection, job)
        short = credit.shortfall(cost, sendlog.newest_answer(connection))
        if short is not None:  # leaving the block rolls the resume back
            raise BulkRefused("credit_short", **short.params)
    audit.record_by("job_resumed", by, target=str(job_id),
                    detail={"reason": job.pause_reason, "state": state.value,
                            "again": again})
    if state is JobState.RUNNING:
        wake(job_id)
    return _progress(job_id)


@dataclass(frozen=True)
class Cancelled:
    """What a cancel stopped and what had already gone (batches and recipients): the
    batches handed over before it (``went``) finish as they will."""

    went_batches: int
    went_recipients: int
    stopped_batches: int
    stopped_recipients: int
    progress: Progress


def cancel(job_id: int, actor_user_id: int | None, actor_name: str, *,
           address: str | None = None, now: datetime | None = None) -> Cancelled:
    """Cancel a job that has not ended: every batch not yet handed over is ``cancelled``
    (in the same transaction as the job, so no worker claims one after it); says how many
    went. Audited. Raises BulkRefused (``final``)."""
    by = audit.AuditActor(actor_name, actor_user_id, address)
    at = _now(now)
    b = _batches.c
    with db.engine.begin() as connection:
        job = _job_for(connection, job_id, by)
        changed = connection.execute(update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state.in_([s.value for s in JobState.CANCELLABLE]))
            .values(state=JobState.CANCELLED.value, cancelled_at=at,
                    cancelled_by=actor_name[:64], finished_at=at)).rowcount
        if not changed:
            raise BulkRefused("final", state=job.state)
        stopped = connection.execute(
            select(func.count(), func.coalesce(func.sum(b.recipient_count), 0))
            .where(b.job_id == job_id, b.state == BatchState.WAITING.value)).one()
        connection.execute(update(_batches).where(
            b.job_id == job_id, b.state == BatchState.WAITING.value).values(
            state=BatchState.CANCELLED.value, finished_at=at))
        went = connection.execute(
            select(func.count(), func.coalesce(func.sum(b.recipient_count), 0))
            .where(b.job_id == job_id, b.state.in_(BatchState.HANDED_OVER))).one()
        connection.execute(delete(_uploads).where(_uploads.c.job_id == job_id))
    audit.record_by("job_cancelled", by, target=str(job_id), detail={
        "was": job.state, "went_batches": went[0], "went_recipients": went[1],
        "stopped_batches": stopped[0], "stopped_recipients": stopped[1]})
    log.info("job cancelled id=%s by=%s went=%d stopped=%d", job_id, actor_name, went[0],
             stopped[0])
    return Cancelled(went[0], went[1], stopped[0], stopped[1], _progress(job_id))


#: The audit trail's name for what the worker does by itself (a stop rule, the night).
WORKER_ACTOR = audit.AuditActor("bulk")


def _pause_by_rule(job_id: int, reason: JobPause, *, resume_at: datetime | None = None,
                   code: str | None = None, batch: int | None = None) -> bool:
    with db.engine.begin() as connection:
        changed = connection.execute(update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state.in_(
                [JobState.RUNNING.value, JobState.SCHEDULED.value]))
            .values(state=JobState.PAUSED.value, pause_reason=reason.value,
                    resume_at=resume_at)).rowcount
    if changed:
        audit.record_by("job_paused", WORKER_ACTOR, target=str(job_id), detail={
            "reason": reason.value, "code": code, "batch": batch,
            "resume_at": resume_at.isoformat() if resume_at else None})
        log.warning("job paused id=%s reason=%s code=%s batch=%s", job_id, reason.value,
                    code, batch)
    return bool(changed)


# --- the wake-up (smsform.worker puts a queue message) --------------------------------

#: The app's extension key of the worker's wake-up (smsform.worker.init_app sets it).
WAKE = "smsform.wake"


def wake(job_id: int) -> None:
    """Ask a worker to run the job now. Never fails: when the queue cannot be reached,
    the worker's minute task (``pick_up``) finds the job anyway."""
    waker: Callable[[int], None] | None = current_app.extensions.get(WAKE)
    if waker is None:
        return
    try:
        waker(job_id)
    except Exception as exc:  # noqa: BLE001 - any queue failure: the minute task is the net
        log.warning("job %s: the queue could not be reached (%s); the worker's minute task "
                    "will pick it up", job_id, type(exc).__name__)


# --- running a job (the worker) --------------------------------------------------------


def lease_length(pace_ms: int) -> timedelta:
    """How long a worker holds a job between two renewals: longer than one batch's call
    may take (every connect attempt and the read timeout) and the pause after it."""
    return sendlog.unknown_after() + timedelta(milliseconds=pace_ms, seconds=10)


# The worker's statements of every batch, built once (hot_writes: on SQLite each runs on
# the driver's cursor, a fraction of Core's cost; the WHERE's parameters start with "w_").
_j, _b = _jobs.c, _batches.c
_TAKE_LEASE = HotWrite(update(_jobs).where(
    _j.id == bindparam("w_id"), _j.state == bindparam("w_running"),
    or_(_j.worker.is_(None), _j.worker == bindparam("w_worker"), _j.lease_until.is_(None),
        _j.lease_until < bindparam("w_now"))), _jobs)
_WAITING_BATCH = HotRead(select(_b.number).where(
    _b.job_id == bindparam("job"), _b.state == bindparam("waiting")).order_by(
    _b.number).limit(1))
_CLAIM = HotWrite(update(_batches).where(
    _b.job_id == bindparam("w_job"), _b.number == bindparam("w_number"),
    _b.state == bindparam("w_waiting"),
    exists().where(_j.id == bindparam("w_job"), _j.state == bindparam("w_running"))),
    _batches)
_BATCH = HotRead(select(_batches).where(_b.job_id == bindparam("job"),
                                        _b.number == bindparam("number")))
_JOB_STATE = HotRead(select(_j.state).where(_j.id == bindparam("job")))
#: The claim on PostgreSQL in one statement: the first waiting batch locked with SKIP
#: LOCKED (another worker's candidate is passed over), set ``sending`` while the job runs.
_CLAIM_PG = update(_batches).where(
    _b.job_id == bindparam("w_job"), _b.state == bindparam("w_waiting"),
    _b.number == select(_b.number).where(
        _b.job_id == bindparam("w_job"), _b.state == bindparam("w_waiting")).order_by(
        _b.number).limit(1).with_for_update(skip_locked=True).scalar_subquery(),
    exists().where(_j.id == bindparam("w_job"), _j.state == bindparam("w_running"))).values(
    state=bindparam("w_sending"), claimed_by=bindparam("w_worker"),
    claimed_at=bindparam("w_at")).returning(*_batches.c)
#: A batch judged beside the call before it, claimed by its number while the job runs, its
#: worker holds it (its lease was renewed beside that call) and the opt-out list has not
#: changed since it was judged (else it is judged again).
_CLAIM_READY = HotWrite(update(_batches).where(
    _b.job_id == bindparam("w_job"), _b.number == bindparam("w_number"),
    _b.state == bindparam("w_waiting"),
    exists().where(_j.id == bindparam("w_job"), _j.state == bindparam("w_running"),
                   _j.worker == bindparam("w_holder")),
    optouts.unchanged_since(bindparam("w_since"))), _batches)
#: The same on PostgreSQL, passed over when another worker's claim holds its row (SKIP
#: LOCKED), as ``_CLAIM_PG``.
_CLAIM_READY_PG = update(_batches).where(
    _b.job_id == bindparam("w_job"), _b.state == bindparam("w_waiting"),
    _b.number == select(_b.number).where(
        _b.job_id == bindparam("w_job"), _b.number == bindparam("w_number"),
        _b.state == bindparam("w_waiting")).with_for_update(skip_locked=True)
    .scalar_subquery(),
    exists().where(_j.id == bindparam("w_job"), _j.state == bindparam("w_running"),
                   _j.worker == bindparam("w_holder")),
    optouts.unchanged_since(bindparam("w_since"))).values(
    state=bindparam("w_sending"), claimed_by=bindparam("w_worker"),
    claimed_at=bindparam("w_at"))
#: The same as the data-modifying part of the statement that logs the batch's intent
#: with its claim (``sendlog.write_claimed_intent``): the row it took.
_CLAIM_READY_PG_TAKES = _CLAIM_READY_PG.returning(_b.number)
#: The job's first waiting batch, whole, with its written-out recipients: the next one,
#: read beside the call before it.
_FIRST_WAITING = HotRead(select(
    _batches, _payloads.c.recipients_field,
    _payloads.c.recipients_logged, _payloads.c.longest_name)
    .outerjoin(_payloads, and_(
        _payloads.c.job_id == _b.job_id,
        _payloads.c.number == _b.number))
    .where(_b.job_id == bindparam("job"), _b.state == bindparam("waiting"))
    .order_by(_b.number).limit(1))
_RECORD_BATCH = HotWrite(update(_batches).where(
    _b.job_id == bindparam("w_job"), _b.number == bindparam("w_number"),
    _b.state == bindparam("w_sending")), _batches)
_FAILURES = HotWrite(update(_jobs).where(_j.id == bindparam("w_id")), _jobs)


def _take_lease(job_id: int, worker: str, length: timedelta) -> bool:
    with db.engine.begin() as connection:
        return _renew(connection, job_id, worker, length)


def _renew(connection: Connection, job_id: int, worker: str, length: timedelta,
           **also: Any) -> bool:
    """Take or renew ``worker``'s lease on the running job inside ``connection``'s
    transaction (``also``: other columns of the job set with it); False when the job no
    longer runs or another worker holds it."""
    now = utcnow()
    return bool(_TAKE_LEASE.execute(connection, {
        "worker": worker[:64], "lease_until": now + length, **also, "w_id": job_id,
        "w_running": JobState.RUNNING.value, "w_worker": worker[:64], "w_now": now}))


class _LeaseLost(Exception):
    """``claim_batch`` could not renew the worker's lease: the job is paused, cancelled or
    another worker's."""


def _release(job_id: int, worker: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(_jobs).where(_jobs.c.id == job_id,
                                               _jobs.c.worker == worker[:64])
                           .values(worker=None, lease_until=None))


def claim_batch(job_id: int, worker: str, *,
                lease: timedelta | None = None) -> Row[Any] | None:
    """Take the job's next waiting batch for ``worker``: a compare-and-set of its state
    (``waiting`` -> ``sending``, only while the job runs), committed before its call; on
    PostgreSQL the candidate is locked ``FOR UPDATE SKIP LOCKED``, so two workers never
    take the same one. None when no batch is left to take. With ``lease``, the worker's
    lease is renewed in the same transaction first (``_LeaseLost`` when it cannot be)."""
    while True:  # a lost race means another worker took that batch: try the next one
        with db.engine.begin() as connection:
            if lease is not None and not _renew(connection, job_id, worker, lease):
                raise _LeaseLost
            if connection.dialect.name == "postgresql":
                claimed = _claim_pg(connection, job_id, worker)
            else:  # SQLite: one writer at a time, no lock to skip
                claimed = _claim_here(connection, job_id, worker)
            if claimed is not False:
                return claimed


def _claim_pg(connection: Connection, job_id: int, worker: str) -> Any:
    """``claim_batch`` on PostgreSQL: one statement (see ``_CLAIM_PG``); as
    ``_claim_here`` answers."""
    row = connection.execute(_CLAIM_PG, {
        "w_job": job_id, "w_waiting": BatchState.WAITING.value,
        "w_running": JobState.RUNNING.value, "w_sending": BatchState.SENDING.value,
        "w_worker": worker[:64], "w_at": utcnow()}).first()
    if row is not None:
        return row
    b, j = _batches.c, _jobs.c
    left = connection.execute(select(b.number).where(
        b.job_id == job_id, b.state == BatchState.WAITING.value).limit(1)).first()
    running = connection.execute(select(j.state).where(j.id == job_id)).scalar()
    # none waiting, or the job stopped: nothing to take; else each was locked by another
    # worker's claim just now (taken, or given back by its rollback): look again
    return None if left is None or running != JobState.RUNNING else False


def _claim_here(connection: Connection, job_id: int, worker: str) -> Any:
    """``claim_batch``'s compare-and-set (on SQLite on the driver's cursor, elsewhere
    through Core, as ``HotRead``/``HotWrite`` run): the claimed batch's row, None when
    none is left to take (or the job no longer runs), False when another worker took the
    candidate first."""
    found = _WAITING_BATCH.first(connection, {"job": job_id,
                                              "waiting": BatchState.WAITING.value})
    if found is None:
        return None
    taken = _CLAIM.execute(connection, {
        "state": BatchState.SENDING.value, "claimed_by": worker[:64], "claimed_at": utcnow(),
        "w_job": job_id, "w_number": found.number, "w_waiting": BatchState.WAITING.value,
        "w_running": JobState.RUNNING.value})
    if taken:
        return _BATCH.first(connection, {"job": job_id, "number": found.number})
    running = _JOB_STATE.first(connection, {"job": job_id})
    return False if running is not None and running.state == JobState.RUNNING else None


_PAYLOAD = HotRead(select(_payloads.c.recipients_field, _payloads.c.recipients_logged,
                          _payloads.c.longest_name).where(
    _payloads.c.job_id == bindparam("job"), _payloads.c.number == bindparam("number")))
_UNREAD = object()


def payload(job_id: int, number: int) -> Row[Any] | None:
    """The batch's recipients as written out when the job was made (``job_batch_payloads``:
    ``recipients_field``, ``recipients_logged``, ``longest_name``), None for a job made
    before they were kept."""
    with db.engine.connect() as connection:
        return _PAYLOAD.first(connection, {"job": job_id, "number": number})


def _request(job: Row[Any], batch: Row[Any], written: Any = _UNREAD) -> SendRequest:
    """The batch's gateway call: its recipients as written out when the job was made
    (``written``, its ``payload``, read here unless given; no work per recipient), or, for
    a job made before those were kept, from its recipients' rows."""
    if written is _UNREAD:
        written = payload(job.id, batch.number)
    if written is not None and written.recipients_field is not None:
        return SendRequest(
            msg=batch.text, sender=job.sender, subject=batch.subject, lms=batch.kind == "L",
            test=job.test, prepared=PreparedRecipients(
                written.recipients_field, batch.named, batch.recipient_count,
                written.longest_name or ""))
    r = _recipients.c
    first = batch.first_position
    with db.engine.connect() as connection:
        people = connection.execute(select(r.phone, r.name).where(
            r.job_id == job.id, r.position >= first,
            r.position < first + batch.recipient_count).order_by(r.position)).all()
    if batch.named:
        named = tuple(Recipient(_dashed(p.phone), p.name or "") for p in people)
        return SendRequest(msg=batch.text, sender=job.sender, named=named,
                           subject=batch.subject, lms=batch.kind == "L", test=job.test)
    return SendRequest(msg=batch.text, sender=job.sender,
                       recipients=tuple(_dashed(p.phone) for p in people),
                       subject=batch.subject, lms=batch.kind == "L", test=job.test)


_ENDINGS = {
    sending.Status.SUCCESS: BatchState.ACCEPTED, sending.Status.RESERVED: BatchState.ACCEPTED,
    sending.Status.TEST: BatchState.ACCEPTED, sending.Status.REFUSED: BatchState.REFUSED,
    sending.Status.NOT_SENT: BatchState.NOT_SENT, sending.Status.UNKNOWN: BatchState.UNKNOWN,
    sending.Status.INVALID: BatchState.NOT_SENT, sending.Status.CREDIT_SHORT: BatchState.NOT_SENT,
    sending.Status.OVER_LIMIT: BatchState.NOT_SENT,
}
_FROM_RESULT = {Result.SUCCESS: BatchState.ACCEPTED, Result.RESERVED: BatchState.ACCEPTED,
                Result.TEST: BatchState.ACCEPTED, Result.REFUSED: BatchState.REFUSED,
                Result.NOT_SENT: BatchState.NOT_SENT, Result.UNKNOWN: BatchState.UNKNOWN}


def _ending(result: sending.SendResult) -> tuple[BatchState | None, str | None, int | None]:
    """The batch's state, code and cost for a send's result (None: leave it ``sending``:
    its key is being sent by someone right now)."""
    status = result.status
    if status is sending.Status.DUPLICATE and result.previous is not None:
        previous = result.previous
        state = _ENDINGS.get(previous.status, BatchState.UNKNOWN)
        return state, (previous.code or previous.status.value)[:16], None
    if status is sending.Status.IN_FLIGHT:
        return None, None, None
    if status is sending.Status.KEY_MISMATCH and result.send_id is not None:
        return _logged_ending(result.send_id)
    if status is sending.Status.INVALID:
        code = result.problems[0].code if result.problems else status.value
        return BatchState.NOT_SENT, code[:16], 0
    state = _ENDINGS.get(status, BatchState.UNKNOWN)
    return state, (result.code or status.value)[:16], result.cost


def _logged_ending(send_id: int) -> tuple[BatchState | None, str | None, int | None]:
    """The ending of the batch's send as its log row says (its key holds another body:
    the list changed since, say an opt-out; the first send is what went)."""
    s = _sends.c
    with db.engine.connect() as connection:
        row = connection.execute(select(s.result, s.code, s.cost, s.created_at)
                                 .where(s.id == send_id)).first()
    if row is None:
        return BatchState.UNKNOWN, None, None
    result = sendlog.effective_result(row.result, row.created_at)
    if result == Result.PENDING:
        return None, None, None
    return _FROM_RESULT[Result(result)], (row.code or result)[:16], row.cost


def _record_batch(job_id: int, number: int, worker: str, state: BatchState, code: str | None,
                  cost: int | None, send_id: int | None, transport_failed: bool) -> None:
    with db.engine.begin() as connection:
        _write_batch(connection, job_id, number, state, code, cost, send_id, transport_failed)


def _write_batch(connection: Connection, job_id: int, number: int, state: BatchState,
                 code: str | None, cost: int | None, send_id: int | None,
                 transport_failed: bool) -> None:
    """The batch's outcome and the job's count of transport failures in a row."""
    _write_outcome_row(connection, job_id, number, state, code, cost, send_id)
    if transport_failed:
        connection.execute(update(_jobs).where(_jobs.c.id == job_id).values(
            failures_in_row=_jobs.c.failures_in_row + 1))
    else:
        _FAILURES.execute(connection, {"failures_in_row": 0, "w_id": job_id})


def _write_outcome_row(connection: Connection, job_id: int, number: int, state: BatchState,
                       code: str | None, cost: int | None, send_id: int | None) -> None:
    """The batch's own outcome (only while it is ``sending``)."""
    _RECORD_BATCH.execute(connection, {
        "state": state.value, "code": code, "cost": cost, "send_id": send_id,
        "finished_at": utcnow(), "w_job": job_id, "w_number": number,
        "w_sending": BatchState.SENDING.value})


def _finish_if_done(job_id: int) -> bool:
    """Mark a running job ``done`` when none of its batches is waiting or being sent."""
    b, j = _batches.c, _jobs.c
    with db.engine.begin() as connection:
        return bool(connection.execute(update(_jobs).where(
            j.id == job_id, j.state == JobState.RUNNING.value,
            ~exists().where(b.job_id == job_id, b.state.in_(BatchState.OPEN)))
            .values(state=JobState.DONE.value, finished_at=utcnow(), worker=None,
                    lease_until=None)).rowcount)


def run(job_id: int, worker: str, *, now: datetime | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stop: Callable[[], bool] | None = None) -> None:
    """Send the job's batches one after another for ``worker`` (its lease renewed each
    batch) until none is left, the job is paused or cancelled, a stop rule pauses it,
    another worker holds it, or ``stop()`` says the worker is shutting down (the job is
    let go for the next worker). Each batch goes through ``sending.submit`` with its
    ``SendKey.job_batch`` key, so it is sent once however often it is picked up. With no
    pace between batches the next one is made ready beside each call, claimed and logged
    at its answer, and that answer's outcome written beside the next call (``_Run``)."""
    job = get(job_id)
    if job is None:
        return
    pace_ms = job.pace_ms if job.pace_ms is not None else _settings().bulk_pace_ms
    length = lease_length(pace_ms)
    if not _take_lease(job_id, worker, length):
        return
    batches = _Run(job, worker, length, now, ahead=not pace_ms, stop=stop)
    first = True
    try:
        while True:
            if not first and pace_ms and _waiting(job_id):
                sleep(pace_ms / 1000)  # only between batches: never after the last
            first = False
            if stop is not None and stop():
                log.info("job %s: worker %s is stopping; the job waits for the next one",
                         job_id, worker)
                return
            try:
                batch = _next_batch(job, worker, length, now)
            except _LeaseLost:
                return  # paused, cancelled or taken over: whoever changed it says why
            if batch is None:
                _finish_if_done(job_id)
                return
            go_on, taken = batches.send(batch)
            while go_on and taken is not None:  # claimed and logged with the outcome before
                go_on, taken = batches.send_taken(taken)
            if not go_on:
                return
    finally:
        batches.close()
        _release(job_id, worker)


def _next_batch(job: Row[Any], worker: str, length: timedelta,
                now: datetime | None) -> Row[Any] | None:
    """The job's next batch claimed for ``worker``, its lease renewed first (in the
    claim's own transaction, but for an advertisement: the night is judged between the
    two); None when none is left; ``_LeaseLost`` when the worker is to stop (the job is
    paused, by a person or the night, cancelled, or another worker's)."""
    if not job.advertising:
        return claim_batch(job.id, worker, lease=length)
    if not _take_lease(job.id, worker, length) or _night_pause(job.id, _now(now)):
        raise _LeaseLost
    return claim_batch(job.id, worker)


def _waiting(job_id: int) -> bool:
    b = _batches.c
    with db.engine.connect() as connection:
        return connection.execute(select(b.number).where(
            b.job_id == job_id, b.state == BatchState.WAITING.value).limit(1)).first() is not None


def _night_pause(job_id: int, when: datetime) -> bool:
    """Pause an advertisement that has reached 21:00 until 08:00 (True when it is night)."""
    resumes = compliance.night_resumes(_aware(when))
    if resumes is None:
        return False
    _pause_by_rule(job_id, JobPause.NIGHT,
                   resume_at=resumes.astimezone(UTC).replace(tzinfo=None))
    return True



#: How far back from a prepared batch's judgement the opt-out list's changes are looked
#: for before it is logged: an opt-out's time is its writer's clock before its commit.
OPTOUT_CHANGE_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class _Ahead:
    """The job's next batch, read, judged and encoded beside the call before it, the
    worker's lease renewed there and the newest credit known read (``answered``)."""

    batch: Row[Any]
    ready: sending.Ready
    answered: tuple[datetime, int] | None


@dataclass(frozen=True)
class _Taken:
    """The job's next batch, claimed and its intent logged on the way from the answer of
    the batch before to its own call, whose outcome (``previous``) is written beside it."""

    batch: Row[Any]
    ready: sending.Ready
    claim: sendlog.Claimed
    previous: sending.Unwritten


@dataclass(frozen=True)
class _Joined:
    """What a batch's outcome's transaction wrote beside the send log's outcome
    (``SendOrder.then``): the batch's own outcome."""

    state: BatchState
    code: str | None
    transport: bool


class _Run:
    """One worker's batches of one job. Each batch's outcome is written with its send
    log's outcome in one commit (``SendOrder.then``). With ``ahead`` (no pace between
    batches) the next batch is read, built and judged (the law's judge, the opt-out list,
    its key) beside the call before it, in the row copy's thread (``SendOrder.beside``:
    no transaction held across the call), the worker's lease renewed there too. From that
    call's answer to the next request only one commit is made: the next batch's claim (a
    compare-and-set, while the job runs and the opt-out list has not changed since its
    judgement) and its intent, one statement on PostgreSQL; that call's outcome, handed
    back unwritten (``SendOrder.later``), is written beside the next call, before its row
    copy. Whenever the next batch cannot go so (a stop rule, a transport failure, the
    worker stopping, the lease lost, an advertisement at 21:00, another worker's claim, a
    pause or a cancel, an opt-out list changed since the judgement, a key taken, a
    database error), the outcome is written at once and the loop claims and judges the
    next batch the usual way."""

    def __init__(self, job: Row[Any], worker: str, length: timedelta,
                 now: datetime | None, *, ahead: bool,
                 stop: Callable[[], bool] | None) -> None:
        self.job, self.worker, self.length, self.now = job, worker, length, now
        self.ahead, self.stop = ahead, stop
        self.actor = sending.Actor(job.user_id, job.actor, SEND_SOURCE)
        self._ready: _Ahead | None = None
        #: PostgreSQL: the connection of the claims with their intents (``_claim_and_log``),
        #: kept for the run, autocommit: no transaction open across a call, and never rolled
        #: back, so psycopg keeps the statement prepared (a rollback drops every prepared
        #: statement of its connection; parsed and planned each time it took 0.7 ms a batch).
        self._claims: Connection | None = None

    def close(self) -> None:
        """Give back what the run holds (the claims' connection)."""
        claims, self._claims = self._claims, None
        if claims is not None:
            claims.close()

    def _claims_connection(self) -> Connection:
        if self._claims is None:
            self._claims = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._claims

    def _order(self, batch: Row[Any], written: Row[Any] | None) -> sending.SendOrder:
        number = batch.number
        return sending.SendOrder(
            request=_request(self.job, batch, written), actor=self.actor,
            key=sending.SendKey.job_batch(self.job.id, number),
            advertising=self.job.advertising,
            logged_recipients=written.recipients_logged if written is not None else None,
            beside=self._prepare if self.ahead else None, later=self.ahead,
            then=lambda connection, result: self._then(number, connection, result))

    def send(self, batch: Row[Any]) -> tuple[bool, _Taken | None]:
        """Send one batch claimed by ``claim_batch``; see ``_after``."""
        self._ready = None
        order = self._order(batch, payload(self.job.id, batch.number))
        return self._after(batch.number, sending.submit(order))

    def send_taken(self, taken: _Taken) -> tuple[bool, _Taken | None]:
        """Send the batch claimed and logged after the answer before, that answer's
        outcome written beside its call; see ``_after``."""
        self._ready = None
        try:
            result = sending.send_logged(taken.ready, taken.claim, before=taken.previous.write)
        finally:
            taken.previous.write()  # written already, unless the call never began
        return self._after(taken.batch.number, result)

    def _prepare(self) -> None:
        """Beside a call: the next batch read, its order judged and its request encoded,
        the lease renewed and the newest credit known read (no claim, no intent)."""
        self._ready = None
        with db.engine.connect() as connection:
            batch = _FIRST_WAITING.first(connection, {
                "job": self.job.id, "waiting": BatchState.WAITING.value})
        if batch is None:
            return
        written = batch if batch.recipients_field is not None else None
        ready = sending.judge_order(self._order(batch, written))
        if not isinstance(ready, sending.Ready):
            return
        ready = ready.encoded()
        with db.engine.begin() as connection:
            if not _renew(connection, self.job.id, self.worker, self.length):
                return  # the usual way finds the lease lost and stops
            answered = sendlog.newest_answer(connection) if ready.request.cost > 0 else None
        self._ready = _Ahead(batch, ready, answered)

    def _then(self, number: int, connection: Connection,
              result: sending.SendResult) -> _Joined:
        """In the outcome's transaction: the batch's outcome."""
        state, code, cost = _ending(result)
        assert state is not None  # after a call: IN_FLIGHT is a key taken, never called
        transport = _transport(state, result)
        _write_batch(connection, self.job.id, number, state, code, cost, result.send_id,
                     transport)
        return _Joined(state, code, transport)

    def _hand_on(self, ahead: _Ahead, previous: sending.Unwritten) -> _Taken | None:
        """The batch judged beside the call claimed and its intent committed, or None (it
        is left waiting) when it cannot go that way."""
        if self.stop is not None and self.stop():
            return None
        if self.job.advertising and compliance.night_resumes(_aware(_now(self.now))):
            return None  # the usual way pauses it for the night
        try:
            claim = self._claim_and_log(ahead)
        except SQLAlchemyError as exc:  # a key taken: the claim was undone with it
            log.warning("job %s batch %s: not claimed with its intent (%s); the usual way",
                        self.job.id, ahead.batch.number, type(exc).__name__)
            self.close()  # a connection that failed is not kept
            return None
        return None if claim is None else _Taken(ahead.batch, ahead.ready, claim, previous)

    def _claim_and_log(self, ahead: _Ahead) -> sendlog.Claimed | None:
        """Claim the batch judged beside the call before (``_claim_ready``) and log its
        intent, committed together: on PostgreSQL one statement on the run's autocommit
        connection (one round trip, the statement prepared), elsewhere one transaction.
        None when the claim took nothing (another worker's, the job stopped, the opt-out
        list changed); ``IntegrityError`` when its key is taken."""
        job_id, worker = self.job.id, self.worker
        ready, number = ahead.ready, ahead.batch.number
        since = ready.at - OPTOUT_CHANGE_MARGIN
        if db.engine.dialect.name == "postgresql" and ready.request.prepared is not None \
                and ready.order.logged_recipients is not None:
            return sending.log_claimed_intent(
                self._claims_connection(), ready, _CLAIM_READY_PG_TAKES,
                _claim_ready_params(job_id, number, worker, since, postgres=True),
                ahead.answered)
        with hot_writes.begin(db.engine) as connection:
            if not _claim_ready(connection, job_id, number, worker, since):
                return None
            return sending.log_intent(connection, ready, ahead.answered)

    def _after(self, number: int, result: sending.SendResult) -> tuple[bool, _Taken | None]:
        """The batch's outcome recorded (with the send log's, or alone when that commit
        failed; or, when the next batch goes on at once, handed to it to write beside its
        call) and the stop rules applied: whether the job goes on, and the next batch when
        it was claimed and logged."""
        ahead, self._ready = self._ready, None
        unwritten = result.unwritten
        state, code, cost = _ending(result)
        if state is None:
            log.warning("job %s batch %s: its key is being sent elsewhere; left to "
                        "pick_up", self.job.id, number)
            return False, None
        log.info("job %s batch %s: %s code=%s", self.job.id, number, state.value, code)
        transport = _transport(state, result)
        reason = _stop_reason(state, code, result)
        if unwritten is not None and ahead is not None and not transport and reason is None:
            taken = self._hand_on(ahead, unwritten)
            if taken is not None:
                return True, taken
        joined = unwritten.write()[1] if unwritten is not None else result.joined
        if not isinstance(joined, _Joined):
            _record_batch(self.job.id, number, self.worker, state, code, cost,
                          result.send_id, transport)
        job_id = self.job.id
        if reason is JobPause.NIGHT:
            resumes = compliance.night_resumes(_aware(_now()))
            _pause_by_rule(job_id, JobPause.NIGHT, code=code, batch=number,
                           resume_at=resumes.astimezone(UTC).replace(tzinfo=None)
                           if resumes else None)
            _unsend(job_id, number)
            return False, None
        if reason is not None:
            _pause_by_rule(job_id, reason, code=code, batch=number)
            return False, None
        if transport and _failures(job_id) >= TRANSPORT_STOP:
            _pause_by_rule(job_id, JobPause.TRANSPORT, code=code, batch=number)
            return False, None
        return True, None


def _transport(state: BatchState, result: sending.SendResult) -> bool:
    """Whether the batch failed for the transport (three in a row pause the job)."""
    return state in (BatchState.NOT_SENT, BatchState.UNKNOWN) and result.status in (
        sending.Status.NOT_SENT, sending.Status.UNKNOWN)


def _stop_reason(state: BatchState, code: str | None,
                 result: sending.SendResult) -> JobPause | None:
    """Why the job pauses after this batch's outcome (a refusal that would come back for
    every batch, the night rule), or None."""
    reason = STOP_CODES.get(code or "") if state in (BatchState.REFUSED,
                                                     BatchState.NOT_SENT) else None
    if reason is None and any(p.code == "ad_night" for p in result.problems):
        return JobPause.NIGHT
    return reason


def _claim_ready_params(job_id: int, number: int, worker: str, since: datetime, *,
                        postgres: bool) -> dict[str, Any]:
    values = {"w_job": job_id, "w_number": number, "w_waiting": BatchState.WAITING.value,
              "w_running": JobState.RUNNING.value, "w_since": since,
              "w_holder": worker[:64]}
    if postgres:
        return {**values, "w_sending": BatchState.SENDING.value, "w_worker": worker[:64],
                "w_at": utcnow()}
    return {**values, "state": BatchState.SENDING.value, "claimed_by": worker[:64],
            "claimed_at": utcnow()}


def _claim_ready(connection: Connection, job_id: int, number: int, worker: str,
                 since: datetime) -> bool:
    """Claim batch ``number`` by compare-and-set (``waiting`` -> ``sending``, only while
    the job runs and no opt-out was recorded or removed since ``since``; on PostgreSQL
    passed over when another claim holds its row)."""
    postgres = connection.dialect.name == "postgresql"
    values = _claim_ready_params(job_id, number, worker, since, postgres=postgres)
    if postgres:
        return bool(connection.execute(_CLAIM_READY_PG, values).rowcount)
    return bool(_CLAIM_READY.execute(connection, values))


def _unsend(job_id: int, number: int) -> None:
    """Put a batch the app refused before the call (nothing went) back to waiting."""
    b = _batches.c
    with db.engine.begin() as connection:
        connection.execute(update(_batches).where(
            b.job_id == job_id, b.number == number, b.state == BatchState.NOT_SENT.value)
            .values(state=BatchState.WAITING.value, code=None, cost=None, finished_at=None,
                    claimed_by=None, claimed_at=None))


def _failures(job_id: int) -> int:
    with db.engine.connect() as connection:
        return connection.execute(select(_jobs.c.failures_in_row)
                                  .where(_jobs.c.id == job_id)).scalar_one()


# --- the minute task: due, late, night, orphaned ----------------------------------------


def settle(job_id: int, *, now: datetime | None = None) -> int:
    """Settle the job's batches left ``sending`` by a worker whose lease has expired: with
    a send log row, the row's result (pending past the unknown window: ``unknown``, never
    sent again; still within it: left for the next minute); with none, nothing left, so
    the batch goes back to ``waiting``. Returns the batches settled."""
    b, s = _batches.c, _sends.c
    settled = 0
    real_now = utcnow()
    logged_ids: list[int] = []
    with db.engine.begin() as connection:
        state = connection.execute(select(_jobs.c.state).where(_jobs.c.id == job_id)
                                   ).scalar()
        # Nothing went: back to waiting, or cancelled with a job cancelled meanwhile.
        unsent = (BatchState.CANCELLED if state == JobState.CANCELLED
                  else BatchState.WAITING).value
        stuck = connection.execute(select(b.number, b.claimed_at).where(
            b.job_id == job_id, b.state == BatchState.SENDING.value)).all()
        for number, claimed_at in stuck:
            logged = connection.execute(
                select(s.id, s.result, s.code, s.cost, s.created_at).where(
                    s.job_id == job_id, s.batch == number,
                    s.created_at >= (claimed_at or datetime.min) - timedelta(seconds=1))
                .order_by(s.id.desc()).limit(1)).first()
            if logged is None:
                values: dict[str, Any] = {"state": unsent, "claimed_by": None,
                                          "claimed_at": None}
            else:
                result = sendlog.effective_result(logged.result, logged.created_at, real_now)
                if result == Result.PENDING:
                    continue
                values = {"state": _FROM_RESULT[Result(result)].value,
                          "code": (logged.code or result)[:16], "cost": logged.cost,
                          "send_id": logged.id, "finished_at": real_now}
                logged_ids.append(logged.id)
            settled += connection.execute(update(_batches).where(
                b.job_id == job_id, b.number == number,
                b.state == BatchState.SENDING.value).values(values)).rowcount
    for send_id in logged_ids:  # a worker stopped during the call: its copy with it
        sendlog.copy_missing(send_id)
    if settled:
        log.warning("job %s: %d batch(es) left sending by a stopped worker settled",
                    job_id, settled)
    return settled


def _dead_here(worker: str) -> bool:
    """True when ``worker`` (``host:pid:thread``, smsform.worker) was a process of this
    machine that is gone (killed): its lease need not run out."""
    parts = worker.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return False
    host, pid = ":".join(parts[:-2]), int(parts[-2])
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


def _free_dead_leases(connection: Connection, real_now: datetime) -> None:
    """Let go the leases of workers of this machine that were killed."""
    j = _jobs.c
    held = connection.execute(select(j.id, j.worker).where(
        j.worker.is_not(None), j.lease_until >= real_now)).all()
    for job_id, holder in held:
        if _dead_here(holder):
            log.warning("job %s: its worker %s is gone; its lease is let go", job_id, holder)
            connection.execute(update(_jobs).where(j.id == job_id, j.worker == holder)
                               .values(worker=None, lease_until=None))


def pick_up(now: datetime | None = None) -> list[int]:
    """What the worker's minute task does: start due scheduled jobs (one more than
    ``SMSFORM_BULK_LATE_AFTER`` late pauses as ``late`` for a person), resume jobs paused
    for the night once their 08:00 has come, settle the batches of running jobs whose
    worker's lease expired. Returns the running jobs that need a worker (to wake)."""
    at = _now(now)
    real_now = utcnow()
    late_after = timedelta(minutes=_settings().bulk_late_after)
    j = _jobs.c
    with db.engine.connect() as connection:
        due = connection.execute(select(j.id, j.send_at).where(
            j.state == JobState.SCHEDULED.value, j.send_at <= at)).all()
        mornings = connection.execute(select(j.id).where(
            j.state == JobState.PAUSED.value, j.pause_reason == JobPause.NIGHT.value,
            j.resume_at <= at)).scalars().all()
    for job_id, send_at in due:
        if at - send_at > late_after:
            if _pause_by_rule(job_id, JobPause.LATE):
                continue
        with db.engine.begin() as connection:
            if connection.execute(update(_jobs).where(
                    j.id == job_id, j.state == JobState.SCHEDULED.value).values(
                    state=JobState.RUNNING.value, started_at=at)).rowcount:
                log.info("job %s: its time has come (%s)", job_id, send_at)
    for job_id in mornings:
        with db.engine.begin() as connection:
            changed = connection.execute(update(_jobs).where(
                j.id == job_id, j.state == JobState.PAUSED.value,
                j.pause_reason == JobPause.NIGHT.value).values(
                state=JobState.RUNNING.value, pause_reason=None, resume_at=None)).rowcount
        if changed:
            audit.record_by("job_resumed", WORKER_ACTOR, target=str(job_id),
                            detail={"reason": JobPause.NIGHT.value})
    unheld = or_(j.worker.is_(None), j.lease_until.is_(None), j.lease_until < real_now)
    b = _batches.c
    with db.engine.begin() as connection:
        _free_dead_leases(connection, real_now)
    with db.engine.connect() as connection:
        stuck = connection.execute(select(j.id).where(unheld, exists().where(
            b.job_id == j.id, b.state == BatchState.SENDING.value))).scalars().all()
    for job_id in stuck:
        settle(job_id)
    with db.engine.connect() as connection:
        orphaned = connection.execute(select(j.id).where(
            j.state == JobState.RUNNING.value, unheld).order_by(j.id)).scalars().all()
    return list(orphaned)


# --- what the check page needs besides (added by the pages) ---------------------------

#: How many merged messages the check page shows, as they will arrive.
PREVIEWS = 5


@dataclass(frozen=True)
class Preview:
    """One of the first recipients: number (dashed), name, and its batch's text
    (``named``: ``{name}`` is merged by the gateway through ``destination``)."""

    phone: str
    name: str
    text: str
    named: bool

    def arrives(self, name: str | None = None) -> str:
        """The text as it will arrive (``name``: another name merged, e.g. masked)."""
        if not self.named:
            return self.text
        return message.merge_name(self.text, self.name if name is None else name)


def previews(job_id: int, limit: int = PREVIEWS) -> list[Preview]:
    """The first recipients with their batch's text, in position order: one join on both
    primary keys (a job of 100,000 one-recipient batches reads five of them)."""
    r, b = _recipients.c, _batches.c
    query = (select(r.phone, r.name, b.text, b.named)
             .join(_batches, and_(b.job_id == r.job_id, b.number == r.batch))
             .where(r.job_id == job_id).order_by(r.position).limit(limit))
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [Preview(_dashed(row.phone), row.name or "", row.text, bool(row.named))
            for row in rows]


def batches_done(job_ids: Iterable[int]) -> dict[int, int]:
    """How many batches of each of these jobs have ended (one grouped read on the
    (job_id, state, number) index), for a page of /jobs."""
    ids = list(job_ids)
    if not ids:
        return {}
    b = _batches.c
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(b.job_id, func.count()).where(
                b.job_id.in_(ids), b.state.in_([s.value for s in BatchState.FINAL]))
            .group_by(b.job_id)).all()
    return {job_id: count for job_id, count in rows}


def draft_of(job: Any) -> Draft:
    """What the person typed beside the list, as the job keeps it."""
    return Draft(sender=job.sender, text=job.text, subject=job.subject or "",
                 kind=job.kind_choice, test=job.test, advertising=job.advertising,
                 send_at=job.send_at)


def recheck(job_id: int, choice: Choice, limits: Limits, actor: sending.Actor) -> int:
    """Read a checked job's stored list again with other columns and check it again: a new
    job in ``checking`` (its id, the upload kept with it) in place of the old one, which is
    discarded (nothing of it was sent). Raises BulkRefused (``not_found``,
    ``not_checking``: it was started meanwhile, ``no_upload``: a pasted list), and
    ListRefused when the list cannot be read so. The caller checks that ``actor`` may
    control the job."""
    job = get(job_id)
    if job is None:
        raise BulkRefused("not_found", job=job_id)
    if job.state != JobState.CHECKING:
        raise BulkRefused("not_checking", state=job.state)
    kept = upload(job_id)
    if kept is None:
        raise BulkRefused("no_upload")
    file_name, data = kept
    report = lists.read_file(data, file_name, limits, choice)
    checked = bulk_check.check(report, draft_of(job))
    new_id = create(checked, actor, source=job.source, file_name=file_name, upload=data,
                    pace_ms=job.pace_ms)
    if not discard(job_id):  # started by someone else meanwhile: keep theirs only
        discard(new_id)
        raise BulkRefused("not_checking", state=JobState.RUNNING.value)
    log.info("job rechecked id=%s as id=%s", job_id, new_id)
    return new_id
