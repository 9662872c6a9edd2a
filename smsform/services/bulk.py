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
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from smsform import logs
from smsform.extensions import db
from smsform.models import Job, JobBatch, JobProblem, JobRecipient, JobUpload, utcnow
from smsform.services import sending, tokens
from smsform.services.bulk_check import Checked
from smsform.services.hot_writes import HotWrite
from smsform.services.refusals import Refusal
from smsform.states import BatchState, JobState

log = logs.get("bulk")
_jobs = Job.__table__
_batches = JobBatch.__table__
_recipients = JobRecipient.__table__
_problems = JobProblem.__table__
_uploads = JobUpload.__table__

#: The ways a job comes in (``jobs.source``); its batches are logged with source ``bulk``.
SOURCES = ("web", "api", "cli")
#: The send log's source of a job's batches.
SEND_SOURCE = "bulk"

_INSERT_RECIPIENT = HotWrite(insert(_recipients), _recipients)
_INSERT_BATCH = HotWrite(insert(_batches), _batches)
_INSERT_PROBLEM = HotWrite(insert(_problems), _problems)


class BulkRefused(Refusal):
    """A job cannot do what was asked: ``code`` is ``not_found``, ``not_allowed``,
    ``not_checking``, ``not_live``, ``not_paused``, ``not_running``, ``final``,
    ``nothing_to_send``, ``credit_short`` (params ``needed``, ``credit``, ``shortfall``),
    ``message`` (the draft itself cannot be sent), ``night`` (``resumes``) or
    ``key_taken`` (``id``: a job holds the Idempotency-Key already)."""


def _digits(phone: str) -> str:
    """A number as the job (and the send log) keeps it: digits only."""
    return phone if phone.isdigit() else "".join(ch for ch in phone if ch.isdigit())[:16]


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
           key: JobKey | None = None) -> int:
    """Write ``checked`` as a job in ``checking`` (its batches, recipients laid out batch
    by batch, the rows left out, the upload's bytes) in one transaction; its id. With
    ``key``, BulkRefused ``key_taken`` (``id``: the job that has it) when a job holds the
    key already: a repeated request makes no second job."""
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
    }
    batches: list[dict[str, Any]] = []
    recipients: list[dict[str, Any]] = []
    position = 0
    for planned in checked.batches:
        batches.append({
            "number": planned.number, "state": BatchState.WAITING.value,
            "kind": planned.kind, "subject": planned.subject or "", "text": planned.text,
            "named": planned.named, "first_position": position,
            "recipient_count": len(planned.recipients), "forecast": planned.forecast})
        for r in planned.recipients:
            recipients.append({
                "position": position, "batch": planned.number, "row": r.row,
                "phone": _digits(r.phone), "name": r.name or None,
                "fields": json.dumps(r.fields, ensure_ascii=False) if r.fields else None})
            position += 1
    problems = _problem_rows(checked)
    try:
        job_id = _write(values, batches, recipients, problems, upload, file_name, now)
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
           recipients: list[dict[str, Any]], problems: list[dict[str, Any]],
           upload: bytes | None, file_name: str, now: Any) -> int:
    """The job's rows in one transaction; its id."""
    with db.engine.begin() as connection:
        job_id = connection.execute(insert(_jobs).values(values)).inserted_primary_key[0]
        for row in batches:
            row["job_id"] = job_id
        for row in recipients:
            row["job_id"] = job_id
        for row in problems:
            row["job_id"] = job_id
        _INSERT_BATCH.execute_many(connection, batches)
        _INSERT_RECIPIENT.execute_many(connection, recipients)
        _INSERT_PROBLEM.execute_many(connection, problems)
        if upload is not None:
            connection.execute(insert(_uploads).values(
                job_id=job_id, file_name=file_name[:255], data=upload, created_at=now))
    return int(job_id)


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
