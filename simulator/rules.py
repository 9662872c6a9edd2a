"""The gateway's rules on decoded fields, each a small named check raising its refusal.

``sms_sender.php``'s checks run in the gateway's order (``check_send``); ``sms_list.php``'s
filters and paging are read once (``ListFilter``, ``paging``). Limits come from the
library (``cafe24``), so the simulator and the client cannot drift apart; the few
rules that are the gateway's own are named here. No state: ``backend`` holds that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cafe24.calls import LIST_DAY_MAX, LIST_DISPLAY_DEFAULT, LIST_DISPLAY_MAX
from cafe24.message import (
    CREDIT_COST,
    LMS_LIMIT,
    REFUSED_CHARS,
    SMS_LIMIT,
    SUBJECT_LIMIT,
    merge_name,
)
from cafe24.phone import MAX_RECIPIENTS, normalize_phone
from cafe24.schedule import (
    KST,
    REPEAT_NUM_MAX,
    REPEAT_NUM_MIN,
    REPEAT_TIME_MIN,
    RESERVATION_HORIZON,
    RESERVATION_LEAD,
    parse_reservation,
)
from cafe24.text import euckr_length, normalize_newlines

from .exceptions import (
    MissingField,
    NoValidRecipient,
    RefusedCharacter,
    RepeatInvalid,
    ReservationInvalid,
    SenderNotRegistered,
    SpamBlocked,
    TooLong,
    TooManyRecipients,
)

if TYPE_CHECKING:
    from .backend import StoredMessage

SPAM_WORDS = ("배팅", "바카라", "도박", "섹스", "liveno1", "카지노")
# The gateway's own horizon is undocumented: a day past the library's, so the simulator
# never refuses a reservation the client lets through, and still no one books years ahead.
GATEWAY_HORIZON = RESERVATION_HORIZON + timedelta(days=1)


# -- sms_sender.php ----------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """A send that passed every rule: what to store, when and how often."""

    sender: str
    kind: str
    subject: str
    targets: list[tuple[str, str]]
    texts: list[str]
    start: datetime
    reserved: bool
    times: int
    step: timedelta

    @property
    def cost(self) -> int:
        """Credits for every recipient of every repeat."""
        return CREDIT_COST[self.kind] * len(self.targets) * self.times


def check_send(senders: list[str], f: dict[str, str], now: datetime) -> Order:
    """Every rule of a send, in the gateway's order: the checked order, or a Refusal."""
    msg, subject = normalize_newlines(f.get("msg", "")), f.get("subject", "")
    rphone, destination = f.get("rphone", "").strip(), f.get("destination", "").strip()
    require_fields(msg, f, bool(rphone or destination))
    sender = registered_sender(senders, f)
    check_refused_chars(msg)
    check_spam(msg, subject)
    to = recipients(rphone, destination)
    kind = "L" if f.get("smsType", "").upper() == "L" else "S"
    # {name} is filled only through destination; with rphone it stays as typed.
    texts = [merge_name(msg, name) for _, name in to] if destination else [msg for _ in to]
    check_length(kind, texts, subject)
    start, reserved = reservation(f.get("rdate", ""), f.get("rtime", ""), now)
    times, step = repeat(f, start)
    return Order(sender, kind, subject if kind == "L" else "", to, texts, start, reserved,
                 times, step)


# -- the checks of a send, each raising its refusal ----------------------------------


def require_fields(msg: str, f: dict[str, str], has_recipients: bool) -> None:
    """A message, the first two parts of the sender and some recipients: else -101."""
    if not msg or not f.get("sphone1") or not f.get("sphone2") or not has_recipients:
        raise MissingField


def registered_sender(senders: list[str], f: dict[str, str]) -> str:
    """The sender number from sphone1..3, if it is one of the approved ``senders``: else -114."""
    parts = (f.get("sphone1"), f.get("sphone2"), f.get("sphone3"))
    sender = normalize_phone("-".join(p for p in parts if p))
    if sender is None or sender not in senders:
        raise SenderNotRegistered
    return sender


def check_refused_chars(msg: str) -> None:
    """A character the gateway refuses ('됬'): -202."""
    if any(ch in msg for ch in REFUSED_CHARS):
        raise RefusedCharacter


def check_spam(msg: str, subject: str) -> None:
    """A blocked word in the message or the subject (read as one text): 0044."""
    lowered = msg.lower() + subject.lower()
    if any(word in lowered for word in SPAM_WORDS):
        raise SpamBlocked


def recipients(rphone: str, destination: str) -> list[tuple[str, str]]:
    """Recipients as (number, name), invalid numbers dropped: -110 for too many, 3202 for none."""
    found = parse_targets(rphone, destination)
    if len(found) > MAX_RECIPIENTS:
        raise TooManyRecipients
    if not found:
        raise NoValidRecipient
    return found


def parse_targets(rphone: str, destination: str) -> list[tuple[str, str]]:
    """Recipients as (number, name); invalid numbers are dropped, as the manual says."""
    if destination:
        entries = [entry.partition("|") for entry in destination.split(",")]
        pairs = [(number, name.strip()) for number, _, name in entries]
    else:
        pairs = [(entry, "") for entry in rphone.split(",")]
    targets = []
    for number, name in pairs:
        phone = normalize_phone(number)
        if phone:
            targets.append((phone, name))
    return targets


def check_length(kind: str, texts: list[str], subject: str) -> None:
    """A merged text over its kind's limit (no LMS upgrade here), or an LMS subject over its
    limit: 0004."""
    limit = LMS_LIMIT if kind == "L" else SMS_LIMIT
    if max(euckr_length(t) for t in texts) > limit:
        raise TooLong
    if kind == "L" and euckr_length(subject) > SUBJECT_LIMIT:
        raise TooLong


def reservation(rdate: str, rtime: str, now: datetime) -> tuple[datetime, bool]:
    """(first send time, reserved): now when no reservation; -105 when malformed, too soon
    or too far."""
    if not rdate and not rtime:
        return now, False
    try:
        when = parse_reservation(rdate, rtime)
    except ValueError:
        raise ReservationInvalid from None
    if when is None or not now + RESERVATION_LEAD <= when <= now + GATEWAY_HORIZON:
        raise ReservationInvalid
    return when, True


def repeat(f: dict[str, str], start: datetime) -> tuple[int, timedelta]:
    """(times, interval): once when repeatFlag is not Y; 0003 for a count or interval that is
    not a number, out of range, or whose last send is past any date."""
    if f.get("repeatFlag", "").upper() != "Y":
        return 1, timedelta(0)
    try:
        times, minutes = int(f.get("repeatNum", "")), int(f.get("repeatTime", ""))
    except ValueError:
        raise RepeatInvalid from None
    # The gateway sets no longest interval; the library's REPEAT_TIME_MAX is our own cap.
    if not REPEAT_NUM_MIN <= times <= REPEAT_NUM_MAX or minutes < REPEAT_TIME_MIN:
        raise RepeatInvalid
    try:
        step = timedelta(minutes=minutes)
        start + step * times  # noqa: B018 - the last send must be a real date
    except OverflowError:
        raise RepeatInvalid from None
    return times, step


# -- sms_list.php ------------------------------------------------------------------

_LIST_SEND_TYPES = {"general": "I", "reserve": "R"}  # sendType -> the stored send type
_LIST_STATUSES = {"S": "3", "F": "9"}  # sendStatus -> the stored status


@dataclass(frozen=True)
class ListFilter:
    """The filters of one results query, read once."""

    user_id: str
    since: datetime
    lms: bool
    send_type: str | None  # "I", "R", or None for both
    status: str | None  # "3", "9", or None for every status
    receive_phone: str | None  # None: any; "": a number given but invalid, matches nothing
    send_phone: str | None

    @classmethod
    def from_fields(cls, user_id: str, f: dict[str, str], now: datetime) -> ListFilter | None:
        """The query's filters; None when its date or day is malformed (nothing matches)."""
        try:
            base = datetime.strptime(f.get("date") or now.strftime("%Y%m%d"), "%Y%m%d")
            day = min(LIST_DAY_MAX, max(1, int(f.get("day") or 1)))
        except ValueError:
            return None
        return cls(
            user_id=user_id,
            since=base.replace(tzinfo=KST) - timedelta(days=day),
            lms=(f.get("smsType") or "").lower() == "lms",
            send_type=_LIST_SEND_TYPES.get((f.get("sendType") or "all").lower()),
            status=_LIST_STATUSES.get((f.get("sendStatus") or "").upper()),
            receive_phone=wanted_phone(f.get("receivePhone", "")),
            send_phone=wanted_phone(f.get("sendPhone", "")),
        )

    def matches(self, m: StoredMessage) -> bool:
        """True when the message belongs in the answer."""
        return (m.user_id == self.user_id and m.due_at >= self.since
                and (m.kind == "L") == self.lms
                and self.send_type in (None, m.send_type)
                and self.status in (None, m.status)
                and self.receive_phone in (None, m.receive_phone)
                and self.send_phone in (None, m.send_phone))


def wanted_phone(raw: str) -> str | None:
    """A phone filter: None when absent, "" (no stored number) when it is not a number."""
    return (normalize_phone(raw) or "") if raw else None


def paging(f: dict[str, str]) -> tuple[int, int]:
    """(start, display) from startNo and displayNo, clamped: -101 when not numbers."""
    try:
        start = max(0, int(f.get("startNo") or 0))
        display = int(f.get("displayNo") or LIST_DISPLAY_DEFAULT)
    except ValueError:
        raise MissingField from None
    return start, min(LIST_DISPLAY_MAX, max(1, display))
