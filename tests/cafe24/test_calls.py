"""Typed requests: the plain fields they put on the wire, their cost and their problems."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cafe24.calls import ResultQuery, SendRequest
from cafe24.phone import Recipient, parse_destination, parse_recipients
from cafe24.schedule import KST
from tests.support import TextWork

SENDER = "010-1234-5678"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=KST)


def test_sms_fields():
    request = SendRequest(msg="안녕하세요\r\n반갑습니다", sender="01012345678",
                          recipients=("01022223333", "010 3333 4444"))
    assert request.fields() == {
        "msg": "안녕하세요\n반갑습니다", "rphone": "010-2222-3333,010-3333-4444",
        "destination": "", "sphone1": "010", "sphone2": "1234", "sphone3": "5678",
        "subject": "", "smsType": "S", "rdate": "", "rtime": "", "testflag": "",
        "repeatFlag": "", "repeatNum": "", "repeatTime": "",
    }
    assert (request.kind, request.recipient_count, request.cost) == ("S", 2, 2)


def test_lms_fields_with_subject_and_two_part_sender():
    request = SendRequest(msg="x" * 91, sender="1588-1234", recipients=("01022223333",),
                          subject="공지")
    fields = request.fields()
    assert (fields["sphone1"], fields["sphone2"], fields["sphone3"]) == ("1588", "1234", "")
    assert (fields["smsType"], fields["subject"]) == ("L", "공지")
    assert request.cost == 3


def test_subject_is_dropped_for_sms():
    request = SendRequest(msg="short", sender=SENDER, recipients=("01022223333",), subject="t")
    assert request.fields()["subject"] == ""


def test_named_recipients_use_destination_and_longest_merge_decides_the_kind():
    named = (Recipient("010-2222-3333", "홍길동"), Recipient("010-4444-5555", "가" * 40))
    request = SendRequest(msg="{name}님 " + "a" * 10, sender=SENDER, named=named)
    fields = request.fields()
    assert fields["rphone"] == ""
    assert fields["destination"] == f"010-2222-3333|홍길동,010-4444-5555|{'가' * 40}"
    assert request.kind == "L"  # 80 + 3 + 10 bytes once merged
    assert request.cost == 6


def test_reservation_repeat_and_test_fields():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                          reserve_at=datetime(2024, 5, 2, 9, 30, tzinfo=KST), repeat_num=3,
                          repeat_minutes=15, test=True)
    fields = request.fields()
    assert (fields["rdate"], fields["rtime"]) == ("20240502", "093000")
    assert (fields["repeatFlag"], fields["repeatNum"], fields["repeatTime"]) == ("Y", "3", "15")
    assert fields["testflag"] == "Y"
    assert request.cost == 0


def test_repeats_multiply_the_cost():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333", "01033334444"),
                          repeat_num=3, repeat_minutes=15)
    assert request.cost == 2 * 3


def test_reservation_in_another_zone_is_sent_in_kst():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                          reserve_at=datetime(2024, 5, 1, 15, 30, tzinfo=UTC))
    assert (request.fields()["rdate"], request.fields()["rtime"]) == ("20240502", "003000")


def test_extra_fields_are_sent_as_given():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                          extra={"returnurl": "https://example.org/done", "smsType": "S"})
    assert request.fields()["returnurl"] == "https://example.org/done"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"msg": ""}, "msg_empty"),
        ({"sender": "12"}, "invalid_sender"),
        ({"sender": " "}, "no_sender"),
        ({"recipients": ()}, "no_recipients"),
        ({"recipients": ("010-1",)}, "invalid_phone"),
        ({"named": (Recipient("010-5555-6666", "김"),)}, "both_recipient_fields"),
        ({"recipients": tuple(f"010-1000-{i:04d}" for i in range(1000))},
         "too_many_recipients"),
        ({"reserve_at": NOW + timedelta(minutes=5)}, "reservation_too_soon"),
        ({"repeat_num": 11, "repeat_minutes": 15}, "repeat_num"),
        ({"repeat_num": 2, "repeat_minutes": 10}, "repeat_time"),
        ({"msg": "됬"}, "refused_char"),
        ({"msg": "가" * 1001}, "msg_too_long"),
    ],
)
def test_problems_found_before_sending(kwargs, code):
    base = {"msg": "hi", "sender": SENDER, "recipients": ("01022223333",)}
    request = SendRequest(**{**base, **kwargs})
    assert code in [p.code for p in request.problems(now=NOW)]


def test_a_good_request_has_no_problems():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                          reserve_at=NOW + timedelta(minutes=11))
    assert request.problems(now=NOW) == []


def test_result_query_fields():
    query = ResultQuery(date=date(2024, 5, 1), day=3, start=10, display=20, send_type="reserve",
                        status="F", receive_phone="010-2222-3333", send_phone=SENDER, lms=True)
    assert query.fields() == {
        "date": "20240501", "day": "3", "startNo": "10", "displayNo": "20",
        "sendType": "reserve", "sendStatus": "F", "receivePhone": "010-2222-3333",
        "sendPhone": SENDER, "smsType": "lms",
    }
    assert ResultQuery().fields()["smsType"] == ""


@pytest.mark.parametrize(
    "kwargs",
    [{"day": 0}, {"day": 8}, {"display": 0}, {"display": 51}, {"start": -1},
     {"send_type": "later"}, {"status": "X"}],
)
def test_result_query_out_of_range(kwargs):
    assert ResultQuery(**kwargs).problems()


# --- names, NFC and caps ----------------------------------------------------------------


def _named(msg: str, *names: str) -> SendRequest:
    named = tuple(Recipient(f"010-2000-{i:04d}", n) for i, n in enumerate(names))
    return SendRequest(msg=msg, sender=SENDER, named=named)


@pytest.mark.parametrize(
    "msg",
    [
        "{name}님 안녕하세요",  # the bad name is in a shorter merge than 남궁민수님께
        "안녕하세요",  # no {name}: every name is still sent in destination
    ],
)
def test_every_name_is_checked(msg):
    request = _named(msg, "남궁민수님께", "똠😀", "됬")
    problems = [(p.field, p.code) for p in request.problems(now=NOW)]
    assert problems == [("destination", "name_unsupported_chars"),
                        ("destination", "name_refused_char")]
    found = request.problems(now=NOW)
    assert [p.params for p in found] == [{"chars": "똠 😀", "count": 2}, {"chars": "됬"}]


def test_good_names_have_no_problems():
    assert _named("{name}님 안녕하세요", "홍길동", "Kim").problems(now=NOW) == []


def test_merged_message_too_long_is_still_found():
    request = _named("{name}" + "가" * 995, "남궁민수님께")
    assert [p.code for p in request.problems(now=NOW)] == ["msg_too_long"]


def test_nfd_message_and_subject_are_sent_composed():
    nfd = unicodedata.normalize("NFD", "안녕하세요\r\n" + "한" * 40)
    request = SendRequest(msg=nfd, sender=SENDER, recipients=("01022223333",),
                          subject=unicodedata.normalize("NFD", "공지"), lms=True)
    fields = request.fields()
    assert fields["msg"] == "안녕하세요\n" + "한" * 40
    assert fields["subject"] == "공지"
    assert request.problems(now=NOW) == []
    short = SendRequest(msg=unicodedata.normalize("NFD", "한" * 45), sender=SENDER,
                        recipients=("01022223333",))
    assert (short.kind, short.cost) == ("S", 1)  # 90 bytes, not 270


def test_nfd_refused_char_is_found_in_request():
    request = SendRequest(msg=unicodedata.normalize("NFD", "안 됬어요"), sender=SENDER,
                          recipients=("01022223333",))
    assert [p.code for p in request.problems(now=NOW)] == ["refused_char"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reserve_at": NOW + timedelta(days=366)}, "reservation_too_far"),
        ({"reserve_at": datetime(9999, 12, 31, 23, 0, tzinfo=KST)}, "reservation_too_far"),
        ({"repeat_num": 2, "repeat_minutes": 1441}, "repeat_time"),
        ({"repeat_num": 2, "repeat_minutes": 10**9}, "repeat_time"),
    ],
)
def test_caps(kwargs, code):
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",), **kwargs)
    assert [p.code for p in request.problems(now=NOW)] == [code]


def test_caps_allow_their_limits():
    request = SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                          reserve_at=NOW + timedelta(days=365), repeat_num=2,
                          repeat_minutes=1440)
    assert request.problems(now=NOW) == []


# --- each problem judged once, on the field it came from ---------------------------------


def _judged(**kwargs) -> list[tuple[str, str, dict]]:
    base = {"msg": "hi", "sender": SENDER}
    return [(p.field, p.code, p.params)
            for p in SendRequest(**{**base, **kwargs}).problems(now=NOW)]


def test_typed_recipients_are_judged_once():
    typed = parse_recipients("010-2222-3333, 12345, abc, 010 2222 3333, 12345")
    assert _judged(recipients=tuple(r.phone for r in typed.entries)) == [
        ("rphone", "invalid_phone", {"numbers": "12345, abc", "count": 2})]


def test_named_recipients_are_judged_on_destination():
    typed = parse_destination("12345|홍길동")
    assert _judged(named=typed.entries) == [
        ("destination", "invalid_phone", {"numbers": "12345|홍길동", "count": 1})]
    many = tuple(Recipient(f"010-1000-{i:04d}", "김") for i in range(1000))
    assert _judged(named=many) == [
        ("destination", "too_many_recipients", {"count": 1000, "limit": 999})]


def test_no_recipients_and_no_sender_each_once():
    assert _judged(sender="") == [("sphone", "no_sender", {}),
                                  ("rphone", "no_recipients", {})]


def test_both_recipient_fields():
    assert _judged(recipients=("01022223333",),
                   named=(Recipient("010-5555-6666", "김"),)) == [
        ("destination", "both_recipient_fields", {})]



@pytest.mark.parametrize("when", [datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9))),
                                  datetime(9999, 12, 31, 23, 59,
                                           tzinfo=timezone(timedelta(hours=-9)))])
def test_a_reservation_at_the_calendars_edge_is_a_problem_not_a_crash(when):
    request = SendRequest(msg="안내", sender="010-1234-5678", recipients=("010-2222-3333",),
                          reserve_at=when)
    assert [(p.field, p.code) for p in request.problems()] == [
        ("rdate", "reservation_date_invalid")]


# -- names: composed, capped, and never merged for nothing -----------------------------


def _many(count: int, name: str) -> tuple[Recipient, ...]:
    return tuple(Recipient(f"010-{2000 + i // 10000:04d}-{i % 10000:04d}", name)
                 for i in range(count))


@pytest.mark.parametrize(("count", "name"), [
    (1000, "n" * 10),  # one recipient over the limit
    (10, "n" * 5000),  # names over the name limit
    (999, "n" * 100),  # within both: the longest merge is over the LMS limit
])
def test_a_request_costs_work_in_proportion_to_its_size(monkeypatch, count, name):
    """{name} 333 times: merging each recipient's message (twice) was names x placeholders
    x name length of work before the refusal (13 s of CPU for one form post)."""
    work = TextWork(monkeypatch)
    msg = "{name}" * 333
    request = SendRequest(msg=msg, sender=SENDER, named=_many(count, name))
    found = {p.code for p in request.problems()}
    assert (request.kind, request.cost) == ("L", 3 * count)
    assert found & {"too_many_recipients", "name_too_long", "msg_too_long"}
    size = len(msg) + count * (len(name) + 13)
    assert work.chars <= 10 * size, f"{work.chars:,} characters of work for {size:,}"


@pytest.mark.parametrize("msg", ["안녕하세요", "{name}님 안녕하세요"])
def test_names_longer_than_the_limit_are_refused_with_or_without_placeholder(msg):
    from cafe24.message import NAME_LIMIT
    ok = SendRequest(msg=msg, sender=SENDER, named=_many(2, "가" * NAME_LIMIT))
    assert "name_too_long" not in {p.code for p in ok.problems()}
    long = SendRequest(msg=msg, sender=SENDER,
                       named=(*_many(1, "홍길동"), Recipient("010-3333-4444", "a" * 100_000)))
    (problem,) = [p for p in long.problems() if p.code == "name_too_long"]
    assert (problem.field, problem.params) == ("destination", {"count": 1, "limit": NAME_LIMIT})


def test_nfd_names_are_judged_and_sent_composed():
    """A name pasted as jamo (macOS) was checked composed but sent decomposed: 73 bytes
    counted, 193 sent (and in EUC-KR no encoding at all)."""
    name = unicodedata.normalize("NFD", "홍길동")
    request = SendRequest(msg="{name}님 안녕하세요", sender=SENDER,
                          named=(Recipient("010-2222-3333", name),))
    assert request.named == (Recipient("010-2222-3333", "홍길동"),)
    assert request.fields()["destination"] == "010-2222-3333|홍길동"
    assert request.problems() == []
    assert request.fields()["destination"].encode("euc-kr")
    # 34 syllables: over the limit only when counted decomposed.
    long = SendRequest(msg="안녕", sender=SENDER, named=(Recipient(
        "010-2222-3333", unicodedata.normalize("NFD", "한" * 100)),))
    assert long.problems() == []
