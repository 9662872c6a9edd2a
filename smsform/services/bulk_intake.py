"""A list handed over by a program (the token API, the CLI) becomes a started job: checked
(services.bulk_check), written (``bulk.create``) and started (``bulk.start``, which wakes
a worker), in one call. The pages take the same steps one page at a time (the check page comes
between); this is the same path without the page.

An ``Idempotency-Key`` makes the job once: a repeat with the same key and the same request
finds the job the first request made (``replayed``), never a second; the same key with
another request is refused (``idempotency_key_reused``). A job that cannot start is not
kept: nothing was sent, and its key may be used again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smsform import logs
from smsform.services import bulk, bulk_check
from smsform.services.bulk import BulkRefused, JobKey
from smsform.services.bulk_check import Checked, Draft
from smsform.services.lists import ListReport
from smsform.services.refusals import Refusal
from smsform.services.sending import Actor

log = logs.get("bulk")


class IntakeRefused(Refusal):
    """A list that does not become a job: ``nothing_to_send`` (every row left out),
    ``message`` (the draft itself cannot be sent: ``checked.message_problems``),
    ``credit_short`` (``needed``, ``credit``, ``shortfall``), ``idempotency_key_reused``
    (``id``: the job the key made), or ``not_started``: the start's own refusal, ``cause``
    (the credit or the night as ``bulk.start`` judges them). ``checked`` is the check's
    verdict when there was one."""

    def __init__(self, code: str, checked: Checked | None = None, *,
                 cause: BulkRefused | None = None, **params: object) -> None:
        super().__init__(code, **params)
        self.checked = checked
        self.cause = cause


@dataclass(frozen=True)
class Submitted:
    """A job made (or found again by its key)."""

    job_id: int
    replayed: bool
    checked: Checked | None  # None when replayed: the first request's check made it


def request_hash(parts: Iterable[Any]) -> str:
    """A digest of what was asked (the draft's members, the list's rows or bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes)
                      else json.dumps(part, ensure_ascii=False, sort_keys=True,
                                      default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def submit(report: ListReport, draft: Draft, actor: Actor, *, source: str,
           key: JobKey | None = None, file_name: str = "", address: str | None = None,
           pace_ms: int | None = None) -> Submitted:
    """Check ``report`` against ``draft``, write it as a job and start it (scheduled when
    ``draft.send_at`` is ahead; ``pace_ms``: its own pause between calls). Raises
    IntakeRefused when it cannot start (nothing is kept)."""
    if key is not None:
        found = _found(key)
        if found is not None:
            return found
    checked = bulk_check.check(report, draft)
    _refuse_unstartable(checked)
    try:
        job_id = bulk.create(checked, actor, source=source, file_name=file_name, key=key,
                             pace_ms=pace_ms)
    except BulkRefused as exc:  # the same key, made a moment ago by another request
        if exc.code != "key_taken" or key is None:
            raise
        found = _found(key)
        if found is None:  # pragma: no cover - its job was discarded since
            raise
        return found
    try:
        bulk.start(job_id, actor.user_id, actor.name, address=address)
    except BulkRefused as exc:  # the credit or the night, as start judges them now
        bulk.discard(job_id)
        raise IntakeRefused("not_started", checked, cause=exc, **exc.params) from None
    log.info("job %s taken from %s: %d recipients, %d batches", job_id, source,
             checked.recipients, len(checked.batches))
    return Submitted(job_id, False, checked)


def _found(key: JobKey) -> Submitted | None:
    """The job a key made before (its request must be the same), or None."""
    found = bulk.keyed(key)
    if found is None:
        return None
    job_id, digest = found
    if digest != key.request_hash:
        raise IntakeRefused("idempotency_key_reused", id=job_id)
    return Submitted(job_id, True, None)


def _refuse_unstartable(checked: Checked) -> None:
    """IntakeRefused when the check says the job cannot start."""
    if checked.can_start:
        return
    if checked.message_problems:
        raise IntakeRefused("message", checked)
    if not checked.batches:
        raise IntakeRefused("nothing_to_send", checked)
    if checked.shortfall is not None:
        raise IntakeRefused("credit_short", checked, needed=checked.forecast,
                            credit=checked.credit, shortfall=checked.shortfall)
    raise IntakeRefused("message", checked)  # pragma: no cover - can_start's other rule
