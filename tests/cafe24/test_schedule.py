"""Tests for cafe24.schedule: reservations (KST, 10 minutes to 365 days ahead) and repeats."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24.schedule import (
    KST,
    check_repeat,
    check_reservation,
    format_reservation,
    parse_reservation,
)
from cafe24.text import Problem


def codes(problems: list[Problem]) -> list[str]:
    """Return the problem codes, in order."""
    return [p.code for p in problems]


# --- reservation ---------------------------------------------------------------------

NOW = datetime(2025, 3, 14, 9, 0, 0, tzinfo=KST)


@pytest.mark.parametrize(
    ("rdate", "rtime", "expected"),
    [
        ("20250314", "091500", datetime(2025, 3, 14, 9, 15, tzinfo=KST)),
        ("2025-03-14", "09:15", datetime(2025, 3, 14, 9, 15, tzinfo=KST)),
        ("2025-03-14", "09:15:30", datetime(2025, 3, 14, 9, 15, 30, tzinfo=KST)),
        (" 20251231 ", " 235959 ", datetime(2025, 12, 31, 23, 59, 59, tzinfo=KST)),
        ("", "", None),
        ("  ", "", None),
    ],
)
def test_parse_reservation(rdate, rtime, expected):
    assert parse_reservation(rdate, rtime) == expected


def test_parse_reservation_is_kst():
    when = parse_reservation("20250314", "091500")
    assert when.utcoffset() == timedelta(hours=9)
    assert when.astimezone(UTC) == datetime(2025, 3, 14, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rdate", "rtime"),
    [
        ("20250314", ""),
        ("", "091500"),
        ("2025031", "091500"),
        ("20250230", "091500"),
        ("2025/03/14", "091500"),
        ("20250314", "241500"),
        ("20250314", "096000"),
        ("20250314", "9:15"),
        ("20250314", "0915001"),
        ("tomorrow", "noon"),
    ],
)
def test_parse_reservation_malformed(rdate, rtime):
    with pytest.raises(ValueError):
        parse_reservation(rdate, rtime)


@pytest.mark.parametrize(
    ("rdate", "rtime", "expected"),
    [
        ("", "", []),
        ("20250314", "091000", []),  # exactly 10 minutes ahead
        ("2025-03-15", "08:00", []),
        ("20250314", "090959", [("rtime", "reservation_too_soon")]),
        ("20250314", "080000", [("rtime", "reservation_too_soon")]),
        ("20250314", "", [("rtime", "reservation_incomplete")]),
        ("", "091500", [("rdate", "reservation_incomplete")]),
        ("20251301", "091500", [("rdate", "reservation_date_invalid")]),
        ("20250315", "25:00", [("rtime", "reservation_time_invalid")]),
        ("x", "y", [("rdate", "reservation_date_invalid"), ("rtime", "reservation_time_invalid")]),
    ],
)
def test_check_reservation(rdate, rtime, expected):
    problems = check_reservation(rdate, rtime, now=NOW)
    assert [(p.field, p.code) for p in problems] == expected


def test_check_reservation_params_and_other_timezones():
    problem = check_reservation("20250314", "090500", now=NOW)[0]
    assert (problem.code, problem.params) == ("reservation_too_soon", {"minutes": 10})
    # 00:00 UTC is 09:00 KST: 09:10 KST is fine, 09:09 KST is not
    utc_now = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)
    assert check_reservation("20250314", "091000", now=utc_now) == []
    assert check_reservation("20250314", "090900", now=utc_now) != []


def test_check_reservation_defaults_to_the_real_clock():
    past = datetime.now(KST) - timedelta(days=1)
    future = datetime.now(KST) + timedelta(days=1)
    assert codes(check_reservation(*format_reservation(past))) == ["reservation_too_soon"]
    assert check_reservation(*format_reservation(future)) == []


def test_format_reservation():
    assert format_reservation(datetime(2025, 3, 14, 9, 5, 7, tzinfo=KST)) == ("20250314", "090507")
    # converted to KST, across midnight
    assert format_reservation(datetime(2025, 3, 14, 15, 30, tzinfo=UTC)) == ("20250315", "003000")


# --- repeat -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "num", "minutes", "expected"),
    [
        ("", None, None, []),
        ("N", "99", "1", []),
        ("Y", 1, 15, []),
        ("Y", "10", "15", []),
        ("Y", " 3 ", "60", []),
        ("Y", 0, 15, ["repeat_num"]),
        ("Y", 11, 15, ["repeat_num"]),
        ("Y", "", 15, ["repeat_num"]),
        ("Y", None, 15, ["repeat_num"]),
        ("Y", "2.5", 15, ["repeat_num"]),
        ("Y", "-1", 15, ["repeat_num"]),
        ("Y", 2, 14, ["repeat_time"]),
        ("Y", 2, "14", ["repeat_time"]),
        ("Y", 2, "abc", ["repeat_time"]),
        ("Y", 2, None, ["repeat_time"]),
        ("Y", None, None, ["repeat_num", "repeat_time"]),
    ],
)
def test_check_repeat(flag, num, minutes, expected):
    assert codes(check_repeat(flag, num, minutes)) == expected


def test_check_repeat_fields():
    problems = check_repeat("Y", 0, 0)
    assert [p.field for p in problems] == ["repeatNum", "repeatTime"]
    assert [p.params for p in problems] == [{"min": 1, "max": 10},
                                            {"min": 15, "max": 1440, "hours": 24}]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_property_reservation_round_trip(naive):
    when = naive.replace(microsecond=0, tzinfo=KST)
    assert parse_reservation(*format_reservation(when)) == when


# --- caps: repeat interval and reservation horizon -----------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (1440, []),
        ("1440", []),
        (1441, ["repeat_time"]),
        (10**12, ["repeat_time"]),
        ("9" * 5000, ["repeat_time"]),  # int() would refuse this many digits
        ("0" * 5000 + "60", []),
    ],
)
def test_check_repeat_interval_is_capped_at_a_day(minutes, expected):
    assert codes(check_repeat("Y", 2, minutes)) == expected


def test_check_repeat_count_with_huge_numbers():
    assert codes(check_repeat("Y", "9" * 5000, 15)) == ["repeat_num"]


def test_check_repeat_interval_names_both_bounds():
    (problem,) = check_repeat("Y", 2, 1441)
    assert problem.params == {"min": 15, "max": 1440, "hours": 24}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (NOW + timedelta(days=365), []),
        (NOW + timedelta(days=365, seconds=1), [("rdate", "reservation_too_far")]),
        (datetime(9999, 12, 31, 23, 59, tzinfo=KST), [("rdate", "reservation_too_far")]),
    ],
)
def test_check_reservation_horizon(when, expected):
    problems = check_reservation(*format_reservation(when), now=NOW)
    assert [(p.field, p.code) for p in problems] == expected
    if problems:
        assert problems[0].params == {"days": 365}
