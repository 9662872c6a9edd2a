"""Which logged recipient a record of the gateway's result list is.

``sms_list.php`` has no message ids: a listed record is known by its sender, its
recipient, its text, its kind (the list it came from) and its minute. A logged recipient
is that record when all five agree: the digits of the send's sender and of the
recipient's number, the text that recipient was sent (its ``{name}`` merged), the send's
kind, and one of its due times (the send's time or its reservation, and each repeat after
it) within ``TIME_SLACK`` of the record's minute (clocks differ a little).

The relay keeps a site's own records with ``RecipientIndex.matches``; the delivery sync
(issue 16) gives each record one recipient's copy with ``RecipientIndex.assign`` (or an
``Assigner``, fed page by page), which
marks a record that more than one copy could be (the same text to the same number twice
within the slack) as ambiguous instead of guessing silently. A send whose texts were
purged from the log can no longer be matched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, or_, select

from cafe24.message import NAME_PLACEHOLDER
from cafe24.schedule import REPEAT_NUM_MAX, REPEAT_TIME_MAX
from cafe24.text import is_normalized, normalize_text
from smsform.extensions import db
from smsform.models import Send
from smsform.services.results import KindRow
from smsform.services.sendlog import RECIPIENTS_JSON, digits

#: How far a record's minute may be from a logged copy's due time.
TIME_SLACK = timedelta(minutes=5)
#: How long after a send's first due time its last repeat can be.
REPEAT_SPAN = timedelta(minutes=REPEAT_NUM_MAX * REPEAT_TIME_MAX)
_KINDS = {"sms": "S", "lms": "L"}
_sends = Send.__table__

Key = tuple[str, str, str, str]  # sender digits, recipient digits, text, kind (S or L)


class LoggedRecipient(NamedTuple):
    """One recipient of a logged send, as the gateway would list it (a named tuple: the
    sync holds 100,000 of them)."""

    send_id: int
    position: int  # its place among the send's recipients (send_recipients.position)
    sender: str  # digits
    phone: str  # digits
    text: str  # what it was sent, {name} merged, trimmed
    kind: str  # S or L
    due: tuple[datetime, ...]  # each time the gateway lists it (aware, UTC)

    @property
    def key(self) -> Key:
        """What a listed record must share with it, besides the time."""
        return (self.sender, self.phone, self.text, self.kind)


#: A number already in a canonical form (dashed or bare, from 0): its digits are itself.
_PLAIN_NUMBER = re.compile(r"0\d{1,3}-?\d{3,4}-?\d{4}")


def number_digits(phone: str) -> str:
    """``sendlog.digits`` of ``phone``, without parsing a number the list writes as the log
    does (010-1234-5678 or 01012345678): 200,000 of them in one sync, most of them a
    mobile number in the dashed form, which is told by its length and dashes alone."""
    if len(phone) == 13 and phone[3] == "-" == phone[8] and phone[0] == "0":
        plain = phone[:3] + phone[4:8] + phone[9:]
        if plain.isascii() and plain.isdigit():  # what the pattern below reads, at once
            return plain
    if _PLAIN_NUMBER.fullmatch(phone):
        return phone.replace("-", "")
    return digits(phone)


def listed_key(item: KindRow) -> Key:
    """A listed record's sender, recipient, text and kind, as ``LoggedRecipient.key``."""
    row = item.row
    return (number_digits(row.send_phone), number_digits(row.receive_phone),
            row.msg.strip(), _KINDS.get(item.kind, item.kind))


@dataclass(frozen=True)
class Match:
    """A listed record and the logged copy it was given (None: no logged send has it)."""

    listed: KindRow
    recipient: LoggedRecipient | None = None
    due: datetime | None = None
    #: Another copy could have been this record too; it was given in order.
    ambiguous: bool = False


class RecipientIndex:
    """Logged recipients by what a listed record shares with them."""

    def __init__(self, recipients: Iterable[LoggedRecipient],
                 slack: timedelta = TIME_SLACK) -> None:
        self.slack = slack
        self._by_key: dict[Key, list[LoggedRecipient]] = {}
        for recipient in recipients:
            self._by_key.setdefault(recipient[2:6], []).append(recipient)  # its key

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def sharing(self, key: Key) -> list[LoggedRecipient] | None:
        """The logged recipients a record of ``key`` could be (None: no logged send has
        that sender, number, text and kind; another tool's record)."""
        return self._by_key.get(key)

    def candidates(self, item: KindRow) -> list[tuple[LoggedRecipient, datetime]]:
        """Every logged copy (a recipient and one due time) ``item`` could be, nearest in
        time first (then the older send)."""
        return self._near(self._by_key.get(listed_key(item), ()), item.row.sent_at)

    def _near(self, sharing: Sequence[LoggedRecipient], when: datetime | None,
              ) -> list[tuple[LoggedRecipient, datetime]]:
        if when is None or not sharing:
            return []
        slack = self.slack
        if len(sharing) == 1 and len(sharing[0].due) == 1:  # nearly every record
            only = sharing[0]
            return [(only, only.due[0])] if abs(when - only.due[0]) <= slack else []
        found = [(abs(when - due), recipient.send_id, recipient.position, recipient, due)
                 for recipient in sharing for due in recipient.due
                 if abs(when - due) <= slack]
        found.sort(key=lambda c: c[:3])
        return [(recipient, due) for *_, recipient, due in found]

    def matches(self, item: KindRow) -> bool:
        """True when some logged copy could be ``item``."""
        return bool(self.candidates(item))

    def assign(self, items: Iterable[KindRow]) -> list[Match]:
        """Give each record one logged copy (``assign_listed``), as ``Match``es in the
        records' order."""
        listed = list(items)
        given = self.assign_listed([Listed.of(item) for item in listed])
        return [Match(item, recipient, due, ambiguous)
                for item, (recipient, due, ambiguous) in zip(listed, given, strict=True)]

    def assign_listed(self, listed: Sequence[Listed],
                      ) -> list[tuple[LoggedRecipient | None, datetime | None, bool]]:
        """Give each record one logged copy, no copy twice: records oldest first, each the
        nearest copy not yet given. A record that more than one copy could be is marked
        ambiguous (also when the others were given already, or all were and it got none).
        The answers (copy, its due time, ambiguous) come back in the records' order."""
        given: list[tuple[LoggedRecipient | None, datetime | None, bool]] = \
            [(None, None, False)] * len(listed)
        assigner: Assigner[int] = Assigner(self)
        for i, record in enumerate(listed):
            assigner.add(record.key, record.when, record.order, i)
        for i, recipient, due, ambiguous in assigner.assign():
            given[i] = (recipient, due, ambiguous)
        return given


T = TypeVar("T")


class Assigner(Generic[T]):
    """``RecipientIndex.assign_listed`` for records read page after page: each record is
    added as it is read, with what the caller keeps of it (``payload``), and only what
    the assignment needs is held (a record no logged recipient shares a key with is
    another tool's, told at once, and holds nothing). ``assign`` then gives the copies.

    Records compete for a copy only with records of the same key, so the copies are given
    key by key: oldest first within each, the same answers as one pass over them all.
    """

    def __init__(self, index: RecipientIndex) -> None:
        self._index = index
        self._by_key = index._by_key  # noqa: SLF001 - the index's own table
        self._groups: dict[int, tuple[list[LoggedRecipient],
                                      list[tuple[str, datetime | None, T]]]] = {}

    def add(self, key: Key, when: datetime | None, order: str, payload: T) -> bool:
        """Hold a record for ``assign``; False (nothing held) when no logged recipient
        shares its key: it is no logged send's."""
        sharing = self._by_key.get(key)
        if sharing is None:
            return False
        group = self._groups.get(id(sharing))
        if group is None:
            self._groups[id(sharing)] = (sharing, [(order, when, payload)])
        else:
            group[1].append((order, when, payload))
        return True

    def assign(self) -> Iterator[tuple[T, LoggedRecipient | None, datetime | None, bool]]:
        """Each held record's payload with the copy it was given (None: every copy it could
        be went to an older record, or none is near its time), that copy's due time and
        whether another copy could have been it; key by key, records oldest first (in the
        order they were added when they are listed at the same minute)."""
        near, slack = self._index._near, self._index.slack  # noqa: SLF001 - its own helper
        for sharing, records in self._groups.values():
            if len(records) == 1 and len(sharing) == 1 and len(sharing[0].due) == 1:
                _order, when, payload = records[0]  # nearly every record: one copy, one try
                only = sharing[0]
                due = only.due[0]
                if when is not None and abs(when - due) <= slack:
                    yield payload, only, due, False
                else:
                    yield payload, None, None, False
                continue
            records.sort(key=itemgetter(0))  # stable: the same minute in the order added
            taken: set[tuple[int, int, datetime]] = set()
            for _order, when, payload in records:
                candidates = near(sharing, when)
                ambiguous = len(candidates) > 1
                for recipient, due in candidates:
                    copy = (recipient.send_id, recipient.position, due)
                    if copy not in taken:
                        taken.add(copy)
                        yield payload, recipient, due, ambiguous
                        break
                else:
                    yield payload, None, None, ambiguous


@dataclass(frozen=True, slots=True)
class Listed:
    """What matching needs of a listed record, small enough to hold 100,000 of: its key,
    its minute and the order it sorts in (``sendDateTime`` as listed)."""

    key: Key
    when: datetime | None
    order: str

    @classmethod
    def of(cls, item: KindRow) -> Listed:
        """The record ``item`` as matching sees it."""
        return cls(listed_key(item), item.row.sent_at, item.row.sent_at_raw)


def _due_times(row: Any) -> tuple[datetime, ...]:
    """Every time the gateway lists a logged send under (aware, UTC)."""
    first = (row.reserve_at or row.created_at).replace(tzinfo=UTC)
    step = timedelta(minutes=row.repeat_minutes or 0)
    return tuple(first + step * i for i in range(row.repeat_num or 1))


def logged_recipients(since: datetime, *where: ColumnElement[bool]) -> list[LoggedRecipient]:
    """The recipients of the logged sends ``where`` picks that may be listed after
    ``since`` (naive UTC, as the log stores times): not tests, texts not purged."""
    s = _sends.c
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(s.id, s.sender, s.kind, s.text, RECIPIENTS_JSON, s.created_at, s.reserve_at,
                   s.repeat_num, s.repeat_minutes)
            .where(*where, s.test.is_(False), s.text.is_not(None),
                   or_(s.created_at >= since - REPEAT_SPAN,
                       s.reserve_at >= since - REPEAT_SPAN))).all()
    return [recipient for row in rows for recipient in recipients_of(row)]


def recipients_of(row: Any) -> Iterator[LoggedRecipient]:
    """The recipients of one logged send's row (its id, sender, kind, text, recipients JSON,
    created_at, reserve_at, repeat_num and repeat_minutes), as the gateway would list them."""
    due = _due_times(row)
    sender = number_digits(row.sender)
    plain = row.text.strip()
    template = normalize_text(row.text)  # cafe24.message.merge_name, its first half once
    simple = is_normalized(template)
    for position, (phone, name) in enumerate(json.loads(row.recipients or "[]")):
        if name is None:
            text = plain
        elif simple and is_normalized(name):  # what merge_name gives, with nothing to do
            text = template.replace(NAME_PLACEHOLDER, name).strip()
        else:
            text = normalize_text(template.replace(NAME_PLACEHOLDER, normalize_text(name))
                                  ).strip()
        yield LoggedRecipient(row.id, position, sender, number_digits(phone), text, row.kind,
                              due)
