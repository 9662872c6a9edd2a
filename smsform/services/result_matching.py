"""Which logged recipient a record of the gateway's result list is.

``sms_list.php`` has no message ids: a listed record is known by its sender, its
recipient, its text, its kind (the list it came from) and its minute. A logged recipient
is that record when all five agree: the digits of the send's sender and of the
recipient's number, the text that recipient was sent (its ``{name}`` merged), the send's
kind, and one of its due times (the send's time or its reservation, and each repeat after
it) within ``TIME_SLACK`` of the record's minute (clocks differ a little).

The relay keeps a site's own records with ``RecipientIndex.matches``; the delivery sync
(issue 16) gives each record one recipient's copy with ``RecipientIndex.assign``, which
marks a record that more than one copy could be (the same text to the same number twice
within the slack) as ambiguous instead of guessing silently. A send whose texts were
purged from the log can no longer be matched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from cafe24.message import merge_name
from cafe24.schedule import REPEAT_NUM_MAX, REPEAT_TIME_MAX
from smsform.extensions import db
from smsform.models import Send
from smsform.services.results import KindRow
from smsform.services.sendlog import digits

#: How far a record's minute may be from a logged copy's due time.
TIME_SLACK = timedelta(minutes=5)
#: How long after a send's first due time its last repeat can be.
REPEAT_SPAN = timedelta(minutes=REPEAT_NUM_MAX * REPEAT_TIME_MAX)
_KINDS = {"sms": "S", "lms": "L"}
_sends = Send.__table__

Key = tuple[str, str, str, str]  # sender digits, recipient digits, text, kind (S or L)


@dataclass(frozen=True)
class LoggedRecipient:
    """One recipient of a logged send, as the gateway would list it."""

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


def listed_key(item: KindRow) -> Key:
    """A listed record's sender, recipient, text and kind, as ``LoggedRecipient.key``."""
    row = item.row
    return (digits(row.send_phone), digits(row.receive_phone), row.msg.strip(),
            _KINDS.get(item.kind, item.kind))


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
            self._by_key.setdefault(recipient.key, []).append(recipient)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def candidates(self, item: KindRow) -> list[tuple[LoggedRecipient, datetime]]:
        """Every logged copy (a recipient and one due time) ``item`` could be, nearest in
        time first (then the older send)."""
        when = item.row.sent_at
        if when is None:
            return []
        found = [(abs(when - due), recipient.send_id, recipient.position, recipient, due)
                 for recipient in self._by_key.get(listed_key(item), ())
                 for due in recipient.due if abs(when - due) <= self.slack]
        found.sort(key=lambda c: c[:3])
        return [(recipient, due) for *_, recipient, due in found]

    def matches(self, item: KindRow) -> bool:
        """True when some logged copy could be ``item``."""
        return bool(self.candidates(item))

    def assign(self, items: Iterable[KindRow]) -> list[Match]:
        """Give each record one logged copy, no copy twice: records oldest first, each the
        nearest copy not yet given. A record that more than one copy could be is marked
        ambiguous (also when the others were given already, or all were and it got none).
        The matches come back in the records' order."""
        listed = list(items)
        order = sorted(range(len(listed)), key=lambda i: (listed[i].row.sent_at_raw, i))
        taken: set[tuple[int, int, datetime]] = set()
        matches: dict[int, Match] = {}
        for i in order:
            candidates = self.candidates(listed[i])
            free = [(r, due) for r, due in candidates
                    if (r.send_id, r.position, due) not in taken]
            ambiguous = len(candidates) > 1
            if not free:
                matches[i] = Match(listed[i], ambiguous=ambiguous)
                continue
            recipient, due = free[0]
            taken.add((recipient.send_id, recipient.position, due))
            matches[i] = Match(listed[i], recipient, due, ambiguous)
        return [matches[i] for i in range(len(listed))]


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
            select(s.id, s.sender, s.kind, s.text, s.recipients, s.created_at, s.reserve_at,
                   s.repeat_num, s.repeat_minutes)
            .where(*where, s.test.is_(False), s.text.is_not(None),
                   or_(s.created_at >= since - REPEAT_SPAN,
                       s.reserve_at >= since - REPEAT_SPAN))).all()
    found = []
    for row in rows:
        due = _due_times(row)
        for position, (phone, name) in enumerate(json.loads(row.recipients or "[]")):
            text = merge_name(row.text, name) if name is not None else row.text
            found.append(LoggedRecipient(row.id, position, digits(row.sender), digits(phone),
                                         text.strip(), row.kind, due))
    return found
