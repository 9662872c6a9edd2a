"""What a caller asks of the gateway: typed requests that know their wire fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property

from . import message, phone, schedule
from .phone import Recipient
from .schedule import KST
from .text import Problem, normalize_text


@dataclass(frozen=True)
class PreparedRecipients:
    """Recipients judged and written out beforehand, as the gateway takes them: ``field``
    is the ``destination`` value (``010-1234-5678|이름,...``, names cleaned by
    ``phone.format_destination``) when ``named``, else the ``rphone`` value
    (``010-1234-5678,...``); ``count`` how many, ``longest_name`` the name with the most
    EUC-KR bytes (the longest ``{name}`` merge). A bulk job writes its batches so when it
    is made (its check judged every number and name), and a batch then costs no work per
    recipient: ``prepare`` builds one, ``SendRequest.unprepared`` turns it back."""

    field: str
    named: bool
    count: int
    longest_name: str = ""

    @classmethod
    def of(cls, recipients: Sequence[Recipient], named: bool) -> PreparedRecipients:
        """The recipients (canonical numbers, composed names) written out."""
        if not named:
            return cls(phone.format_rphone(recipients), False, len(recipients))
        longest = max(recipients, key=lambda r: message.euckr_length(r.name), default=None)
        return cls(phone.format_destination(recipients), True, len(recipients),
                   longest.name if longest is not None else "")

    def entries(self) -> list[str]:
        """The field's entries (``number|name`` when named)."""
        return self.field.split(",") if self.field else []

    def digits(self) -> list[str]:
        """The numbers' digits (``01012345678``), in order."""
        if not self.field:
            return []
        if self.named:
            return [e.partition("|")[0].replace("-", "") for e in self.entries()]
        return self.field.replace("-", "").split(",")

    def recipients(self) -> tuple[Recipient, ...]:
        """The recipients again (names as the field carries them)."""
        if not self.named:
            return tuple(Recipient(n) for n in self.entries())
        return tuple(Recipient(*e.split("|", 1)) for e in self.entries())


@dataclass(frozen=True)
class SendRequest:
    """One call of ``sms_sender.php``: a message, a sender and its recipients.

    Use ``recipients`` for plain numbers (``rphone``) or ``named`` for
    per-recipient names (``destination``, which fills ``{name}``); not both. Either may
    hold entries as typed, also ones that are not numbers (``RecipientList.entries``):
    ``problems()`` is the one judge of them all.
    """

    msg: str
    sender: str
    recipients: tuple[str, ...] = ()
    named: tuple[Recipient, ...] = ()
    subject: str = ""
    lms: bool = False
    reserve_at: datetime | None = None
    repeat_num: int | None = None
    repeat_minutes: int | None = None
    test: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    #: Recipients written out beforehand (a bulk job's batch) instead of ``recipients`` or
    #: ``named``: trusted as judged, only their count is checked again.
    prepared: PreparedRecipients | None = None

    def __post_init__(self) -> None:
        # Names are composed as the text is (text.normalize_text): judged, merged, logged
        # and sent as one, whichever way they came in (jamo pasted from macOS included).
        named = tuple(Recipient(r.phone, normalize_text(r.name)) for r in self.named)
        if named != self.named:
            object.__setattr__(self, "named", named)

    def unprepared(self) -> SendRequest:
        """The same request with its prepared recipients as ``named`` or ``recipients``
        (itself when it has none), for a step that takes some of them out."""
        if self.prepared is None:
            return self
        people = self.prepared.recipients()
        if self.prepared.named:
            return replace(self, prepared=None, named=people)
        return replace(self, prepared=None, recipients=tuple(r.phone for r in people))

    @cached_property
    def text(self) -> str:
        """The message as the meter counts it and as it is sent: composed, newlines as "\\n"."""
        return normalize_text(self.msg)

    @property
    def subject_text(self) -> str:
        """The LMS subject, normalised like the message."""
        return normalize_text(self.subject)

    @property
    def sender_number(self) -> str:
        """The sender as it is sent and stored: canonical (``010-1234-5678``), whatever
        spaces or dots were typed around it; as typed only when it is no number (a request
        that skipped the judgement)."""
        return phone.normalize_phone(self.sender) or self.sender

    @property
    def recipient_count(self) -> int:
        """How many recipients the gateway will charge for."""
        if self.prepared is not None:
            return self.prepared.count
        return len(self.named) if self.named else len(self.recipients)

    @cached_property
    def longest_length(self) -> int:
        """EUC-KR bytes of the longest message a recipient gets (the ``{name}`` merge with
        the longest name, counted without merging)."""
        named = self._longest_named()
        longest = message.longest_merge_length(self.text, named) if named else None
        return message.euckr_length(self.text) if longest is None else longest

    def _longest_named(self) -> tuple[Recipient, ...]:
        """The named recipients the merge's length depends on (of prepared ones, the one
        with the longest name)."""
        if self.prepared is not None:
            return (Recipient("", self.prepared.longest_name),) if self.prepared.named else ()
        return self.named

    @cached_property
    def kind(self) -> str:
        """``S`` or ``L``, taking the longest ``{name}`` merge into account."""
        return "S" if not self.lms and self.longest_length <= message.SMS_LIMIT else "L"

    @property
    def cost(self) -> int:
        """Credits the send uses (none for a test send); every repeat is charged again."""
        if self.test:
            return 0
        return message.credit_cost(self.kind, self.recipient_count) * (self.repeat_num or 1)

    def problems(self, now: datetime | None = None) -> list[Problem]:
        """Everything the gateway would refuse, each found once, before anything is sent."""
        return [*self._message_problems(), *self._sender_problems(),
                *self._recipient_problems(), *self._schedule_problems(now)]

    def _message_problems(self) -> list[Problem]:
        """The message and subject; with names, every name and the longest merge."""
        found = list(message.check_message(self.text, self.subject_text,
                                           lms=self.kind == "L").problems)
        named = self._longest_named()
        if named:
            # Every name travels in destination, whether or not the message uses {name}
            # (prepared names were judged when they were written out).
            if self.prepared is None:
                found.extend(message.check_names(self.named))
            found.extend(message.check_merged_length(self.text, named,
                                                     longest=self.longest_length))
        return found

    def _sender_problems(self) -> list[Problem]:
        """No sender at all, or one that is not a phone number."""
        if not self.sender.strip():
            return [Problem("sphone", "no_sender")]
        if phone.normalize_phone(self.sender) is None:
            return [Problem("sphone", "invalid_sender")]
        return []

    def _recipient_problems(self) -> list[Problem]:
        """Both recipient fields, or none, entries that are not numbers, too many."""
        found = []
        if self.prepared is not None:
            where = "destination" if self.prepared.named else "rphone"
            if self.recipients or self.named:
                found.append(Problem(where, "both_recipient_fields"))
            if not self.prepared.count:
                found.append(Problem(where, "no_recipients"))
            elif self.prepared.count > phone.MAX_RECIPIENTS:
                found.append(Problem(where, "too_many_recipients", {
                    "count": self.prepared.count, "limit": phone.MAX_RECIPIENTS}))
            return found
        if self.recipients and self.named:
            found.append(Problem("destination", "both_recipient_fields"))
        where = "destination" if self.named else "rphone"
        entries = [*self.recipients, *(r.phone for r in self.named)]
        found.extend(phone.check_recipients(entries, where))
        return found

    def _schedule_problems(self, now: datetime | None) -> list[Problem]:
        """A reservation too soon or too far ahead, repeats out of range."""
        found = []
        if self.reserve_at is not None:
            try:
                rdate, rtime = schedule.format_reservation(self.reserve_at)
            except OverflowError:  # a time at the calendar's edge has no Korean time
                found.append(Problem("rdate", "reservation_date_invalid"))
            else:
                found.extend(schedule.check_reservation(rdate, rtime, now))
        if self.repeat_num is not None or self.repeat_minutes is not None:
            found.extend(schedule.check_repeat("Y", self.repeat_num, self.repeat_minutes))
        return found

    def fields(self) -> dict[str, str]:
        """The plain (not yet encoded) gateway fields, credentials excepted."""
        number = phone.normalize_phone(self.sender)
        # An unreadable sender (only when validation was skipped) goes out as typed.
        parts = phone.split_sender(number) if number else tuple(self.sender.split("-"))
        sphone = (*parts, "", "")[:3]
        rdate = rtime = ""
        if self.reserve_at is not None:
            rdate, rtime = schedule.format_reservation(self.reserve_at)
        repeat = self.repeat_num is not None
        prepared = self.prepared
        if prepared is not None:
            rphone = "" if prepared.named else prepared.field
            destination = prepared.field if prepared.named else ""
        else:
            rphone = "" if self.named else phone.format_rphone(
                [Recipient(phone.normalize_phone(p) or p) for p in self.recipients])
            destination = phone.format_destination(self.named) if self.named else ""
        out = {
            "msg": self.text,
            "rphone": rphone,
            "destination": destination,
            "sphone1": sphone[0],
            "sphone2": sphone[1],
            "sphone3": sphone[2],
            "subject": self.subject_text if self.kind == "L" else "",
            "smsType": self.kind,
            "rdate": rdate,
            "rtime": rtime,
            "testflag": "Y" if self.test else "",
            "repeatFlag": "Y" if repeat else "",
            "repeatNum": str(self.repeat_num) if repeat else "",
            "repeatTime": str(self.repeat_minutes or "") if repeat else "",
        }
        out.update(self.extra)
        return out


#: sms_list.php's ranges (the manual's): days back, and rows per page (and its default).
LIST_DAY_MAX = 7
LIST_DISPLAY_DEFAULT, LIST_DISPLAY_MAX = 10, 50


@dataclass(frozen=True)
class ResultQuery:
    """Filters and paging of ``sms_list.php``."""

    date: date | None = None
    day: int = 1
    start: int = 0
    display: int = 10
    send_type: str = "all"
    status: str = ""
    receive_phone: str = ""
    send_phone: str = ""
    lms: bool = False

    SEND_TYPES = ("all", "general", "reserve")
    STATUSES = ("", "S", "F")

    def problems(self) -> list[str]:
        """Out-of-range filters, as English sentences for an exception message."""
        found = []
        if not 1 <= self.day <= LIST_DAY_MAX:
            found.append(f"day must be 1 to {LIST_DAY_MAX}")
        if not 1 <= self.display <= LIST_DISPLAY_MAX:
            found.append(f"display must be 1 to {LIST_DISPLAY_MAX}")
        if self.start < 0:
            found.append("start must not be negative")
        if self.send_type not in self.SEND_TYPES:
            found.append(f"send_type must be one of {self.SEND_TYPES}")
        if self.status not in self.STATUSES:
            found.append("status must be '', 'S' or 'F'")
        return found

    def fields(self) -> dict[str, str]:
        """The plain gateway fields, credentials excepted."""
        day = self.date or datetime.now(KST).date()
        return {
            "date": day.strftime("%Y%m%d"),
            "day": str(self.day),
            "startNo": str(self.start),
            "displayNo": str(self.display),
            "sendType": self.send_type,
            "sendStatus": self.status,
            "receivePhone": self.receive_phone,
            "sendPhone": self.send_phone,
            "smsType": "lms" if self.lms else "",
        }
