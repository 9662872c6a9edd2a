"""The simulated gateway's rules, on decoded fields: typed results and refusals.

Each case also checks the answer ``simulator.wsgi`` writes for it, byte for byte.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from defusedxml import ElementTree as SafeET

from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, DEMO_USER_ID, wsgi
from simulator.backend import GatewayBackend, ListPage, SendAccepted
from simulator.exceptions import (
    AuthFailed,
    MissingField,
    NotEnoughCredit,
    NoValidRecipient,
    Refusal,
    RefusedCharacter,
    RepeatInvalid,
    ReservationInvalid,
    SenderNotRegistered,
    SpamBlocked,
    TooLong,
    TooManyRecipients,
)


def send_fields(**overrides: str) -> dict[str, str]:
    """Decoded fields of a valid one-recipient SMS from the demo account."""
    fields = {"user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY, "msg": "안녕하세요",
              "rphone": "010-2222-3333", "sphone1": "010", "sphone2": "1234",
              "sphone3": "5678", "smsType": "S"}
    fields.update(overrides)
    return fields


def list_fields(**overrides: str) -> dict[str, str]:
    fields = {"user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY, "date": "20240501",
              "day": "1", "displayNo": "50"}
    fields.update(overrides)
    return fields


def credits(backend: GatewayBackend) -> int:
    return backend.accounts[DEMO_USER_ID].credits


def send_answer(backend: GatewayBackend, fields: dict[str, str]) -> str:
    """What ``sms_sender.php`` answers for these decoded fields."""
    try:
        return wsgi.send_answer(backend.send(fields))
    except Refusal as refusal:
        return wsgi.send_refusal(refusal)


def remain_answer(backend: GatewayBackend, user_id: str, key: str) -> str:
    """What ``sms_remain.php`` answers for these credentials."""
    try:
        return wsgi.remain_answer(backend.remaining(user_id, key))
    except Refusal as refusal:
        return wsgi.remain_refusal(refusal)


def results_root(backend: GatewayBackend, fields: dict[str, str]):
    """``sms_list.php``'s XML answer for these fields, parsed."""
    try:
        body = wsgi.results_answer(backend.results(fields))
    except Refusal as refusal:
        body = wsgi.results_refusal(refusal)
    return SafeET.fromstring(body.encode())


def test_accepted_sms(demo_backend, clock):
    accepted = demo_backend.send(send_fields())
    assert accepted == SendAccepted(remaining=DEMO_CREDITS - 1, reserved=False, test=False)
    assert wsgi.send_answer(accepted) == f"success,{DEMO_CREDITS - 1}"
    (stored,) = demo_backend.messages
    assert (stored.kind, stored.send_type, stored.status) == ("S", "I", "1")
    assert (stored.send_phone, stored.receive_phone, stored.msg) == (
        "010-1234-5678", "010-2222-3333", "안녕하세요")
    assert stored.due_at == clock.now


@pytest.mark.parametrize(
    ("overrides", "refusal", "answer"),
    [
        ({"user_id": ""}, MissingField, "-101,"),
        ({"secure": ""}, MissingField, "-101,"),
        ({"secure": "wrong"}, AuthFailed, "-102,"),
        ({"user_id": "nobody"}, AuthFailed, "-102,"),
        ({"msg": ""}, MissingField, "-101,1000"),
        ({"sphone2": ""}, MissingField, "-101,1000"),
        ({"rphone": ""}, MissingField, "-101,1000"),
        ({"sphone1": "010", "sphone2": "9999", "sphone3": "8888"}, SenderNotRegistered,
         "-114,1000"),
        ({"msg": "됬어요"}, RefusedCharacter, "-202,1000"),
        ({"msg": "LiveNo1 이벤트"}, SpamBlocked, "0044,1000"),
        ({"msg": "안내", "subject": "바카라", "smsType": "L"}, SpamBlocked, "0044,1000"),
        ({"rphone": ",".join(f"010-1000-{i:04d}" for i in range(1000))}, TooManyRecipients,
         "-110,1000"),
        ({"rphone": "123,abc"}, NoValidRecipient, "3202,1000"),
        ({"msg": "a" * 91}, TooLong, "0004,1000"),
        ({"msg": "가" * 1001, "smsType": "L"}, TooLong, "0004,1000"),
        ({"msg": "안내", "subject": "가" * 26, "smsType": "L"}, TooLong, "0004,1000"),
        ({"rdate": "20240501", "rtime": "120900"}, ReservationInvalid, "-105,1000"),
        ({"rdate": "20240430", "rtime": "130000"}, ReservationInvalid, "-105,1000"),
        ({"rdate": "2024-13-01", "rtime": "130000"}, ReservationInvalid, "-105,1000"),
        ({"rdate": "20240501", "rtime": ""}, ReservationInvalid, "-105,1000"),
        ({"repeatFlag": "Y", "repeatNum": "11", "repeatTime": "15"}, RepeatInvalid,
         "0003,1000"),
        ({"repeatFlag": "Y", "repeatNum": "2", "repeatTime": "14"}, RepeatInvalid, "0003,1000"),
        ({"repeatFlag": "Y", "repeatNum": "x", "repeatTime": "15"}, RepeatInvalid, "0003,1000"),
        ({"repeatFlag": "Y", "repeatNum": "2", "repeatTime": "9999999999"}, RepeatInvalid,
         "0003,1000"),
        ({"repeatFlag": "Y", "repeatNum": "2", "repeatTime": "9" * 20}, RepeatInvalid,
         "0003,1000"),
        ({"rdate": "99991231", "rtime": "235900"}, ReservationInvalid, "-105,1000"),
        ({"rdate": "20250502", "rtime": "130000"}, ReservationInvalid, "-105,1000"),
    ],
    ids=["no-id", "no-key", "wrong-key", "no-account", "no-msg", "no-sphone2", "no-rphone",
         "sender-unregistered", "refused-char", "spam-msg", "spam-subject", "1000-recipients",
         "no-valid-number", "sms-91-bytes", "lms-2002-bytes", "subject-52-bytes",
         "reserve-9-minutes", "reserve-past", "reserve-bad-date", "reserve-no-time",
         "repeat-11", "repeat-14-minutes", "repeat-not-number", "repeat-overflow",
         "repeat-huge", "reserve-year-9999", "reserve-over-a-year"],
)
def test_send_refusals(demo_backend, overrides, refusal, answer):
    with pytest.raises(refusal) as refused:
        demo_backend.send(send_fields(**overrides))
    code, _, remaining = answer.partition(",")
    assert type(refused.value) is refusal
    assert (refused.value.code, refused.value.remaining) == (
        code, int(remaining) if remaining else None)
    assert wsgi.send_refusal(refused.value) == answer
    assert demo_backend.messages == []
    assert credits(demo_backend) == DEMO_CREDITS


@pytest.mark.parametrize(
    ("overrides", "answer", "stored"),
    [
        ({"rphone": ",".join(f"010-1000-{i:04d}" for i in range(999))}, "success,1", 999),
        ({"msg": "a" * 90}, "success,999", 1),
        ({"msg": "가" * 1000, "smsType": "L", "subject": "가" * 25}, "success,997", 1),
        ({"rdate": "20240501", "rtime": "121000"}, "reserved,999", 1),
        ({"rdate": "2024-05-01", "rtime": "12:10"}, "reserved,999", 1),
        ({"repeatFlag": "Y", "repeatNum": "10", "repeatTime": "15"}, "success,990", 10),
        ({"rphone": "010-2222-3333,bad,01033334444"}, "success,998", 2),
        ({"sphone1": "1588", "sphone2": "1234", "sphone3": ""}, "success,999", 1),
        ({"testflag": "Y", "rphone": "010-2222-3333,010-3333-4444"}, "Test Success!,1000", 0),
    ],
    ids=["999-recipients", "sms-90-bytes", "lms-2000-bytes", "reserve-10-minutes",
         "reserve-dashed", "repeat-10", "invalid-numbers-dropped", "two-part-sender", "test"],
)
def test_send_limits_accepted(demo_backend, overrides, answer, stored):
    demo_backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY,
                             ["010-1234-5678", "1588-1234"], DEMO_CREDITS)
    accepted = demo_backend.send(send_fields(**overrides))
    assert isinstance(accepted, SendAccepted)
    assert wsgi.send_answer(accepted) == answer
    assert len(demo_backend.messages) == stored


def test_not_enough_credit(demo_backend):
    demo_backend.add_account("tight", "k", ["010-1234-5678"], 2)
    with pytest.raises(NotEnoughCredit) as refused:
        demo_backend.send(send_fields(user_id="tight", secure="k", msg="x" * 91, smsType="L"))
    assert (refused.value.code, refused.value.remaining) == ("-201", 2)
    assert wsgi.send_refusal(refused.value) == "-201,2"
    assert send_answer(demo_backend, send_fields(user_id="tight", secure="k",
                                                 rphone="01022223333,01033334444")) == (
        "success,0")


def test_name_merge_through_destination_only(demo_backend):
    demo_backend.send(send_fields(rphone="", msg="{name}님 안녕",
                                  destination="010-2222-3333|홍길동,010-3333-4444|김철수"))
    demo_backend.send(send_fields(msg="{name}님 안녕"))
    assert [m.msg for m in demo_backend.messages] == ["홍길동님 안녕", "김철수님 안녕",
                                                      "{name}님 안녕"]


def test_merged_length_counts(demo_backend):
    long_name = "가" * 40
    answer = send_answer(demo_backend, send_fields(rphone="", msg="{name}님 " + "a" * 10,
                                                   destination=f"010-2222-3333|{long_name}"))
    assert answer == "0004,1000"


def test_lms_costs_three_and_repeats_multiply(demo_backend):
    demo_backend.send(send_fields(msg="x" * 91, smsType="L", rphone="01022223333,01033334444"))
    assert credits(demo_backend) == DEMO_CREDITS - 6
    demo_backend.send(send_fields(repeatFlag="Y", repeatNum="3", repeatTime="20"))
    assert credits(demo_backend) == DEMO_CREDITS - 9


def test_settling_over_time_refunds_failures(demo_backend, clock):
    demo_backend.send(send_fields(rphone="010-2222-3333,010-1111-0000,010-9999-9999"))
    assert credits(demo_backend) == DEMO_CREDITS - 3
    clock.advance(seconds=2)
    assert demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY) == DEMO_CREDITS - 3
    assert {m.status for m in demo_backend.messages} == {"1"}
    clock.advance(seconds=1)
    assert demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY) == DEMO_CREDITS - 1
    statuses = {m.receive_phone: (m.status, m.fail_code, m.refund_date)
                for m in demo_backend.messages}
    assert statuses == {
        "010-2222-3333": ("3", "", ""),
        "010-1111-0000": ("9", "3208", "2024-05-01 12:00:03"),
        "010-9999-9999": ("9", "3207", "2024-05-01 12:00:03"),
    }
    clock.advance(hours=1)
    assert credits(demo_backend) == DEMO_CREDITS - 1  # refunded once only
    demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY)
    assert credits(demo_backend) == DEMO_CREDITS - 1


def test_failing_suffixes_are_configurable(clock):
    backend = GatewayBackend(clock=clock, failing_suffixes={"1234": ("3211", "212")})
    backend.add_account("u", "k", ["010-1234-5678"], 10)
    backend.send(send_fields(user_id="u", secure="k",
                             rphone="010-5555-1234,010-1111-0000", smsType="L"))
    clock.advance(seconds=3)
    backend.remaining("u", "k")
    assert {m.receive_phone: (m.status, m.fail_code) for m in backend.messages} == {
        "010-5555-1234": ("9", "212"), "010-1111-0000": ("3", "")}


def test_reservation_waits_for_its_time(demo_backend, clock):
    demo_backend.send(send_fields(rdate="20240501", rtime="123000"))
    (stored,) = demo_backend.messages
    assert (stored.send_type, stored.status) == ("R", "2")
    clock.advance(minutes=30, seconds=2)
    demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY)
    assert stored.status == "2"
    clock.advance(seconds=1)
    demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY)
    assert stored.status == "3"


def test_repeats_after_the_first_are_reserved(demo_backend, clock):
    demo_backend.send(send_fields(repeatFlag="Y", repeatNum="3", repeatTime="15"))
    assert [(m.send_type, m.due_at - clock.now) for m in demo_backend.messages] == [
        ("I", timedelta(0)), ("R", timedelta(minutes=15)), ("R", timedelta(minutes=30))]


def test_senders(demo_backend):
    numbers = demo_backend.senders(DEMO_USER_ID, DEMO_SECURE_KEY)
    assert numbers == ["010-1234-5678", "02-123-4567", "1588-1234"]
    assert wsgi.senders_answer(numbers) == (
        '{"result": "Success", "list": ["010-1234-5678", "02-123-4567", "1588-1234"]}')


@pytest.mark.parametrize(("user_id", "passwd", "refusal", "answer"), [
    (DEMO_USER_ID, "wrong", AuthFailed, '{"result": "Fail", "message": "authentication failed"}'),
    ("nobody", DEMO_SECURE_KEY, AuthFailed,
     '{"result": "Fail", "message": "authentication failed"}'),
    ("", "", MissingField, '{"result": "Fail", "message": "missing userId or passwd"}'),
    (DEMO_USER_ID, "", MissingField, '{"result": "Fail", "message": "missing userId or passwd"}'),
])
def test_senders_refusals(demo_backend, user_id, passwd, refusal, answer):
    with pytest.raises(refusal) as refused:
        demo_backend.senders(user_id, passwd)
    assert wsgi.senders_refusal(refused.value) == answer


def test_added_senders_are_normalized(demo_backend):
    demo_backend.add_account("u", "k", ["01099998888", "031 123 4567"], 5)
    assert demo_backend.senders("u", "k") == ["010-9999-8888", "031-123-4567"]


def test_remaining_is_an_int(demo_backend):
    assert demo_backend.remaining(DEMO_USER_ID, DEMO_SECURE_KEY) == DEMO_CREDITS


@pytest.mark.parametrize(("user_id", "key", "answer"), [
    (DEMO_USER_ID, DEMO_SECURE_KEY, "1000"), ("", DEMO_SECURE_KEY, "-101"),
    (DEMO_USER_ID, "", "-101"), (DEMO_USER_ID, "wrong", "-102")])
def test_remaining(demo_backend, user_id, key, answer):
    assert remain_answer(demo_backend, user_id, key) == answer


def test_results_xml_layout(demo_backend):
    demo_backend.send(send_fields(msg="a < b & c", rphone="010-2222-3333,010-3333-4444"))
    root = results_root(demo_backend, list_fields())
    assert root.tag == "result"
    assert [child.tag for child in root][:2] == ["code", "totalCnt"]
    assert (root.findtext("code"), root.findtext("totalCnt")) == ("0000", "2")
    records = root.findall("record")
    assert len(records) == 2
    assert {c.tag for c in records[0]} >= {"sendType", "sendPhone", "receivePhone", "msg",
                                           "sendDateTime", "sendStatus", "refundDate"}
    assert records[0].findtext("msg") == "a < b & c"
    assert records[0].findtext("sendDateTime") == "202405011200"


@pytest.mark.parametrize(("overrides", "code"), [
    ({"user_id": ""}, "-101"), ({"secure": ""}, "-101"), ({"secure": "x"}, "-102"),
    ({"startNo": "abc"}, "-101")])
def test_results_refusals(demo_backend, overrides, code):
    with pytest.raises(Refusal) as refused:
        demo_backend.results(list_fields(**overrides))
    assert refused.value.code == code
    root = results_root(demo_backend, list_fields(**overrides))
    assert (root.findtext("code"), root.findtext("totalCnt"), root.findall("record")) == (
        code, "0", [])


def test_results_are_per_account_and_paged(demo_backend):
    demo_backend.add_account("other", "k", ["010-1234-5678"], 10)
    demo_backend.send(send_fields(user_id="other", secure="k"))
    demo_backend.send(send_fields(rphone=",".join(f"010-2000-{i:04d}" for i in range(60))))
    page = demo_backend.results(list_fields(displayNo="100"))
    assert isinstance(page, ListPage)
    assert (page.total, len(page.rows)) == (60, 50)  # displayNo is capped at 50
    root = results_root(demo_backend, list_fields(startNo="55"))
    assert root.findtext("totalCnt") == "60"
    assert len(root.findall("record")) == 5


def test_results_day_window(demo_backend, clock):
    demo_backend.send(send_fields(msg="old"))
    clock.advance(days=2)
    demo_backend.send(send_fields(msg="new"))
    # From ``date`` minus ``day`` days (at midnight) up to now, newest first.
    for day, expected in (("1", ["new"]), ("2", ["new", "old"]), ("7", ["new", "old"])):
        root = results_root(demo_backend, list_fields(date="20240503", day=day))
        assert [r.findtext("msg") for r in root.findall("record")] == expected


def test_reset_keeps_accounts(demo_backend):
    demo_backend.send(send_fields())
    demo_backend.inject("drop")
    demo_backend.reset()
    assert (demo_backend.messages, demo_backend.calls, demo_backend.faults) == ([], [], [])
    assert DEMO_USER_ID in demo_backend.accounts


def test_faults_are_taken_in_order(demo_backend):
    demo_backend.inject("drop", "http500")
    assert [demo_backend.next_fault() for _ in range(3)] == ["drop", "http500", None]


def test_unknown_fault_is_refused(demo_backend):
    with pytest.raises(ValueError, match="unknown fault"):
        demo_backend.inject("explode")
