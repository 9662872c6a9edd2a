"""Reservations (KST, at least 10 minutes ahead) and repeats (1-10 times, 15+ minutes)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .text import Problem

KST = timezone(timedelta(hours=9), "KST")
RESERVATION_LEAD = timedelta(minutes=10)
RESERVATION_HORIZON = timedelta(days=365)  # no reservations further ahead than this
REPEAT_NUM_MIN, REPEAT_NUM_MAX = 1, 10
REPEAT_TIME_MIN, REPEAT_TIME_MAX = 15, 1440  # minutes: 15 minutes to 24 hours

_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_TIME = re.compile(r"(\d{2}):?(\d{2})(?::?(\d{2}))?")


def _parse_date(rdate: str) -> tuple[int, int, int]:
    """Parse "YYYYMMDD" or "YYYY-MM-DD"; raise ValueError if malformed."""
    m = _DATE.fullmatch(rdate.strip())
    if not m:
        raise ValueError(f"malformed reservation date: {rdate!r}")
    year, month, day = (int(g) for g in m.groups())
    datetime(year, month, day)  # raises ValueError for 2025-02-30 and the like
    return year, month, day


def _parse_time(rtime: str) -> tuple[int, int, int]:
    """Parse "HHMMSS", "HHMM", "HH:MM" or "HH:MM:SS"; raise ValueError if malformed."""
    m = _TIME.fullmatch(rtime.strip())
    if not m:
        raise ValueError(f"malformed reservation time: {rtime!r}")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"reservation time out of range: {rtime!r}")
    return hour, minute, second


def parse_reservation(rdate: str, rtime: str) -> datetime | None:
    """Parse a reservation date and time into an aware KST datetime; None if both empty."""
    if not rdate.strip() and not rtime.strip():
        return None
    return datetime(*_parse_date(rdate), *_parse_time(rtime), tzinfo=KST)


def _as_kst(when: datetime) -> datetime:
    """Convert to KST; a naive datetime is taken to be KST already."""
    return when.replace(tzinfo=KST) if when.tzinfo is None else when.astimezone(KST)


def _reservation_format_problems(rdate: str, rtime: str) -> list[Problem]:
    """Flag a missing half, or a date or a time that cannot be read."""
    has_date, has_time = bool(rdate.strip()), bool(rtime.strip())
    if not has_date or not has_time:
        return [Problem("rtime" if has_date else "rdate", "reservation_incomplete")]
    problems = []
    try:
        _parse_date(rdate)
    except ValueError:
        problems.append(Problem("rdate", "reservation_date_invalid"))
    try:
        _parse_time(rtime)
    except ValueError:
        problems.append(Problem("rtime", "reservation_time_invalid"))
    return problems


def check_reservation(rdate: str, rtime: str, now: datetime | None = None) -> list[Problem]:
    """Check that a reservation is complete, valid, at least 10 minutes and at most
    365 days ahead."""
    if not rdate.strip() and not rtime.strip():
        return []
    problems = _reservation_format_problems(rdate, rtime)
    if problems:
        return problems
    when = parse_reservation(rdate, rtime)
    now = _as_kst(now) if now is not None else datetime.now(KST)
    if when is not None and when < now + RESERVATION_LEAD:
        lead = int(RESERVATION_LEAD.total_seconds() // 60)
        return [Problem("rtime", "reservation_too_soon", {"minutes": lead})]
    if when is not None and when > now + RESERVATION_HORIZON:
        return [Problem("rdate", "reservation_too_far", {"days": RESERVATION_HORIZON.days})]
    return []


def format_reservation(when: datetime) -> tuple[str, str]:
    """Render a datetime as the gateway's ("YYYYMMDD", "HHMMSS") in KST."""
    kst = _as_kst(when)
    return kst.strftime("%Y%m%d"), kst.strftime("%H%M%S")


def whole_number(value: str | int | None) -> int | None:
    """Read a whole number from a form value, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip().lstrip("0") or "0"
        # int() refuses over 4,300 digits; anything this long is out of range anyway.
        return int(digits) if len(digits) <= 18 else 10**18
    return None


def check_repeat(flag: str, num: str | int | None, minutes: str | int | None) -> list[Problem]:
    """Check repeat settings when repeatFlag is "Y": 1-10 repeats, 15 minutes to 24 hours apart."""
    if flag != "Y":
        return []
    problems = []
    count = whole_number(num)
    if count is None or not REPEAT_NUM_MIN <= count <= REPEAT_NUM_MAX:
        problems.append(Problem("repeatNum", "repeat_num",
                                {"min": REPEAT_NUM_MIN, "max": REPEAT_NUM_MAX}))
    interval = whole_number(minutes)
    if interval is None or not REPEAT_TIME_MIN <= interval <= REPEAT_TIME_MAX:
        problems.append(Problem("repeatTime", "repeat_time",
                                {"min": REPEAT_TIME_MIN, "max": REPEAT_TIME_MAX,
                                 "hours": REPEAT_TIME_MAX // 60}))
    return problems
