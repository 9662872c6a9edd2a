"""What a caller asks of the gateway: typed requests that know their wire fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from . import message
from .message import KST, Problem, Recipient


@dataclass(frozen=True)
class SendRequest:
    """One call of ``sms_sender.php``: a message, a sender and its recipients.

    Use ``recipients`` for plain numbers (``rphone``) or ``named`` for
    per-recipient names (``destination``, which fills ``{name}``); not both.
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

    @property
    def text(self) -> str:
        """The message as the meter counts it and as it is sent: NFC, newlines as "\\n"."""
        return message.normalize_text(self.msg)

    @property
    def subject_text(self) -> str:
        """The LMS subject, normalised like the message."""
        return message.normalize_text(self.subject)

    @property
    def recipient_count(self) -> int:
        """How many recipients the gateway will charge for."""
        return len(self.named) if self.named else len(self.recipients)

    @cached_property
    def kind(self) -> str:
        """``S`` or ``L``, taking the longest ``{name}`` merge into account."""
        longest = message.longest_merged(self.text, list(self.named)) if self.named else None
        text = longest.text if longest else self.text
        return message.message_kind(text, self.lms)

    @property
    def cost(self) -> int:
        """Credits the send uses (none for a test send); every repeat is charged again."""
        if self.test:
            return 0
        return message.credit_cost(self.kind, self.recipient_count) * (self.repeat_num or 1)

    def problems(self, now: datetime | None = None) -> list[Problem]:
        """Everything the gateway would refuse, found before anything is sent."""
        found: list[Problem] = []
        check = message.check_message(self.text, self.subject_text, lms=self.kind == "L")
        found.extend(check.problems)
        if self.named:
            # Every name travels in destination, whether or not the message uses {name}.
            found.extend(message.check_names(list(self.named)))
            found.extend(message.check_merged_length(self.text, list(self.named)))
        if message.normalize_phone(self.sender) is None:
            found.append(
                Problem("sphone", "invalid_sender", "보내는 번호가 올바르지 않습니다.",
                        "The sender number is not valid.")
            )
        if self.recipients and self.named:
            found.append(
                Problem("destination", "both_recipient_fields",
                        "받는 번호(rphone)와 이름 목록(destination) 중 하나만 쓰세요.",
                        "Use either rphone or destination, not both.")
            )
        count = self.recipient_count
        if count == 0:
            found.append(Problem("rphone", "no_recipients", "받는 번호를 입력하세요.",
                                 "Enter at least one recipient."))
        elif count > message.MAX_RECIPIENTS:
            found.append(
                Problem("rphone", "too_many_recipients",
                        f"한 번에 {message.MAX_RECIPIENTS:,}명까지 보낼 수 있습니다 ({count:,}명).",
                        f"At most {message.MAX_RECIPIENTS:,} recipients per send ({count:,}).")
            )
        for phone in (*self.recipients, *(r.phone for r in self.named)):
            if message.normalize_phone(phone) is None:
                found.append(Problem("rphone", "invalid_phone",
                                     f"받는 번호가 올바르지 않습니다: {phone}",
                                     f"Not a valid recipient number: {phone}"))
        if self.reserve_at is not None:
            rdate, rtime = message.format_reservation(self.reserve_at)
            found.extend(message.check_reservation(rdate, rtime, now))
        if self.repeat_num is not None or self.repeat_minutes is not None:
            found.extend(message.check_repeat("Y", self.repeat_num, self.repeat_minutes))
        return found

    def fields(self) -> dict[str, str]:
        """The plain (not yet encoded) gateway fields, credentials excepted."""
        number = message.normalize_phone(self.sender)
        # An unreadable sender (only when validation was skipped) goes out as typed.
        parts = message.split_sender(number) if number else tuple(self.sender.split("-"))
        sphone = (*parts, "", "")[:3]
        rdate = rtime = ""
        if self.reserve_at is not None:
            rdate, rtime = message.format_reservation(self.reserve_at)
        repeat = self.repeat_num is not None
        out = {
            "msg": self.text,
            "rphone": "" if self.named else message.format_rphone(
                [Recipient(message.normalize_phone(p) or p) for p in self.recipients]),
            "destination": message.format_destination(list(self.named)) if self.named else "",
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
        if not 1 <= self.day <= 7:
            found.append("day must be 1 to 7")
        if not 1 <= self.display <= 50:
            found.append("display must be 1 to 50")
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
