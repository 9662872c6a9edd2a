"""Reading the sample's send form (``smsform.html`` field names) into a SendRequest.

The form and the JSON callers of ``/smssend`` post these names; this module only reads
them. Judging the request is ``SendRequest.problems`` (through ``sending.submit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cafe24 import message, phone, schedule
from cafe24.calls import SendRequest
from cafe24.phone import RecipientList
from cafe24.text import Problem, normalize_newlines

#: The values of a ticked switch (a checkbox's ``Y``, a script's ``1`` or ``true``).
SWITCH_ON = frozenset({"Y", "1", "ON", "TRUE"})


@dataclass
class Draft:
    """What a send form asked for: the request, the recipients as typed (for the page),
    and the problems found while reading the fields (the request's own are judged by
    ``sending.submit``)."""

    request: SendRequest
    recipients: RecipientList
    problems: list[Problem] = field(default_factory=list)
    #: Numbers from the numbers box (rphone) sent with the names list, without a name.
    added_numbers: int = 0
    #: The advertising switch (광고성 메시지): the send service writes the label and the
    #: opt-out line (services.compliance). The relay's sites have no switch.
    advertising: bool = False


def _sender(data: Mapping[str, str]) -> str:
    """The chosen sender: the select box when it holds a number (it is what a person
    sees, also without JavaScript), else the sample's sphone1..3."""
    chosen = data.get("sphone", "").strip()
    if phone.normalize_phone(chosen):
        return chosen
    parts = [data.get(f"sphone{i}", "").strip() for i in (1, 2, 3)]
    if parts[0]:
        return "-".join(p for p in parts if p)
    return chosen


def _reservation(data: Mapping[str, str], now: datetime | None,
                 problems: list[Problem]) -> datetime | None:
    rdate, rtime = data.get("rdate", "").strip(), data.get("rtime", "").strip()
    try:
        return schedule.parse_reservation(rdate, rtime)
    except ValueError:
        problems.extend(schedule.check_reservation(rdate, rtime, now))
        return None


def _repeat(data: Mapping[str, str], problems: list[Problem]) -> tuple[int | None, int | None]:
    if data.get("repeatFlag", "").strip().upper() != "Y":
        return None, None
    found = schedule.check_repeat("Y", data.get("repeatNum"), data.get("repeatTime"))
    problems.extend(found)
    if found:
        return None, None
    return (schedule.whole_number(data.get("repeatNum")),
            schedule.whole_number(data.get("repeatTime")))


def _recipients(data: Mapping[str, str],
                problems: list[Problem]) -> tuple[RecipientList, bool, int]:
    """The recipients as typed, whether they go by name (destination), and how many numbers
    of the numbers box joined the names list: with both boxes filled, everyone typed in
    either is sent to (the numbers without a name), never only the names list's."""
    destination = data.get("destination", "").strip()
    numbers = phone.parse_recipients(data.get("rphone", ""))
    if not destination:
        return numbers, False, 0
    if numbers.invalid:
        problems.append(phone.invalid_phone(numbers.invalid, "rphone"))
    recipients, added = phone.add_numbers(phone.parse_destination(destination), numbers)
    return recipients, True, added


def build_request(data: Mapping[str, str], now: datetime | None = None) -> Draft:
    """Read the sample's fields into a SendRequest, with the problems of reading them."""
    msg = normalize_newlines(data.get("msg", ""))
    problems: list[Problem] = []
    recipients, destination, added = _recipients(data, problems)
    problems.extend(message.check_placeholder(
        msg, recipients.recipients if destination else None))
    reserve_at = _reservation(data, now, problems)
    repeat_num, repeat_minutes = _repeat(data, problems)
    entries = recipients.entries
    request = SendRequest(
        msg=msg,
        sender=_sender(data),
        recipients=() if destination else tuple(r.phone for r in entries),
        named=tuple(entries) if destination else (),
        subject=data.get("subject", "").strip(),
        lms=data.get("smsType", "").strip().upper() == "L",
        reserve_at=reserve_at,
        repeat_num=repeat_num,
        repeat_minutes=repeat_minutes,
        test=data.get("testflag", "").strip().upper() == "Y",
    )
    return Draft(request, recipients, problems, added,
                 advertising=data.get("advertising", "").strip().upper() in SWITCH_ON)
