"""Reading a list page's query string: each filter given once, dates as Korea days, a page
number; every bad value named at once (``FilterError``), worded by ``smsform.messages``.

Shared by the send log (``sendlog_query``), its API list and the audit trail (``audit``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from smsform.services.refusals import Refusal

EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: A query string as Werkzeug gives it with ``to_dict(flat=False)``: each name to its values.
Args = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class FilterProblem:
    """One bad filter value: the field, a code (worded by smsform.messages) and parameters."""

    field: str
    code: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


class FilterError(Refusal):
    """The filters cannot be used as given (code ``bad_filter``); nothing was read. Each
    of ``problems`` names a field and a code of this class's own."""

    def __init__(self, problems: Sequence[FilterProblem]) -> None:
        super().__init__("bad_filter")
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return ", ".join(f"{p.field}: {p.code}" for p in self.problems)


def single(args: Args, name: str, problems: list[FilterProblem]) -> str:
    """The one value of ``name``, trimmed ("" when absent); a repeated name or a control
    character is a problem."""
    values = args.get(name) or []
    if len(values) > 1:
        problems.append(FilterProblem(name, "repeated"))
        return ""
    value = (values[0] if values else "").strip()
    if any(not ch.isprintable() for ch in value):
        problems.append(FilterProblem(name, "control_chars"))
        return ""
    return value


def day(value: str, name: str, problems: list[FilterProblem]) -> date | None:
    """``value`` as a YYYY-MM-DD day between EARLIEST and LATEST (None when empty or bad)."""
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        parsed = date.fromisoformat(value)
    except ValueError:
        problems.append(FilterProblem(name, "bad_date", {"value": value[:40]}))
        return None
    if not EARLIEST <= parsed <= LATEST:
        problems.append(FilterProblem(name, "date_out_of_range", {
            "earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}))
        return None
    return parsed


def days(args: Args, problems: list[FilterProblem], start: str = "from",
         end: str = "to") -> tuple[date | None, date | None]:
    """The ``from`` and ``to`` days (both inclusive); an end before the start is a problem."""
    first = day(single(args, start, problems), start, problems)
    last = day(single(args, end, problems), end, problems)
    if first and last and first > last:
        problems.append(FilterProblem(end, "dates_reversed"))
    return first, last


def page(value: str, problems: list[FilterProblem], most: int) -> int:
    """``value`` as a page number from 1 to ``most`` (1 when empty or bad)."""
    if not value:
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        problems.append(FilterProblem("page", "bad_page", {"max": most}))
        return 1
    return int(value)
