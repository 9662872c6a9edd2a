"""The opt-out list (수신거부): the numbers that asked for no more advertising.

One row per number (its digits, unique) with when, how (``states.OptOutVia``), by whom and
a memo. Adding a number that is on the list already changes nothing; removing one takes a
reason and moves the row to the removals' history, so a company can show when a number
opted out and when and why it was taken off. Every change is audited (an import once, as
counts). ``opted_out`` answers which of a send's numbers are here in one indexed query,
for the send's judge (an advertising send never reaches them; any other send says how
many of its numbers are here).

Readers who see numbers masked (viewers) get every number as ``010-****-5678``, no memo,
and may look a number up only whole: a part of one would tell the hidden digits in turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import current_app
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from cafe24.calls import SendRequest
from cafe24.phone import normalize_phone
from smsform import logs
from smsform.extensions import db
from smsform.models import OptOut, OptOutRemoval, in_korea, utcnow
from smsform.services import audit, hot_writes
from smsform.services.audit import AuditActor
from smsform.services.lists import ListReport
from smsform.services.refusals import Refusal
from smsform.services.sendlog_query import mask_phone
from smsform.states import OptOutVia

log = logs.get("optouts")
_optouts = OptOut.__table__
_removals = OptOutRemoval.__table__

MEMO_LIMIT = 200
REASON_LIMIT = 200
QUERY_LIMIT = 40
PER_PAGE = 50
MAX_PAGE = 100_000
#: How many numbers one statement of an import asks about or writes.
_CHUNK = 500
#: What may stand in a number typed into the search besides digits.
_QUERY_JUNK = re.compile(r"[\s\-.()+]")

T = TypeVar("T")


class OptOutError(Refusal):
    """Why the opt-out list would not do what it was asked."""


def digits_of(raw: str) -> str | None:
    """A Korean number as the list keeps it (its digits, ``01012345678``), or None."""
    number = normalize_phone(raw or "")
    return number.replace("-", "") if number else None


def dashed(digits: str) -> str:
    """A kept number as people read it (``010-1234-5678``)."""
    return normalize_phone(digits) or digits


@dataclass(frozen=True)
class Entry:
    """One opted-out number as a reader may see it (``at`` in Korea time)."""

    phone: str
    at: datetime
    via: str
    by: str
    memo: str | None
    confirm_send_id: int | None = None


@dataclass(frozen=True)
class Removal:
    """A removed opt-out: the opt-out as it was, and its removal (times in Korea time)."""

    phone: str
    opted_out_at: datetime
    via: str
    by: str
    memo: str | None
    removed_at: datetime
    removed_by: str
    reason: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first, and how many match in all."""

    items: list[T]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Added:
    """What ``add`` did: the number's entry, and whether it was new."""

    entry: Entry
    new: bool


@dataclass
class ImportCounts:
    """What an import did: numbers added, already on the list, and the rows the reader
    (``services.lists``) left out (not a number, given twice)."""

    added: int = 0
    already: int = 0
    refused: int = 0
    duplicates: int = 0
    added_numbers: list[str] = field(default_factory=list)  # digits, for confirmations

    def as_detail(self) -> dict[str, int]:
        """The counts, for the audit trail and the CLI's JSON."""
        return {"added": self.added, "already": self.already, "refused": self.refused,
                "duplicates": self.duplicates}


def _entry(row: Any, masked: bool) -> Entry:
    phone = dashed(row.phone)
    return Entry(mask_phone(phone) if masked else phone, in_korea(row.created_at), row.via,
                 row.by_name, None if masked else row.memo, row.confirm_send_id)


def _removal(row: Any, masked: bool) -> Removal:
    phone = dashed(row.phone)
    return Removal(mask_phone(phone) if masked else phone, in_korea(row.opted_out_at),
                   row.via, row.by_name, None if masked else row.memo,
                   in_korea(row.removed_at), row.removed_by_name,
                   "" if masked else row.reason)


def _number(raw: str) -> str:
    number = digits_of(raw)
    if number is None:
        raise OptOutError("invalid_phone", value=(raw or "").strip()[:QUERY_LIMIT])
    return number


def _memo(memo: str | None) -> str | None:
    text = (memo or "").strip()
    if len(text) > MEMO_LIMIT:
        raise OptOutError("memo_too_long", max=MEMO_LIMIT)
    if any(ord(c) < 0x20 and c not in "\t" for c in text):
        raise OptOutError("control_chars")
    return text or None


def _insert_new(connection: Connection) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on the two engines (a number added meanwhile by
    someone else is simply there)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(_optouts).on_conflict_do_nothing(index_elements=["phone"])


def _row(connection: Connection, number: str) -> Any:
    return connection.execute(select(_optouts).where(_optouts.c.phone == number)).first()


def add(raw: str, *, via: OptOutVia, by: AuditActor, memo: str | None = None) -> Added:
    """Put a number on the list (audited when it was not there yet); a number already there
    keeps its first record."""
    number, memo = _number(raw), _memo(memo)
    with db.engine.begin() as connection:
        # RETURNING says whether this INSERT made the row on both engines (a rowcount of
        # ON CONFLICT DO NOTHING is not to be trusted on every driver)
        inserted = connection.execute(_insert_new(connection).values(
            phone=number, created_at=utcnow(), via=via.value, by_id=by.id,
            by_name=by.name[:64], memo=memo).returning(_optouts.c.id)).first() is not None
        row = _row(connection, number)
    if inserted:
        audit.record_by("optout_added", by, target=dashed(number),
                        detail={"via": via.value, **({"memo": memo} if memo else {})})
        send_id = confirm(number, row.created_at, by)
        if send_id is not None:
            row = _set_confirmation(row.id, send_id)
    return Added(_entry(row, masked=False), bool(inserted))


# --- the confirmation text ----------------------------------------------------------------

#: The send log's way in of a confirmation text.
CONFIRM_SOURCE = "optout"


def confirm(number: str, at: datetime, by: AuditActor) -> int | None:
    """Tell the number its opt-out was recorded, when SMSFORM_OPTOUT_CONFIRM is on: a text
    through the send service (logged as a send, source ``optout``; it is no advertisement,
    so it reaches the number). Returns the send log's id, or None when the setting is off
    or nothing could be logged. Never raises: a failed confirmation never undoes the
    opt-out (the log and the app's log say what happened)."""
    settings = current_app.extensions["smsform.settings"]
    if not settings.optout_confirm_from:
        return None
    from smsform.services import sending  # the send service judges with this module

    text = (settings.optout_confirm_text.replace("{company}", settings.ad_sender_name)
            .replace("{date}", in_korea(at).strftime("%Y-%m-%d")))
    request = SendRequest(msg=text, sender=settings.optout_confirm_from,
                          recipients=(dashed(number),))
    actor = sending.Actor(by.id, by.name[:64], CONFIRM_SOURCE, by.address)
    try:
        result = sending.submit(sending.SendOrder(request, actor))
    except Exception:  # noqa: BLE001 - the opt-out stands whatever the send does
        log.exception("opt-out confirmation to ...%s failed", number[-4:])
        return None
    if not result.status.accepted:
        log.warning("opt-out confirmation to ...%s not sent: %s %s", number[-4:],
                    result.status.value, result.code)
    return result.send_id


def _set_confirmation(optout_id: int, send_id: int) -> Any:
    with db.engine.begin() as connection:
        connection.execute(update(_optouts).where(_optouts.c.id == optout_id)
                           .values(confirm_send_id=send_id))
        return connection.execute(select(_optouts).where(_optouts.c.id == optout_id)).first()


def remove(raw: str, *, reason: str, by: AuditActor) -> Removal:
    """Take a number off the list, keeping the opt-out and why it was removed in the
    history (audited)."""
    number = _number(raw)
    reason = (reason or "").strip()
    if not reason:
        raise OptOutError("reason_required")
    if len(reason) > REASON_LIMIT:
        raise OptOutError("reason_too_long", max=REASON_LIMIT)
    now = utcnow()
    with db.engine.begin() as connection:
        row = connection.execute(select(_optouts).where(_optouts.c.phone == number)
                                 .with_for_update()).first()
        if row is None:
            raise OptOutError("not_found", number=dashed(number))
        values = {"phone": number, "opted_out_at": row.created_at, "via": row.via,
                  "by_name": row.by_name, "memo": row.memo, "removed_at": now,
                  "removed_by_id": by.id, "removed_by_name": by.name[:64], "reason": reason}
        connection.execute(insert(_removals).values(**values))
        connection.execute(delete(_optouts).where(_optouts.c.id == row.id))
    audit.record_by("optout_removed", by, target=dashed(number), detail={
        "reason": reason, "opted_out_at": in_korea(row.created_at).isoformat(
            timespec="seconds"), "via": row.via})
    return _removal(_Row(values), masked=False)


class _Row:
    """A dict read as a row (the removal just written)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def import_report(report: ListReport, *, via: OptOutVia, by: AuditActor,
                  memo: str | None = None, source: str = "") -> ImportCounts:
    """Add every number of a read list (``services.lists``) that is not on the list yet;
    the rows the reader left out are counted. Audited once, as counts."""
    memo = _memo(memo)
    counts = ImportCounts(refused=len(report.refused), duplicates=len(report.duplicates))
    numbers = list(dict.fromkeys(n for n in (digits_of(row.phone) for row in report.rows)
                                 if n is not None))
    now = utcnow()
    with db.engine.begin() as connection:
        statement = _insert_new(connection)
        for start in range(0, len(numbers), _CHUNK):
            chunk = numbers[start:start + _CHUNK]
            there = set(connection.execute(
                select(_optouts.c.phone).where(_optouts.c.phone.in_(chunk))).scalars())
            new = [n for n in chunk if n not in there]
            if new:
                connection.execute(statement, [
                    {"phone": n, "created_at": now, "via": via.value, "by_id": by.id,
                     "by_name": by.name[:64], "memo": memo} for n in new])
            counts.already += len(there)
            counts.added_numbers.extend(new)
    counts.added = len(counts.added_numbers)
    audit.record_by("optout_imported", by, target=source[:64] or None,
                    detail={"via": via.value, **counts.as_detail()})
    return counts


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A search of the list: a whole number (exact), a part of one (digits), or nothing."""

    whole: str | None = None
    part: str | None = None

    @property
    def by_number(self) -> bool:
        """Whether it searches by a number at all."""
        return bool(self.whole or self.part)


def parse_search(q: str | None, *, masked: bool) -> Search:
    """A search typed with or without dashes (``010-1234-5678``, ``01012345678``, ``5678``);
    raises OptOutError when it is not a number or a part of one, or when a reader who sees
    numbers masked gives only a part."""
    text = (q or "").strip()
    if not text:
        return Search()
    if len(text) > QUERY_LIMIT:
        raise OptOutError("query_too_long", max=QUERY_LIMIT)
    whole = digits_of(text)
    if whole is not None:
        return Search(whole=whole)
    part = _QUERY_JUNK.sub("", text)
    if not (part.isascii() and part.isdigit()):
        raise OptOutError("query_not_number")
    if masked:
        raise OptOutError("whole_number_only")
    return Search(part=part)


def _where(column: Any, search: Search) -> list[Any]:
    if search.whole:
        return [column == search.whole]
    if search.part:
        return [column.contains(search.part, autoescape=True)]
    return []


def _page_of(query_page: int) -> int:
    if not 1 <= query_page <= MAX_PAGE:
        raise OptOutError("bad_page", max=MAX_PAGE)
    return query_page


def search(search: Search, page: int = 1, *, masked: bool = False,
           per_page: int = PER_PAGE) -> Page[Entry]:
    """One page of the opted-out numbers matching ``search``, newest first."""
    page = _page_of(page)
    where = _where(_optouts.c.phone, search)
    with db.engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(_optouts).where(*where)).scalar_one()
        rows = connection.execute(
            select(_optouts).where(*where)
            .order_by(_optouts.c.created_at.desc(), _optouts.c.id.desc())
            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page([_entry(row, masked) for row in rows], total, page,
                max(1, -(-total // per_page)))


def removals(search: Search, page: int = 1, *, masked: bool = False,
             per_page: int = PER_PAGE) -> Page[Removal]:
    """One page of the removals' history matching ``search``, newest first."""
    page = _page_of(page)
    where = _where(_removals.c.phone, search)
    with db.engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(_removals).where(*where)).scalar_one()
        rows = connection.execute(
            select(_removals).where(*where)
            .order_by(_removals.c.removed_at.desc(), _removals.c.id.desc())
            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page([_removal(row, masked) for row in rows], total, page,
                max(1, -(-total // per_page)))


def find(raw: str, *, masked: bool = False) -> Entry | None:
    """The entry of one number, or None when it is not on the list."""
    number = _number(raw)
    with db.engine.connect() as connection:
        row = _row(connection, number)
    return _entry(row, masked) if row is not None else None


def export_entries(*, masked: bool) -> Iterator[Entry]:
    """Every opted-out number, newest first, read in flat memory (the CSV edges write
    them)."""
    statement = select(_optouts).order_by(_optouts.c.created_at.desc(), _optouts.c.id.desc())
    with db.engine.connect() as connection:
        for row in connection.execution_options(yield_per=1000).execute(statement):
            yield _entry(row, masked)


# --- the send's step --------------------------------------------------------------------


_OPTED_OUT = select(_optouts.c.phone).where(
    _optouts.c.phone.in_(bindparam("phones", expanding=True)))
#: A number already written as the send path writes it (010-1234-5678): its digits are its
#: key without asking the phone library (a malformed one is simply not on the list).
_DASHED = re.compile(r"[0-9]{2,4}-[0-9]{3,4}-[0-9]{4}")
#: How many numbers one look-up asks about (SQLite's old limit of host parameters is 999).
_LOOKUP_CHUNK = 900


def _key(phone: str) -> str | None:
    return phone.replace("-", "") if _DASHED.fullmatch(phone) else digits_of(phone)


def opted_out(phones: Sequence[str]) -> frozenset[str]:
    """Which of ``phones`` (as typed or canonical) are on the list, as given: one indexed
    query (none for no numbers; one more per 900 numbers past the first 900). On SQLite it
    runs on the driver's own cursor (13 us for one number against 70 us through Core)."""
    wanted: dict[str, list[str]] = {}
    for phone in phones:
        number = _key(phone)
        if number is not None:
            wanted.setdefault(number, []).append(phone)
    if not wanted:
        return frozenset()
    numbers = list(wanted)
    found: list[str] = []
    with hot_writes.connect(db.engine) as connection:
        for start in range(0, len(numbers), _LOOKUP_CHUNK):
            found.extend(_lookup(connection, numbers[start:start + _LOOKUP_CHUNK]))
    return frozenset(phone for number in found for phone in wanted[number])


def _lookup(connection: Connection, numbers: list[str]) -> list[str]:
    if connection.dialect.name != "sqlite":
        return list(connection.execute(_OPTED_OUT, {"phones": numbers}).scalars())
    marks = ",".join("?" * len(numbers))  # placeholders only: the numbers are parameters
    sql = f"SELECT phone FROM optouts WHERE phone IN ({marks})"  # noqa: S608
    return [row[0] for row in hot_writes.rows(connection, sql, numbers)]


# --- the send's step (services.compliance.opt_outs) ------------------------------------

#: The problem of an advertising send whose every recipient opted out (nothing is sent),
#: and the notice of any other send that reaches opted-out numbers (it is sent).
ALL_OPTED_OUT = "all_opted_out"
OPTED_OUT_NOTICE = "opted_out_notice"


@dataclass(frozen=True)
class Screened:
    """What the opt-out list made of a send: the request to send (an advertisement's
    opted-out recipients taken out; the same request otherwise) and its opted-out numbers,
    as given, in the request's order."""

    request: SendRequest
    opted_out: tuple[str, ...]
    removed: bool

    @property
    def nobody_left(self) -> bool:
        """True when an advertisement has no recipient left: no call may be made."""
        return self.removed and self.request.recipient_count == 0


#: Whether any of a list of numbers is on the list, on PostgreSQL: the numbers as one
#: text, split by the server (an IN of 999 bound values cost 5 ms of the client's time a
#: job batch, an array of them 0.5 ms to adapt; one text costs nothing).
_ANY_LISTED_PG = text("SELECT 1 FROM optouts "
                      "WHERE phone = ANY(string_to_array(:phones, ',')) LIMIT 1")


#: A list this short is read whole on SQLite to judge a job batch against (one read of a
#: few rows instead of an IN of 999 bound numbers: 0.6 ms of a batch's CPU).
SHORT_LIST = 100
_SHORT_LIST = f"SELECT phone FROM optouts LIMIT {SHORT_LIST + 1:d}"  # noqa: S608 - a constant


def _any_listed(numbers: list[str]) -> bool:
    """Whether any of ``numbers`` (digits) is on the list."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            return connection.execute(_ANY_LISTED_PG, {"phones": ",".join(numbers)}
                                      ).first() is not None
        if len(numbers) > SHORT_LIST:
            listed = hot_writes.rows(connection, _SHORT_LIST)
            if len(listed) <= SHORT_LIST:  # the whole list
                return not {row[0] for row in listed}.isdisjoint(numbers)
        return any(_lookup(connection, numbers[start:start + _LOOKUP_CHUNK])
                   for start in range(0, len(numbers), _LOOKUP_CHUNK))


def unchanged_since(since: Any) -> Any:
    """A condition (for a WHERE) that no number was added to the list or removed from it at
    or after ``since`` (a bind parameter or a time, UTC naive; two index look-ups): a bulk
    worker claims a batch judged ahead of its call only while it holds."""
    return and_(~select(_optouts.c.id).where(_optouts.c.created_at >= since).exists(),
                ~select(_removals.c.id).where(_removals.c.removed_at >= since).exists())


def screen(request: SendRequest, advertising: bool) -> Screened | None:
    """The send's step: which of its numbers opted out (one indexed query), and for an
    advertisement the request without them. None when none of them did. Prepared
    recipients (a bulk job's batch) are asked by their digits, with no work per number;
    when some opted out, the step goes on with them unpacked (``Screened.request``)."""
    if request.prepared is not None:
        if not _any_listed(request.prepared.digits()):
            return None
        request = request.unprepared()
    phones = [r.phone for r in request.named] if request.named else list(request.recipients)
    found = opted_out(phones)
    if not found:
        return None
    listed = tuple(phone for phone in phones if phone in found)
    if not advertising:
        return Screened(request, listed, removed=False)
    kept = replace(request, named=tuple(r for r in request.named if r.phone not in found),
                   recipients=tuple(p for p in request.recipients if p not in found))
    return Screened(kept, listed, removed=True)


def log_values(excluded: Sequence[Any], notices: Sequence[Any]) -> dict[str, Any]:
    """What the send log's row keeps of the step (``sendlog.record_intent``): the numbers
    an advertisement left out (``excluded``, JSON) and how many opted-out numbers the send
    concerned (``opted_out``: left out, or reached by a notice); nothing when none."""
    if excluded:
        numbers = [dashed(digits_of(e.phone) or e.phone) for e in excluded]
        return {"excluded": numbers, "opted_out": len(numbers)}
    count = next((p.params["count"] for p in notices if p.code == OPTED_OUT_NOTICE), 0)
    return {"opted_out": count} if count else {}
