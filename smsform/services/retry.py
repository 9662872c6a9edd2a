"""Retry the failed: a new job to the recipients whose delivery failed (the gateway's
result list said ``sendStatus`` 9, services.delivery), from a job or from one send.

Never automatic. ``prepare`` makes the new job in ``checking`` (services.bulk): the same
sender, text, subject, kind and advertising switch as the original (a job's template
with each recipient's own columns; a send's text as logged, ``{name}`` left for the
gateway), the failed recipients as its list, checked by ``bulk_check.check`` as any list
is: opt-outs, the night and the credit are judged again then and at each batch. The
person reads the check page and starts it, or not.

Nobody is sent twice by a second click: a retry still in ``checking`` is the one found
again, and once a retry of the same origin has sent something, another is refused
(``retried``, naming it): its own failures are what to retry next. A job and the sends of
its batches overlap: while a retry of one stands, the other is refused the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, exists, null, select

from smsform.extensions import db
from smsform.models import Job, JobBatch, JobRecipient, Send, SendRecipient
from smsform.services import bulk, bulk_check, lists, sending
from smsform.services.bulk_check import Draft
from smsform.services.lists import Limits, Record
from smsform.services.refusals import Refusal
from smsform.states import BatchState, Delivery, JobState

_jobs = Job.__table__
_batches = JobBatch.__table__
_job_recipients = JobRecipient.__table__
_sends = Send.__table__
_send_recipients = SendRecipient.__table__

#: How many failed recipients one read takes (a job's may be many).
_CHUNK = 5000


class RetryRefused(Refusal):
    """No retry: ``not_found`` (no such job or send: ``what``, ``id``), ``not_allowed``
    (only its sender or an administrator), ``purged`` (the send's text is no longer
    kept), ``nothing_failed`` (no recipient's delivery failed), ``retried`` (``id``: the
    retry job that has sent already)."""


@dataclass(frozen=True)
class Origin:
    """What is retried: a job (``job_id``) or one send (``send_id``)."""

    job_id: int | None = None
    send_id: int | None = None

    @property
    def id(self) -> int:
        return self.job_id if self.job_id is not None else int(self.send_id or 0)


@dataclass(frozen=True)
class Source:
    """The original's owner and the draft a retry repeats."""

    user_id: int | None
    draft: Draft


def source(origin: Origin) -> Source:
    """The original's owner and draft; RetryRefused ``not_found`` or ``purged``."""
    with db.engine.connect() as connection:
        if origin.job_id is not None:
            j = _jobs.c
            job = connection.execute(select(_jobs).where(j.id == origin.job_id)).first()
            if job is None:
                raise RetryRefused("not_found", what="job", id=origin.id)
            return Source(job.user_id, Draft(
                sender=job.sender, text=job.text, subject=job.subject or "",
                kind=job.kind_choice, advertising=bool(job.advertising)))
        s = _sends.c
        send = connection.execute(select(
            s.user_id, s.sender, s.text, s.subject, s.kind, s.advertising, s.purged_at)
            .where(s.id == origin.send_id)).first()
    if send is None:
        raise RetryRefused("not_found", what="send", id=origin.id)
    if send.text is None or send.purged_at is not None:
        raise RetryRefused("purged", id=origin.id)
    # A built advertisement is logged with its label: the judge checks a labelled text as
    # written (it builds only a text without one), so the switch never labels it twice.
    return Source(send.user_id, Draft(sender=send.sender, text=send.text,
                                      subject=send.subject or "", kind=send.kind,
                                      advertising=bool(send.advertising)))


def failed(origin: Origin) -> Iterator[Record]:
    """The failed recipients, in their original order, with their names (and a job's
    recipients their own columns)."""
    r = _send_recipients.c
    after = -1
    while True:
        with db.engine.connect() as connection:
            if origin.send_id is not None:
                rows = connection.execute(
                    select(r.position, r.phone, r.name, null())
                    .where(r.send_id == origin.send_id, r.delivery == Delivery.FAILED.value,
                           r.position > after)
                    .order_by(r.position).limit(_CHUNK)).all()
            else:
                rows = connection.execute(_failed_of_job(origin.id, after)).all()
        if not rows:
            return
        for row in rows:
            yield Record(row[1], row[2] or "", json.loads(row[3]) if row[3] else {})
        after = rows[-1][0]


def _failed_of_job(job_id: int, after: int):
    """A job's failed recipients after ``after`` (its position), joined to the send log
    rows of its batches by the number (a batch has each number once)."""
    jr, b, r = _job_recipients.c, _batches.c, _send_recipients.c
    return (select(jr.position, jr.phone, jr.name, jr.fields)
            .join(_batches, and_(b.job_id == jr.job_id, b.number == jr.batch))
            .join(_send_recipients, and_(r.send_id == b.send_id, r.phone == jr.phone))
            .where(jr.job_id == job_id, jr.position > after,
                   r.delivery == Delivery.FAILED.value)
            .order_by(jr.position).limit(_CHUNK))


def _retries(origin: Origin, *, related: bool = False) -> list[tuple[int, str, bool]]:
    """The jobs retrying ``origin``: id, state, and whether any of its batches went (or
    may have). ``related``: instead, those retrying what overlaps it: for a job, one of
    its batches' sends; for a job's batch send, its job."""
    j, b, s = _jobs.c, _batches.c, _sends.c
    if not related:
        where = (j.retry_of_job == origin.id if origin.job_id is not None
                 else j.retry_of_send == origin.id)
    elif origin.job_id is not None:
        where = j.retry_of_send.in_(select(s.id).where(s.job_id == origin.job_id))
    else:
        where = j.retry_of_job == select(s.job_id).where(s.id == origin.send_id) \
            .scalar_subquery()
    went = exists().where(b.job_id == j.id, b.state.in_(
        (BatchState.ACCEPTED.value, BatchState.UNKNOWN.value, BatchState.SENDING.value)))
    with db.engine.connect() as connection:
        rows = connection.execute(select(j.id, j.state, went).where(where)
                                  .order_by(j.id.desc())).all()
    return [(row[0], row[1], bool(row[2])) for row in rows]


def _stands(state: str, went: bool) -> bool:
    """A retry job stands while it is checked or started, unless cancelled before any of
    its batches went."""
    return state != JobState.CANCELLED or went


def pending(origin: Origin) -> int | None:
    """The retry of ``origin`` that stands: its job id, or None."""
    return next((job_id for job_id, state, went in _retries(origin) if _stands(state, went)),
                None)


def prepare(origin: Origin, actor: sending.Actor, role: str | None,
            limits: Limits) -> int:
    """The retry job of ``origin`` for ``actor`` (whose ``role`` may control it): found
    again while it is being checked, else made in ``checking`` from the failed recipients;
    its id. RetryRefused ``not_found``, ``not_allowed``, ``purged``, ``nothing_failed``,
    ``retried``."""
    found = source(origin)
    if not bulk.may_control(found.user_id, actor.user_id, role):
        raise RetryRefused("not_allowed")
    for job_id, state, went in _retries(origin):
        if state == JobState.CHECKING:
            return job_id
        if _stands(state, went):
            raise RetryRefused("retried", id=job_id)
    # A job's batch is a send of its own: its failures are the job's too, retried once.
    for job_id, state, went in _retries(origin, related=True):
        if _stands(state, went):
            raise RetryRefused("retried", id=job_id)
    records = list(failed(origin))
    if not records:
        raise RetryRefused("nothing_failed")
    report = lists.read_records(records, limits)  # the check judges the names
    checked = bulk_check.check(report, found.draft)
    return bulk.create(checked, actor, source="web", retry_of=origin_columns(origin))


def origin_columns(origin: Origin) -> dict[str, int | None]:
    """The job's columns that name what it retries."""
    return {"retry_of_job": origin.job_id, "retry_of_send": origin.send_id}
