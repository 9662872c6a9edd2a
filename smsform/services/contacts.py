"""The address book: contacts (one per number, however it was written), their names, memos
and other fields, and the groups they are in.

Made by hand (pages, API) or imported from a list that ``services.lists`` read, into a
group; exported as rows for a CSV; searched by number (with or without dashes, or its last
four digits) or by a name's beginning, a page at a time behind a cursor (keyset: as fast
on the millionth contact as on the first). A group or chosen contacts become recipients
(number and name, for ``{name}``) through ``recipients_of``. Every change is audited (an
import by its counts). No HTTP in here; masking for viewers is ``visibility``'s words,
applied by the edges through ``shown``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import FromClause

from cafe24 import message
from cafe24.calls import SendRequest
from cafe24.message import NAME_LIMIT
from cafe24.phone import Recipient, normalize_phone
from cafe24.text import Problem, control_chars
from smsform.extensions import db
from smsform.models import Contact, ContactGroup, ContactMembership, in_korea, utcnow
from smsform.services import audit
from smsform.services.audit import AuditActor
from smsform.services.lists import ListReport, read_phone
from smsform.services.refusals import Refusal
from smsform.services.sendlog_query import mask_phone
from smsform.services.visibility import mask_name

_contacts = Contact.__table__
_groups = ContactGroup.__table__
_members = ContactMembership.__table__

PER_PAGE = 50
MAX_PER_PAGE = 200
MEMO_MAX = 1000
GROUP_NAME_MAX = 64
FIELD_NAME_MAX = 40
FIELD_VALUE_MAX = 500
MAX_FIELDS = 30
#: A page counts its matches up to this many ("10,000+" beyond), so a count never reads a
#: million rows.
COUNT_CAP = 10_000
#: The most recipients one send may take from the address book: the gateway's per-call
#: limit (bulk jobs, issue 15, will take more).
MAX_RECIPIENTS = 999
#: Rows written per statement by an import.
_CHUNK = 500
_DIGITS_ONLY = re.compile(r"[\d\s\-+().]+")


class ContactError(Refusal):
    """A contact or group could not be made, changed or found; ``code`` says why
    (``phone_invalid``, ``phone_taken``, ``name_too_long``, ``name_control_chars``,
    ``memo_too_long``, ``field_invalid``, ``too_many_fields``, ``group_name_invalid``,
    ``group_taken``, ``no_such_contact``, ``no_such_group``, ``too_many_recipients``)."""


@dataclass(frozen=True)
class ContactView:
    """One contact as pages, the CLI and the API read it."""

    id: int
    phone: str
    name: str
    memo: str
    fields: dict[str, str]
    groups: tuple[str, ...]
    created_at: datetime  # Korea time
    updated_at: datetime

    def shown(self, masked: bool) -> ContactView:
        """The contact as a reader who sees numbers masked sees it (number, name and memo
        hidden; the fields too, they may hold anything)."""
        if not masked:
            return self
        return ContactView(self.id, mask_phone(self.phone), mask_name(self.name), "",
                           dict.fromkeys(self.fields, "*"), self.groups, self.created_at,
                           self.updated_at)


@dataclass(frozen=True)
class GroupView:
    """A group and how many contacts it holds."""

    id: int
    name: str
    count: int
    created_at: datetime


@dataclass(frozen=True)
class Page:
    """One page of contacts: ``after`` of the next page (None on the last), the matches
    counted up to COUNT_CAP (``capped`` when there are more)."""

    items: list[ContactView]
    next_after: int | None
    total: int
    capped: bool


@dataclass(frozen=True)
class Search:
    """What the address book is asked: words (a number or a name's beginning), a group,
    where the page starts (the last contact id of the page before) and its size."""

    q: str = ""
    group_id: int | None = None
    after: int | None = None
    limit: int = PER_PAGE


@dataclass
class ImportCounts:
    """What an import did: contacts added, contacts whose name or fields it changed, those
    already there as they were, and how many it put in the group; the rows it left out."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    grouped: int = 0
    refused: int = 0
    duplicates: int = 0
    group: str | None = None
    by_code: dict[str, int] = field(default_factory=dict)

    def as_detail(self) -> dict[str, Any]:
        """The counts as the audit trail keeps them."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "grouped": self.grouped, "refused": self.refused,
                "duplicates": self.duplicates, **({"group": self.group} if self.group else {})}


# --- reading one's input ----------------------------------------------------------------


def check_phone(raw: str) -> str:
    """A contact's number in canonical form; ContactError ``phone_invalid``."""
    phone = read_phone((raw or "").strip())
    if phone is None:
        raise ContactError("phone_invalid", value=(raw or "")[:40])
    return phone


def check_name(raw: str | None) -> str:
    """A contact's name, spaces folded; ContactError when too long or not one line."""
    name = " ".join((raw or "").split())
    if len(name) > NAME_LIMIT:
        raise ContactError("name_too_long", max=NAME_LIMIT)
    if control_chars(name):
        raise ContactError("name_control_chars")
    return name


def check_memo(raw: str | None) -> str:
    """A contact's memo (several lines may be); ContactError ``memo_too_long``."""
    memo = (raw or "").strip()
    if len(memo) > MEMO_MAX:
        raise ContactError("memo_too_long", max=MEMO_MAX)
    return memo


def check_fields(raw: Mapping[str, object] | None) -> dict[str, str]:
    """A contact's other fields: names of up to FIELD_NAME_MAX characters (not ``name``,
    which is the name), text values of up to FIELD_VALUE_MAX; empty values dropped."""
    fields: dict[str, str] = {}
    for key, value in (raw or {}).items():
        name = " ".join(str(key).split())
        if not name or len(name) > FIELD_NAME_MAX or name in ("name", "phone") \
                or control_chars(name) or not isinstance(value, str | int | float) \
                or isinstance(value, bool):
            raise ContactError("field_invalid", field=name[:FIELD_NAME_MAX] or "?")
        text = str(value).strip()
        if len(text) > FIELD_VALUE_MAX:
            raise ContactError("field_invalid", field=name)
        if text:
            fields[name] = text
    if len(fields) > MAX_FIELDS:
        raise ContactError("too_many_fields", max=MAX_FIELDS)
    return fields


def parse_fields(text: str | None) -> dict[str, str]:
    """Fields typed one a line, ``name: value`` (or ``name=value``), as the page takes them."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key, sep, value = line.partition("=")
        if not sep:
            raise ContactError("field_invalid", field=line.strip()[:FIELD_NAME_MAX])
        out[key.strip()] = value.strip()
    return check_fields(out)


def format_fields(fields: Mapping[str, str]) -> str:
    """Fields as the page's text area shows them (``parse_fields`` reads them back)."""
    return "\n".join(f"{name}: {value}" for name, value in fields.items())


def check_group_name(raw: str | None) -> str:
    """A group's name: one line of 1 to GROUP_NAME_MAX characters."""
    name = " ".join((raw or "").split())
    if not name or len(name) > GROUP_NAME_MAX or control_chars(name):
        raise ContactError("group_name_invalid", max=GROUP_NAME_MAX)
    return name


def _digits(phone: str) -> str:
    return phone.replace("-", "")


# --- one contact ------------------------------------------------------------------------


def _view(row: Any, groups: Sequence[str] = ()) -> ContactView:
    try:
        fields = json.loads(row.fields or "{}")
    except ValueError:  # pragma: no cover - only this module writes it
        fields = {}
    return ContactView(row.id, row.phone, row.name or "", row.memo or "",
                       fields if isinstance(fields, dict) else {}, tuple(groups),
                       in_korea(row.created_at), in_korea(row.updated_at))


def _groups_of(contact_ids: Sequence[int]) -> dict[int, list[str]]:
    if not contact_ids:
        return {}
    rows = db.session.execute(
        select(_members.c.contact_id, _groups.c.name)
        .join(_groups, _groups.c.id == _members.c.group_id)
        .where(_members.c.contact_id.in_(contact_ids)).order_by(_groups.c.name)).all()
    out: dict[int, list[str]] = {}
    for contact_id, name in rows:
        out.setdefault(contact_id, []).append(name)
    return out


def get_contact(contact_id: int) -> ContactView:
    """One contact with its groups; ContactError ``no_such_contact``."""
    row = db.session.execute(select(_contacts).where(_contacts.c.id == contact_id)).first()
    if row is None:
        raise ContactError("no_such_contact", id=contact_id)
    return _view(row, _groups_of([contact_id]).get(contact_id, []))


def find_by_phone(raw: str) -> ContactView | None:
    """The contact of a number, however written, or None."""
    phone = read_phone(raw.strip())
    if phone is None:
        return None
    row = db.session.execute(
        select(_contacts).where(_contacts.c.digits == _digits(phone))).first()
    return _view(row, _groups_of([row.id]).get(row.id, [])) if row is not None else None


def _group_ids(names: Iterable[str], by: AuditActor) -> list[int]:
    """The ids of the named groups, each made (and audited) when it does not exist yet."""
    ids = []
    for raw in names:
        ids.append(ensure_group(check_group_name(raw), by).id)
    return ids


def add_contact(phone: str, *, name: str = "", memo: str = "",
                fields: Mapping[str, object] | None = None, groups: Sequence[str] = (),
                by: AuditActor) -> ContactView:
    """Add a contact; ContactError (``phone_taken`` when the number has one already)."""
    number = check_phone(phone)
    values = {"phone": number, "digits": _digits(number), "tail": _digits(number)[-4:],
              "name": check_name(name), "memo": check_memo(memo),
              "fields": json.dumps(check_fields(fields), ensure_ascii=False)}
    if find_by_phone(number) is not None:
        raise ContactError("phone_taken", phone=number)
    group_ids = _group_ids(groups, by)
    now = utcnow()
    try:
        contact_id = db.session.execute(
            insert(_contacts).values(**values, created_at=now, updated_at=now)
            .returning(_contacts.c.id)).scalar_one()
        _join(group_ids, [contact_id])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ContactError("phone_taken", phone=number) from None
    audit.record_by("contact_created", by, target=str(contact_id),
                    detail={"groups": len(group_ids)})
    return get_contact(contact_id)


def _new_values(before: ContactView, phone: str | None, name: str | None, memo: str | None,
                fields: Mapping[str, object] | None) -> dict[str, Any]:
    """The columns a change writes, checked."""
    values: dict[str, Any] = {}
    if phone is not None:
        number = check_phone(phone)
        if number != before.phone:
            other = find_by_phone(number)
            if other is not None and other.id != before.id:
                raise ContactError("phone_taken", phone=number)
            values.update(phone=number, digits=_digits(number), tail=_digits(number)[-4:])
    if name is not None:
        values["name"] = check_name(name)
    if memo is not None:
        values["memo"] = check_memo(memo)
    if fields is not None:
        values["fields"] = json.dumps(check_fields(fields), ensure_ascii=False)
    return values


def update_contact(contact_id: int, *, phone: str | None = None, name: str | None = None,
                   memo: str | None = None, fields: Mapping[str, object] | None = None,
                   groups: Sequence[str] | None = None, by: AuditActor) -> ContactView:
    """Change what is given of a contact (``groups``: its groups, all of them)."""
    before = get_contact(contact_id)
    values = _new_values(before, phone, name, memo, fields)
    group_ids = _group_ids(groups, by) if groups is not None else None
    changed = sorted(k for k in values if k not in ("digits", "tail"))
    try:
        if values:
            db.session.execute(update(_contacts).where(_contacts.c.id == contact_id)
                               .values(**values, updated_at=utcnow()))
        if group_ids is not None:
            db.session.execute(delete(_members).where(_members.c.contact_id == contact_id))
            _join(group_ids, [contact_id])
            changed.append("groups")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ContactError("phone_taken", phone=values.get("phone", "")) from None
    if changed:
        audit.record_by("contact_changed", by, target=str(contact_id),
                        detail={"changed": changed})
    return get_contact(contact_id)


def delete_contact(contact_id: int, *, by: AuditActor) -> None:
    """Delete a contact and its memberships (the send log keeps its own copy of every
    number and name: nothing there changes)."""
    get_contact(contact_id)
    db.session.execute(delete(_members).where(_members.c.contact_id == contact_id))
    db.session.execute(delete(_contacts).where(_contacts.c.id == contact_id))
    db.session.commit()
    audit.record_by("contact_deleted", by, target=str(contact_id))


def _join(group_ids: Sequence[int], contact_ids: Sequence[int]) -> int:
    """Put the contacts in the groups (those already in stay); how many were added."""
    if not group_ids or not contact_ids:
        return 0
    added = 0
    for group_id in group_ids:
        for start in range(0, len(contact_ids), _CHUNK):
            chunk = contact_ids[start:start + _CHUNK]
            there = set(db.session.execute(
                select(_members.c.contact_id).where(_members.c.group_id == group_id,
                                                    _members.c.contact_id.in_(chunk))
            ).scalars())
            new = [{"group_id": group_id, "contact_id": c} for c in dict.fromkeys(chunk)
                   if c not in there]
            if new:
                db.session.execute(insert(_members), new)
                added += len(new)
    return added


# --- groups ------------------------------------------------------------------------------


def list_groups() -> list[GroupView]:
    """Every group by name, with its size."""
    counts = (select(_members.c.group_id, func.count().label("n"))
              .group_by(_members.c.group_id).subquery())
    rows = db.session.execute(
        select(_groups, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.group_id == _groups.c.id).order_by(_groups.c.name)).all()
    return [GroupView(r.id, r.name, r.n, r.created_at) for r in rows]


def get_group(group_id: int) -> GroupView:
    """One group; ContactError ``no_such_group``."""
    row = db.session.execute(select(_groups).where(_groups.c.id == group_id)).first()
    if row is None:
        raise ContactError("no_such_group", id=group_id)
    count = db.session.execute(select(func.count()).select_from(_members)
                               .where(_members.c.group_id == group_id)).scalar_one()
    return GroupView(row.id, row.name, count, row.created_at)


def find_group(name: str) -> GroupView | None:
    """The group of that name, or None."""
    row = db.session.execute(select(_groups.c.id).where(
        _groups.c.name == " ".join(name.split()))).first()
    return get_group(row.id) if row is not None else None


def ensure_group(name: str, by: AuditActor) -> GroupView:
    """The group of that name, made (and audited) when there is none."""
    found = find_group(name)
    return found if found is not None else add_group(name, by=by)


def add_group(name: str, *, by: AuditActor) -> GroupView:
    """Make a group; ContactError ``group_taken`` when the name is used."""
    checked = check_group_name(name)
    if find_group(checked) is not None:
        raise ContactError("group_taken", name=checked)
    try:
        group_id = db.session.execute(insert(_groups).values(name=checked, created_at=utcnow())
                                      .returning(_groups.c.id)).scalar_one()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ContactError("group_taken", name=checked) from None
    audit.record_by("group_created", by, target=checked)
    return get_group(group_id)


def delete_group(group_id: int, *, by: AuditActor) -> GroupView:
    """Delete a group (its contacts stay in the address book)."""
    group = get_group(group_id)
    db.session.execute(delete(_members).where(_members.c.group_id == group_id))
    db.session.execute(delete(_groups).where(_groups.c.id == group_id))
    db.session.commit()
    audit.record_by("group_deleted", by, target=group.name, detail={"contacts": group.count})
    return group


# --- searching ---------------------------------------------------------------------------


def number_digits(q: str) -> str | None:
    """The digits a search means when it is a number (``010-1234``, ``5678``, ``+82 10``),
    or None when it is a name."""
    text = q.strip()
    if not text or not _DIGITS_ONLY.fullmatch(text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+82") and digits.startswith("82"):
        digits = "0" + digits[2:]
    return digits or None


def _prefix(column: Any, start: str) -> Any:
    """``column`` starts with ``start``: an index range up to the next string of that
    length (exact in code point order, which ``contacts.name`` keeps on every engine)."""
    last = ord(start[-1])
    if last >= 0x10FFFF:
        return column >= start
    following = 0xE000 if last == 0xD7FF else last + 1  # never a surrogate
    return and_(column >= start, column < start[:-1] + chr(following))


def _order_and_where(search: Search) -> tuple[list[Any], list[Any]]:
    """The page's order (a keyset) and its conditions, for the words asked."""
    conditions: list[Any] = []
    digits = number_digits(search.q)
    if digits is not None and len(digits) == 4:
        conditions.append(_contacts.c.tail == digits)
        return [_contacts.c.tail, _contacts.c.id], conditions
    if digits is not None:
        conditions.append(_prefix(_contacts.c.digits, digits))
        return [_contacts.c.digits], conditions
    name = " ".join(search.q.split())
    if name:
        conditions.append(_prefix(_contacts.c.name, name))
    return [_contacts.c.name, _contacts.c.id], conditions


def search(query: Search) -> Page:
    """One page of the contacts matching ``query``: by name (then id) or by number; a
    group's contacts in the order they joined it."""
    limit = max(1, min(query.limit, MAX_PER_PAGE))
    order, conditions = _order_and_where(query)
    source: FromClause
    if query.group_id is not None:
        order = [_members.c.contact_id]
        source = _members.join(_contacts, _contacts.c.id == _members.c.contact_id)
        conditions.append(_members.c.group_id == query.group_id)
    else:
        source = _contacts
    counted = select(_contacts.c.id).select_from(source).where(*conditions).limit(COUNT_CAP + 1)
    total = db.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    page_where = list(conditions)
    if query.after is not None:
        page_where.append(_after(order, query.after))
    rows = db.session.execute(select(_contacts).select_from(source).where(*page_where)
                              .order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    groups = _groups_of([r.id for r in rows])
    return Page([_view(r, groups.get(r.id, [])) for r in rows],
                rows[-1].id if more else None, min(total, COUNT_CAP), total > COUNT_CAP)


def _after(order: list[Any], after: int) -> Any:
    """The rows after contact ``after`` in ``order`` (its sort key looked up by id)."""
    if order[0] is _members.c.contact_id:
        return _members.c.contact_id > after
    keys = [c for c in order if c is not _contacts.c.id]
    row = db.session.execute(select(*keys).where(_contacts.c.id == after)).first()
    if row is None:  # deleted meanwhile: by id alone, near enough
        return _contacts.c.id > after
    if len(order) == 1:  # digits are unique
        return order[0] > row[0]
    return tuple_(*order) > tuple_(*row, after)


# --- importing and exporting --------------------------------------------------------------


def import_report(report: ListReport, *, group: str | None = None, update_names: bool = True,
                  by: AuditActor) -> ImportCounts:
    """Add a read list's rows to the address book (a number already there keeps its
    contact: its name and fields are updated when ``update_names`` and the row has them),
    all of them into ``group`` when given (made if new). Audited once, with the counts.

    Written _CHUNK rows a transaction, so a long import never holds SQLite's write lock for
    long (a send waits at most one chunk); a chunk that meets a number another import just
    added is read again and written once more. An import stopped half-way leaves what it
    wrote: importing the file again finds those numbers there."""
    counts = ImportCounts(refused=len(report.refused), duplicates=len(report.duplicates))
    for problem in report.refused:
        counts.by_code[problem.code] = counts.by_code.get(problem.code, 0) + 1
    group_ids = _group_ids([group], by) if group else []
    counts.group = check_group_name(group) if group else None
    fields = report.fields[:MAX_FIELDS]
    rows = report.rows
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        for attempt in (1, 2):
            try:
                done = _import_chunk(chunk, fields, update_names)
                done.grouped = _join(group_ids, done.ids)
                db.session.commit()
                break
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    raise
        counts.added += done.added
        counts.updated += done.updated
        counts.unchanged += done.unchanged
        counts.grouped += done.grouped
    audit.record_by("contacts_imported", by, target=counts.group, detail=counts.as_detail())
    return counts


@dataclass
class _Chunk:
    ids: list[int] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    grouped: int = 0


def _import_chunk(chunk: Sequence[Any], fields: Sequence[str], update_names: bool) -> _Chunk:
    """One chunk of an import, in the session's transaction (the caller commits)."""
    done = _Chunk()
    now = utcnow()
    existing = {r.digits: r for r in db.session.execute(
        select(_contacts.c.id, _contacts.c.digits, _contacts.c.name, _contacts.c.fields)
        .where(_contacts.c.digits.in_([_digits(row.phone) for row in chunk])))}
    new: list[dict[str, Any]] = []
    for row in chunk:
        values = {name: value[:FIELD_VALUE_MAX] for name, value in
                  zip(fields, row.values, strict=False) if value and name[:FIELD_NAME_MAX]}
        digits = _digits(row.phone)
        there = existing.get(digits)
        if there is None:
            new.append({"phone": row.phone, "digits": digits, "tail": digits[-4:],
                        "name": row.name, "memo": "",
                        "fields": json.dumps(values, ensure_ascii=False),
                        "created_at": now, "updated_at": now})
            continue
        done.ids.append(there.id)
        kept = json.loads(there.fields or "{}")
        merged = {**kept, **values}
        name = row.name or there.name
        if update_names and (name != there.name or merged != kept):
            db.session.execute(update(_contacts).where(_contacts.c.id == there.id).values(
                name=name, fields=json.dumps(merged, ensure_ascii=False), updated_at=now))
            done.updated += 1
        else:
            done.unchanged += 1
    if new:
        db.session.execute(insert(_contacts), new)
        done.ids.extend(db.session.execute(select(_contacts.c.id).where(
            _contacts.c.digits.in_([v["digits"] for v in new]))).scalars())
        done.added = len(new)
    return done


EXPORT_HEADER = ("전화번호", "이름", "메모", "그룹")


def export_rows(group_id: int | None = None, *, masked: bool = False,
                batch: int = 2000) -> tuple[list[str], Iterator[list[str]]]:
    """The header and rows of an export (number, name, memo, groups, then every field
    used), read ``batch`` contacts at a time; the CSV edge neutralises formula cells."""
    field_names = _field_names(group_id)
    header = [*EXPORT_HEADER, *field_names]

    def rows() -> Iterator[list[str]]:
        after = None
        while True:
            page = search(Search(group_id=group_id, after=after, limit=batch)) \
                if batch <= MAX_PER_PAGE else _export_page(group_id, after, batch)
            for contact in page.items:
                shown = contact.shown(masked)
                yield [shown.phone, shown.name, shown.memo, ", ".join(shown.groups),
                       *(shown.fields.get(name, "") for name in field_names)]
            if page.next_after is None:
                return
            after = page.next_after

    return header, rows()


def _export_page(group_id: int | None, after: int | None, batch: int) -> Page:
    """A large page by id (the export's order), without counting."""
    source: FromClause
    if group_id is not None:
        source = _members.join(_contacts, _contacts.c.id == _members.c.contact_id)
        where = [_members.c.group_id == group_id]
        order = _members.c.contact_id
    else:
        source, where, order = _contacts, [], _contacts.c.id
    if after is not None:
        where.append(order > after)
    rows = db.session.execute(select(_contacts).select_from(source).where(*where)
                              .order_by(order).limit(batch + 1)).all()
    more = len(rows) > batch
    rows = rows[:batch]
    groups = _groups_of([r.id for r in rows])
    return Page([_view(r, groups.get(r.id, [])) for r in rows],
                rows[-1].id if more else None, len(rows), False)


def _field_names(group_id: int | None) -> list[str]:
    """Every field name the exported contacts use, in first-seen order."""
    statement = select(_contacts.c.fields).where(_contacts.c.fields != "{}")
    if group_id is not None:
        statement = statement.join(_members, _members.c.contact_id == _contacts.c.id).where(
            _members.c.group_id == group_id)
    names: dict[str, None] = {}
    for text in db.session.execute(statement.distinct()).scalars():
        for name in json.loads(text or "{}"):
            names.setdefault(name, None)
    return list(names)


# --- as recipients -------------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """Recipients taken from the address book: number and name (for ``{name}``), and the
    other fields of each for the bulk jobs' merges."""

    recipients: list[tuple[str, str]]
    fields: list[dict[str, str]]
    missing_groups: list[int]
    missing_contacts: list[int]


def recipients_of(group_ids: Sequence[int] = (), contact_ids: Sequence[int] = (), *,
                  limit: int | None = MAX_RECIPIENTS) -> Chosen:
    """The numbers and names of the groups' and the chosen contacts' members, each number
    once (groups first, in the order given; a contact in two groups counts once), and the
    ids that name nothing. ContactError ``too_many_recipients`` past ``limit``."""
    seen: set[int] = set()
    recipients: list[tuple[str, str]] = []
    fields: list[dict[str, str]] = []
    known_groups = set(db.session.execute(
        select(_groups.c.id).where(_groups.c.id.in_(list(group_ids)))).scalars()) \
        if group_ids else set()
    for group_id in dict.fromkeys(group_ids):
        if group_id not in known_groups:
            continue
        members = db.session.execute(
            select(_contacts.c.id, _contacts.c.phone, _contacts.c.name, _contacts.c.fields)
            .select_from(_members.join(_contacts, _contacts.c.id == _members.c.contact_id))
            .where(_members.c.group_id == group_id).order_by(_members.c.contact_id))
        _take(members, seen, recipients, fields, limit)
    found: set[int] = set()
    ids = list(dict.fromkeys(contact_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = db.session.execute(
            select(_contacts.c.id, _contacts.c.phone, _contacts.c.name, _contacts.c.fields)
            .where(_contacts.c.id.in_(chunk))).all()
        by_id = {r.id: r for r in rows}
        found.update(by_id)
        _take((by_id[i] for i in chunk if i in by_id), seen, recipients, fields, limit)
    return Chosen(recipients, fields,
                  [g for g in dict.fromkeys(group_ids) if g not in known_groups],
                  [c for c in ids if c not in found])


def _take(rows: Iterable[Any], seen: set[int], recipients: list[tuple[str, str]],
          fields: list[dict[str, str]], limit: int | None) -> None:
    for row in rows:
        if row.id in seen:
            continue
        seen.add(row.id)
        if limit is not None and len(recipients) >= limit:
            raise ContactError("too_many_recipients", limit=limit)
        recipients.append((row.phone, row.name or ""))
        fields.append(json.loads(row.fields) if row.fields and row.fields != "{}" else {})


def add_to_request(request: SendRequest, group_ids: Sequence[int],
                   contact_ids: Sequence[int]) -> SendRequest | list[Problem]:
    """A send's request with the groups' and the chosen contacts' members added after the
    numbers typed (each number once: one typed keeps its place), their names feeding
    ``{name}`` through ``destination``; or the problems: an id that names nothing, or more
    recipients than one call takes (``address_book_too_many``, pointing to bulk sends).
    The send service asks this once per order that names groups or contacts."""
    typed = list(request.named) if request.named else [Recipient(p) for p in request.recipients]
    room = max(0, MAX_RECIPIENTS - len(typed))
    try:
        chosen = recipients_of(group_ids, contact_ids, limit=room)
    except ContactError:
        return [Problem("rphone", "address_book_too_many", {"limit": MAX_RECIPIENTS})]
    problems = []
    if chosen.missing_groups:
        problems.append(Problem("groups", "unknown_groups",
                                {"ids": ", ".join(map(str, chosen.missing_groups))}))
    if chosen.missing_contacts:
        problems.append(Problem("contacts", "unknown_contacts",
                                {"ids": ", ".join(map(str, chosen.missing_contacts[:20]))}))
    if problems:
        return problems
    listed = {normalize_phone(r.phone) or r.phone for r in typed}
    added = [Recipient(phone, name) for phone, name in chosen.recipients if phone not in listed]
    if request.named or any(r.name for r in added):
        merged = replace(request, recipients=(), named=(*typed, *added))
    else:
        merged = replace(request, recipients=(*request.recipients, *(r.phone for r in added)))
    # {name} with recipients that have none: judged on the whole list, as the form and the
    # API judge what was typed (their own check is left to this one when groups are named).
    placeholder = message.check_placeholder(merged.text, merged.named or None)
    return placeholder or merged


#: The edges' own {name} checks, which a send naming groups or contacts leaves to
#: ``add_to_request`` (the names come from the address book).
PLACEHOLDER_CODES = frozenset({"name_placeholder_without_destination",
                               "name_placeholder_without_names"})


def read_ids(values: Iterable[str], most: int = 1000) -> tuple[int, ...]:
    """Ids as a form posts them (``groups=3&groups=5``), each once, in order; what is not
    a whole number is left out (it names nothing a person chose)."""
    out: dict[int, None] = {}
    for value in values:
        text = str(value).strip()
        if text.isdigit() and text.isascii() and len(text) <= 15:
            out.setdefault(int(text), None)
        if len(out) >= most:
            break
    return tuple(out)


def groups_by_id(group_ids: Sequence[int]) -> list[GroupView]:
    """The groups of these ids that exist, in the order given, with their sizes."""
    if not group_ids:
        return []
    rows = {r.id: r for r in db.session.execute(
        select(_groups).where(_groups.c.id.in_(list(group_ids))))}
    counts: dict[int, int] = dict(db.session.execute(
        select(_members.c.group_id, func.count()).where(
            _members.c.group_id.in_(list(rows))).group_by(_members.c.group_id)).all())
    return [GroupView(rows[i].id, rows[i].name, counts.get(i, 0), rows[i].created_at)
            for i in group_ids if i in rows]


def contacts_by_id(contact_ids: Sequence[int]) -> list[ContactView]:
    """The contacts of these ids that exist, in the order given (at most 999)."""
    ids = list(contact_ids)[:MAX_RECIPIENTS]
    if not ids:
        return []
    rows = {r.id: r for r in db.session.execute(select(_contacts).where(_contacts.c.id.in_(ids)))}
    groups = _groups_of(list(rows))
    return [_view(rows[i], groups.get(i, [])) for i in ids if i in rows]
