"""Helpers of the bulk job tests: a checked list made by hand (as services.bulk_check
returns it), numbers that never repeat, a job created and started, the simulator's calls."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from cafe24.message import credit_cost
from simulator import DEMO_SECURE_KEY, DEMO_SENDERS, DEMO_USER_ID, GatewayBackend
from smsform.services import bulk, sending
from smsform.services.bulk_check import Checked, Draft, PlannedBatch, PlannedRecipient
from smsform.services.lists import ListReport, RowProblem
from tests.support import send_calls

SENDER = DEMO_SENDERS[0]
ACTOR = sending.Actor(None, "cli", "cli")


def phones(count: int, start: int = 1) -> list[str]:
    """``count`` different mobile numbers (dashed), none ending in 0000 or 9999."""
    found = []
    n = start
    while len(found) < count:
        tail = n % 10000
        if tail not in (0, 9999):
            found.append(f"010-{1000 + n // 10000:04d}-{tail:04d}")
        n += 1
    return found


def checked(numbers: Sequence[str], text: str = "공지 드립니다", *, names: bool = False,
            kind: str = "S", test: bool = False, advertising: bool = False,
            send_at=None, per_batch: int = 999, problems: Sequence[RowProblem] = (),
            texts: Sequence[str] | None = None) -> Checked:
    """A checked list of ``numbers`` (row 2 onwards) in batches of ``per_batch``; with
    ``texts``, each recipient's merged text (grouped as the check groups them)."""
    draft = Draft(sender=SENDER, text=text, kind=kind, test=test, advertising=advertising,
                  send_at=send_at)
    report = ListReport(kind="csv", rows=[], refused=list(problems), duplicates=[],
                        columns=["phone", "name"], phone_column="phone",
                        name_column="name" if names else None, fields=[])
    groups: dict[str, list[PlannedRecipient]] = {}
    for i, number in enumerate(numbers):
        merged = texts[i] if texts is not None else text
        groups.setdefault(merged, []).append(PlannedRecipient(
            row=i + 2, phone=number, name=f"고객{i}" if names else "", fields=None))
    batches = []
    for merged, members in groups.items():
        for start in range(0, len(members), per_batch):
            part = tuple(members[start:start + per_batch])
            cost = 0 if test else credit_cost(kind, len(part))
            batches.append(PlannedBatch(number=len(batches) + 1, kind=kind, text=merged,
                                        subject="", named=names, recipients=part,
                                        forecast=cost))
    forecast = sum(b.forecast for b in batches)
    return Checked(draft=draft, report=report, batches=batches, problems=list(problems),
                   rows=len(numbers) + len(problems), recipients=len(numbers),
                   refused=len(problems), duplicates=0, opted_out=0,
                   sms=len(numbers) if kind == "S" else 0,
                   lms=len(numbers) if kind == "L" else 0, calls=len(batches),
                   forecast=forecast, credit=None, shortfall=None)


def make_job(app: Flask, numbers: Sequence[str], **kwargs) -> int:
    """A job in ``checking`` for ``numbers`` (see ``checked``)."""
    pace = kwargs.pop("pace_ms", None)
    with app.app_context():
        return bulk.create(checked(numbers, **kwargs), ACTOR, source="cli", pace_ms=pace)


def sent_numbers(backend: GatewayBackend) -> list[str]:
    """Every number of the calls the simulator took (answered ``success``/``reserved``/a
    test), in order, one per recipient."""
    found = []
    for call in send_calls(backend):
        if not call.answer.startswith(("success", "reserved", "Test")):
            continue
        fields = call.fields
        if fields.get("destination"):
            found.extend(part.split("|")[0] for part in fields["destination"].split(","))
        else:
            found.extend(fields["rphone"].split(","))
    return found


class AnsweringBackend(GatewayBackend):
    """The simulator, except that the next sends get the answers a test queues
    (``answers``, one per call; ``None``: the real rules)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.answers: list[str | None] = []

    def send(self, f: dict[str, str]):
        """The next queued answer (after the real authentication), else the real rules."""
        answer = self.answers.pop(0) if self.answers else None
        return super().send(f) if answer is None else answer


def answering_backend() -> AnsweringBackend:
    """The demo account (100,000 credits) on an ``AnsweringBackend``."""
    backend = AnsweringBackend()
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), 100_000)
    return backend


def states(app: Flask, job_id: int) -> list[tuple[int, str, str | None]]:
    """Each batch's number, state and code."""
    with app.app_context():
        return [(b.number, b.state, b.code) for b in bulk.batches(job_id)]
