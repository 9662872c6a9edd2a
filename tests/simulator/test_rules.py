"""The gateway's rules at their limits, which are the library's constants."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cafe24.message import CREDIT_COST, LMS_LIMIT, SMS_LIMIT, SUBJECT_LIMIT
from cafe24.phone import MAX_RECIPIENTS
from cafe24.schedule import (
    KST,
    REPEAT_NUM_MAX,
    REPEAT_NUM_MIN,
    REPEAT_TIME_MAX,
    REPEAT_TIME_MIN,
    RESERVATION_HORIZON,
    RESERVATION_LEAD,
    format_reservation,
)
from simulator import rules
from simulator.exceptions import (
    MissingField,
    NoValidRecipient,
    RepeatInvalid,
    ReservationInvalid,
    TooLong,
    TooManyRecipients,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=KST)


@pytest.mark.parametrize(("kind", "limit"), [("S", SMS_LIMIT), ("L", LMS_LIMIT)])
def test_length_limit_is_the_librarys(kind, limit):
    rules.check_length(kind, ["a" * limit], "")
    with pytest.raises(TooLong):
        rules.check_length(kind, ["a", "a" * (limit + 1)], "")


def test_subject_limit_is_the_librarys_and_only_for_lms():
    rules.check_length("L", ["a"], "가" * (SUBJECT_LIMIT // 2))
    rules.check_length("S", ["a"], "가" * SUBJECT_LIMIT)
    with pytest.raises(TooLong):
        rules.check_length("L", ["a"], "a" * (SUBJECT_LIMIT + 1))


def test_recipient_limit_is_the_librarys():
    numbers = [f"010-1000-{i:04d}" for i in range(MAX_RECIPIENTS + 1)]
    assert len(rules.recipients(",".join(numbers[:MAX_RECIPIENTS]), "")) == MAX_RECIPIENTS
    with pytest.raises(TooManyRecipients):
        rules.recipients(",".join(numbers), "")
    with pytest.raises(NoValidRecipient):
        rules.recipients("", "bad|이름,123|x")


@pytest.mark.parametrize(("ahead", "accepted"), [
    (RESERVATION_LEAD - timedelta(seconds=1), False),
    (RESERVATION_LEAD, True),
    (RESERVATION_HORIZON, True),
    # The gateway's own horizon: a day past the library's, which the client enforces.
    (rules.GATEWAY_HORIZON, True),
    (rules.GATEWAY_HORIZON + timedelta(seconds=1), False),
])
def test_reservation_window(ahead, accepted):
    rdate, rtime = format_reservation(NOW + ahead)
    if accepted:
        assert rules.reservation(rdate, rtime, NOW) == (NOW + ahead, True)
    else:
        with pytest.raises(ReservationInvalid):
            rules.reservation(rdate, rtime, NOW)


def test_no_reservation_starts_now():
    assert rules.reservation("", "", NOW) == (NOW, False)


def repeat(num: int, minutes: int) -> dict[str, str]:
    return {"repeatFlag": "Y", "repeatNum": str(num), "repeatTime": str(minutes)}


@pytest.mark.parametrize(("fields", "expected"), [
    (repeat(REPEAT_NUM_MIN, REPEAT_TIME_MIN), (REPEAT_NUM_MIN, timedelta(minutes=15))),
    (repeat(REPEAT_NUM_MAX, REPEAT_TIME_MIN), (REPEAT_NUM_MAX, timedelta(minutes=15))),
    # The gateway sets no longest interval; REPEAT_TIME_MAX is the library's own cap.
    (repeat(2, REPEAT_TIME_MAX + 1), (2, timedelta(minutes=REPEAT_TIME_MAX + 1))),
    ({"repeatFlag": "N", "repeatNum": "x"}, (1, timedelta(0))),
])
def test_repeat_accepted(fields, expected):
    assert rules.repeat(fields, NOW) == expected


@pytest.mark.parametrize("fields", [
    repeat(REPEAT_NUM_MIN - 1, REPEAT_TIME_MIN), repeat(REPEAT_NUM_MAX + 1, REPEAT_TIME_MIN),
    repeat(REPEAT_NUM_MIN, REPEAT_TIME_MIN - 1), repeat(2, 10**12),
])
def test_repeat_refused(fields):
    with pytest.raises(RepeatInvalid):
        rules.repeat(fields, NOW)


def test_order_cost_is_the_librarys_per_recipient_per_repeat():
    order = rules.check_send(["010-1234-5678"], {
        "msg": "안내", "sphone1": "010", "sphone2": "1234", "sphone3": "5678", "smsType": "L",
        "rphone": "010-2222-3333,010-3333-4444", **repeat(3, 15)}, NOW)
    assert order.cost == CREDIT_COST["L"] * 2 * 3


@pytest.mark.parametrize(("fields", "paging"), [
    ({}, (0, rules.LIST_DISPLAY_DEFAULT)),
    ({"startNo": "-5", "displayNo": "0"}, (0, 1)),
    ({"startNo": "7", "displayNo": str(rules.LIST_DISPLAY_MAX + 1)},
     (7, rules.LIST_DISPLAY_MAX)),
])
def test_paging_is_clamped(fields, paging):
    assert rules.paging(fields) == paging


def test_paging_that_is_not_a_number_is_a_missing_field():
    with pytest.raises(MissingField):
        rules.paging({"displayNo": "ten"})
