"""A bulk job's check: every row of a list judged against the message, grouped into
gateway calls, costed against the credit, before anything is sent.

``check(report, draft)`` takes the reader's ``ListReport`` (services.lists) and what the
person typed beside it (``Draft``) and answers a ``Checked``: the batches to send, every
row left out and why, the totals and the first messages as they will arrive. It is pure
but for two reads: the opt-out list (``optouts.opted_out``, all numbers in one call) and
the credit last known (``credit.last_known``); it writes nothing.

The draft's own rules are the send service's, never copied here: the law's judge
(``compliance.judge``: an advertisement's text built with (광고), the sender's name and
the opt-out line; the night rule on ``send_at`` or now) and the gateway library's
(``SendRequest.problems``: sender, text, subject, reservation). Those go into
``message_problems``: a job with any cannot start.

Merges: ``{name}`` is the gateway's own ``destination`` merge (up to 999 names in one
call); ``{<the name column>}`` means the same. Any other ``{column}`` is merged by the app,
and recipients whose merged text and kind are the same share batches. A ``{column}`` that
is not a column of the list is a message problem.

Each row is judged once, here (callers read the list without ``Choice.need_name``): no
name where ``{name}`` is used (``no_name``), an empty value of a used column
(``missing_field``), a character EUC-KR cannot carry in a merged value
(``unsupported_chars``), a merged text over the LMS limit (``merged_too_long``); then the
opt-out list: an advertisement leaves opted-out numbers out (``opted_out``), any other
send only counts them. Each recipient's kind is its own merge's (SMS up to 90 bytes with
``kind`` auto); a forced SMS that a merge does not fit is a message problem.

Counting: ``rows`` = ``recipients`` + ``refused`` + ``duplicates`` + (for an
advertisement) ``opted_out``; ``problems`` lists every row left out, in row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

from cafe24 import message
from cafe24.calls import SendRequest
from cafe24.phone import MAX_RECIPIENTS
from cafe24.text import (
    MESSAGE_CONTROLS,
    Problem,
    code_points,
    control_chars,
    euckr_length,
    normalize_text,
    unsupported_chars,
)
from smsform.services import compliance, credit, optouts
from smsform.services.lists import ListReport, Row, RowProblem, paused_gc

#: The kinds a draft may ask for: chosen by length, or forced to SMS or LMS.
KINDS = ("auto", "S", "L")
#: How many previews ``Checked.previews`` holds.
PREVIEWS = 5

#: The row problems the check adds to the reader's (``lists.RowProblem`` codes), worded in
#: ``smsform.messages.bulk``. ``no_name`` is the reader's code, found here.
ROW_CODES = ("no_name", "missing_field", "unsupported_chars", "merged_too_long",
             "opted_out")
#: The message problems of its own (the rest are the library's and the law's codes):
UNKNOWN_FIELD = "unknown_field"  # field, columns: a {column} the list does not have
NO_NAME_COLUMN = "no_name_column"  # the text uses {name}; the list has no name column
SMS_TOO_LONG = "sms_too_long"  # count, length, limit: merges a forced SMS cannot hold
MESSAGE_CODES = (UNKNOWN_FIELD, NO_NAME_COLUMN, SMS_TOO_LONG)


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


class PlannedRecipient(NamedTuple):
    """One recipient as the job will keep it: its list row, the number (canonical dashed,
    as the reader gives it; the job keeps its digits), the name and the values of the
    columns the text merges (None when it merges none). A named tuple: as immutable as a
    frozen dataclass and made in half its time (100,000 of them a big list)."""

    row: int
    phone: str
    name: str
    fields: dict[str, str] | None


@dataclass(frozen=True)
class PlannedBatch:
    """One gateway call: at most 999 recipients, one text and kind. ``text`` is the text
    sent (app-merged columns filled, ``{name}`` left for the gateway when ``named``)."""

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

    draft: Draft  # as judged: an advertisement's text built by compliance
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


# --- the draft ----------------------------------------------------------------------


def _aware(when: datetime) -> datetime:
    """A time as an aware one: a naive time is UTC (as the send log keeps times)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _request(draft: Draft, text: str, lms: bool) -> SendRequest:
    """The draft as one send without recipients, for the judges."""
    return SendRequest(msg=text, sender=draft.sender, subject=draft.subject, lms=lms,
                       reserve_at=_aware(draft.send_at) if draft.send_at else None,
                       test=draft.test)


def _judged(draft: Draft, now: datetime) -> compliance.Judged:
    """The law's judge of the draft (no recipients: its opt-out step asks nothing)."""
    return compliance.judge(_request(draft, draft.text, draft.kind == "L"),
                            draft.advertising, now)


def _draft_problems(judged: compliance.Judged, lms: bool, now: datetime,
                    app_merged: bool) -> list[Problem]:
    """The gateway library's and the law's problems of the draft as the send service
    judges a send (``sending.submit``), but for the recipients (each row is judged by the
    check) and, when the app merges columns, the template's length (each merge's is)."""
    request = replace(judged.request, lms=lms)
    found = [p for p in request.problems(now) if p.code != "no_recipients"
             and not (app_merged and p.code == "msg_too_long")]
    return [*found, *judged.problems]


# --- the template -------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    """A text split at its app-merged fields: ``parts`` alternates literal text and the
    index (in ``ListReport.fields``, -1 for the phone column) of the column to put there;
    ``{<the name column>}`` is written ``{name}`` in the literal text."""

    parts: tuple[str | int, ...]
    columns: tuple[str, ...]  # the column merged at each field part, in order
    names: int  # how many {name} the text holds
    unknown: tuple[str, ...]  # {column}s the list does not have, once each

    @property
    def merges(self) -> bool:
        """True when the app merges columns (each recipient's text may differ)."""
        return bool(self.columns)

    @property
    def text(self) -> str:
        """The text, when the app merges nothing."""
        return "".join(p for p in self.parts if isinstance(p, str))


def _template(text: str, report: ListReport) -> _Template:
    fields = {name: index for index, name in enumerate(report.fields)}
    parts: list[str | int] = []
    columns: list[str] = []
    unknown: dict[str, None] = {}
    literal: list[str] = []
    last = 0
    for found in message.MERGE_FIELD.finditer(text):
        column = found.group(1)
        literal.append(text[last:found.start()])
        last = found.end()
        if column == "name" or column == report.name_column:
            literal.append(message.NAME_PLACEHOLDER)
        elif column in fields or column == report.phone_column:
            parts.extend(("".join(literal), fields.get(column, -1)))
            columns.append(column)
            literal = []
        else:
            unknown[column] = None
            literal.append(found.group())
    literal.append(text[last:])
    parts.append("".join(literal))
    names = sum(p.count(message.NAME_PLACEHOLDER) for p in parts if isinstance(p, str))
    return _Template(tuple(parts), tuple(columns), names, tuple(unknown))


@dataclass(frozen=True, slots=True)
class _Value:
    """A column's value as a merge puts it in a text: composed, its EUC-KR length, and the
    characters in it that a text message cannot carry (None: none)."""

    text: str
    length: int
    bad: str | None


def _value(raw: str) -> _Value:
    text = normalize_text(raw)
    return _Value(text, euckr_length(text), _bad_chars(text))


def _bad_chars(text: str) -> str | None:
    """What the gateway library refuses in a message's text, for a merged value: characters
    EUC-KR lacks or the gateway refuses ('됬'), else control characters (line breaks and
    tabs are text)."""
    if not text.isascii():
        refused = [ch for ch in message.REFUSED_CHARS if ch in text]
        bad = [*dict.fromkeys([*unsupported_chars(text), *refused])]
        if bad:
            return " ".join(bad)[:120]
    controls = control_chars(text, MESSAGE_CONTROLS)
    return code_points(controls)[:120] if controls else None


# --- the check ----------------------------------------------------------------------


@dataclass
class _Plan:
    """What the rows came to: recipients grouped by (text, kind), the rows left out."""

    groups: dict[tuple[str, str], list[PlannedRecipient]] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    too_long_for_sms: int = 0  # a forced SMS: how many merges pass the SMS limit
    longest_sms: int = 0  # and the longest of them


@dataclass(frozen=True, slots=True)
class _Merged:
    """One set of a row's merged values, judged: the text, its EUC-KR length (without the
    names), the characters it cannot carry, and the values by column (one dict shared by
    every recipient with the same values: read, never changed)."""

    text: str
    length: int
    bad: str | None
    fields: dict[str, str] | None


class _Merger:
    """The app's merge of a template's columns, each distinct value and each distinct set
    of values judged once (a list's grades or branches repeat on every row)."""

    def __init__(self, template: _Template) -> None:
        parts = template.parts
        self.indexes = [p for p in parts if isinstance(p, int)]
        self.columns = template.columns
        self.head, self.tails = str(parts[0]), [str(p) for p in parts[2::2]]  # alternate
        self.literal_length = euckr_length(self.head) + sum(map(euckr_length, self.tails))
        self.values: dict[str, _Value] = {}
        self.merges: dict[tuple[str, ...], _Merged] = {}
        text = normalize_text(template.text)
        self.fixed = _Merged(text, euckr_length(text), None, None)  # when nothing merges

    def values_of(self, row: Row) -> tuple[str, ...]:
        """The row's values of the merged columns (the phone column: its number)."""
        cells = row.values
        return tuple([row.phone if i < 0 else (cells[i] if i < len(cells) else "")
                      for i in self.indexes])

    def merge(self, values: tuple[str, ...]) -> _Merged:
        """The template with ``values`` put in (none of them empty)."""
        found = self.merges.get(values)
        if found is None:
            found = self.merges[values] = self._merge(values)
        return found

    def _merge(self, values: tuple[str, ...]) -> _Merged:
        known = self.values
        merged = [known.get(v) or known.setdefault(v, _value(v)) for v in values]
        bad = next((m.bad for m in merged if m.bad is not None), None)
        text = self.head + "".join([m.text + literal
                                    for m, literal in zip(merged, self.tails, strict=True)])
        return _Merged(text, self.literal_length + sum(m.length for m in merged), bad,
                       dict(zip(self.columns, values, strict=True)))


def _plan(template: _Template, kind: str, rows: Sequence[Row], need_name: bool) -> _Plan:
    """Judge each row (no name, an empty column, a character, the length) and group the
    rest by their merged text and kind."""
    plan = _Plan()
    refuse, groups = plan.problems.append, plan.groups
    merger = _Merger(template)
    names, columns, merges = template.names, template.columns, template.merges
    fixed = merger.fixed
    name_gap = len(message.NAME_PLACEHOLDER)
    sms_limit, lms_limit = message.SMS_LIMIT, message.LMS_LIMIT
    forced = kind if kind in ("S", "L") else None
    for row in rows:
        if need_name and not row.name:
            refuse(RowProblem(row.row, row.phone, "no_name"))
            continue
        merged = fixed
        if merges:
            values = merger.values_of(row)
            if not all(values):
                refuse(RowProblem(row.row, columns[values.index("")], "missing_field"))
                continue
            merged = merger.merge(values)
            if merged.bad is not None:
                refuse(RowProblem(row.row, merged.bad, "unsupported_chars"))
                continue
        length = merged.length
        if names:
            length += names * (euckr_length(row.name) - name_gap)
        if length > lms_limit:
            refuse(RowProblem(row.row, row.phone, "merged_too_long"))
            continue
        if forced == "S" and length > sms_limit:
            plan.too_long_for_sms += 1
            plan.longest_sms = max(plan.longest_sms, length)
        key = (merged.text, forced or ("S" if length <= sms_limit else "L"))
        group = groups.get(key)
        if group is None:
            group = groups[key] = []
        group.append(PlannedRecipient(row.row, row.phone, row.name, merged.fields))
    return plan


def _screened(plan: _Plan, advertising: bool) -> int:
    """Look every planned number up on the opt-out list (one ``opted_out`` call, which
    asks 900 a query); an advertisement leaves them out. How many were found."""
    phones = [r.phone for group in plan.groups.values() for r in group]
    found = optouts.opted_out(phones) if phones else frozenset()
    if not found or not advertising:
        return len(found)
    for key, group in list(plan.groups.items()):
        kept = []
        for r in group:
            if r.phone in found:
                plan.problems.append(RowProblem(r.row, r.phone, "opted_out"))
            else:
                kept.append(r)
        if kept:
            plan.groups[key] = kept
        else:
            del plan.groups[key]
    return len(found)


def _batches(plan: _Plan, subject: str, named: bool, test: bool,
             max_batch: int) -> list[PlannedBatch]:
    """The groups cut into batches of at most ``max_batch``, numbered from 1, in order of
    each group's first row."""
    batches: list[PlannedBatch] = []
    for (text, kind), group in plan.groups.items():
        for start in range(0, len(group), max_batch):
            part = tuple(group[start:start + max_batch])
            cost = 0 if test else message.credit_cost(kind, len(part))
            batches.append(PlannedBatch(len(batches) + 1, kind, text,
                                        subject if kind == "L" else "", named, part, cost))
    return batches


def _previews(batches: Sequence[PlannedBatch]) -> list[tuple[str, str]]:
    """The first recipients' messages as they will arrive (``{name}`` merged as the gateway
    merges it)."""
    found: list[tuple[str, str]] = []
    for batch in batches:
        for r in batch.recipients:
            if len(found) == PREVIEWS:
                return found
            found.append((r.phone, message.merge_name(batch.text, r.name) if batch.named
                          else batch.text))
    return found


def check(report: ListReport, draft: Draft, *, now: datetime | None = None,
          max_batch: int = MAX_RECIPIENTS) -> Checked:
    """Judge ``report``'s rows against ``draft`` (see the module's doc); ``now`` is the
    time it is judged at (aware, or naive UTC; None: the app's clock)."""
    if not 1 <= max_batch <= MAX_RECIPIENTS:
        raise ValueError(f"max_batch must be 1 to {MAX_RECIPIENTS}")
    if draft.kind not in KINDS:
        raise ValueError(f"unknown kind {draft.kind!r}: one of {KINDS}")
    with paused_gc():  # 100,000 recipients made, no cycles among them
        return _check(report, draft, now, max_batch)


def _check(report: ListReport, draft: Draft, now: datetime | None,
           max_batch: int) -> Checked:
    at = _aware(now) if now is not None else compliance.now()
    judged = _judged(draft, at)
    built = replace(draft, text=judged.request.msg, advertising=judged.advertising)
    template = _template(normalize_text(built.text), report)
    plan = _plan(template, draft.kind, report.rows,
                 need_name=template.names > 0 and report.name_column is not None)
    opted_out = _screened(plan, judged.advertising)
    batches = _batches(plan, normalize_text(draft.subject), template.names > 0, draft.test,
                       max_batch)
    lms = draft.kind == "L" or any(b.kind == "L" for b in batches)
    problems = _draft_problems(judged, lms, at, template.merges)
    columns = ", ".join(report.columns)[:200]
    problems.extend(Problem("msg", UNKNOWN_FIELD, {"field": name, "columns": columns})
                    for name in template.unknown)
    if template.names and report.name_column is None:
        problems.append(Problem("msg", NO_NAME_COLUMN))
    if plan.too_long_for_sms:
        problems.append(Problem("smsType", SMS_TOO_LONG, {
            "count": plan.too_long_for_sms, "length": plan.longest_sms,
            "limit": message.SMS_LIMIT}))
    return _checked(report, built, batches, plan, opted_out, problems)


def _checked(report: ListReport, draft: Draft, batches: list[PlannedBatch], plan: _Plan,
             opted_out: int, problems: list[Problem]) -> Checked:
    """The figures of a plan."""
    sms = sum(len(b.recipients) for b in batches if b.kind == "S")
    lms = sum(len(b.recipients) for b in batches if b.kind == "L")
    forecast = sum(b.forecast for b in batches)
    known = credit.last_known()
    remaining = known[1] if known is not None else None
    short = forecast - remaining if remaining is not None and forecast > remaining else None
    own_refused = sum(1 for p in plan.problems if p.code != "opted_out")
    left_out = sorted([*report.refused, *report.duplicates, *plan.problems],
                      key=lambda p: p.row)
    return Checked(
        draft=draft, report=report, batches=batches, problems=left_out,
        rows=report.total, recipients=sms + lms,
        refused=len(report.refused) + own_refused, duplicates=len(report.duplicates),
        opted_out=opted_out, sms=sms, lms=lms, calls=len(batches), forecast=forecast,
        credit=remaining, shortfall=short, previews=_previews(batches),
        message_problems=problems)
