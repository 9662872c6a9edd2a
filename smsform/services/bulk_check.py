"""A bulk job's check (owner: the check engineer): every row of a list judged against the
message, grouped into gateway calls, costed against the credit.

This first version holds only the values ``check`` returns (BULK.md), so the job service
(services/bulk.py) can be written against them; ``check`` itself comes next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cafe24.text import Problem
from smsform.services.lists import ListReport, RowProblem


@dataclass(frozen=True)
class Draft:
    """What the person typed beside the list."""

    sender: str
    text: str
    subject: str = ""
    kind: str = "auto"  # auto | S | L
    test: bool = False
    advertising: bool = False
    send_at: datetime | None = None  # UTC naive, as the send log stores times


@dataclass(frozen=True)
class PlannedRecipient:
    """One recipient as the job will keep it (``phone``: digits only)."""

    row: int
    phone: str
    name: str
    fields: dict[str, str] | None


@dataclass(frozen=True)
class PlannedBatch:
    """One gateway call: at most 999 recipients, one text and kind."""

    number: int
    kind: str
    text: str
    subject: str
    named: bool
    recipients: tuple[PlannedRecipient, ...]
    forecast: int


@dataclass
class Checked:
    """What the check found: the batches to send, the rows left out, the totals."""

    draft: Draft
    report: ListReport
    batches: list[PlannedBatch]
    problems: list[RowProblem]
    rows: int
    recipients: int
    refused: int
    duplicates: int
    opted_out: int
    sms: int
    lms: int
    calls: int
    forecast: int
    credit: int | None
    shortfall: int | None
    previews: list[tuple[str, str]] = field(default_factory=list)
    message_problems: list[Problem] = field(default_factory=list)

    @property
    def can_start(self) -> bool:
        """Something to send, the message sound and the credit enough (or unknown)."""
        return bool(self.batches) and not self.message_problems and self.shortfall is None
