"""services/result_matching.py: listed records matched to the send log's recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cafe24.answers import ResultRow
from cafe24.schedule import KST
from smsform.models import Send
from smsform.services.result_matching import (
    TIME_SLACK,
    LoggedRecipient,
    RecipientIndex,
    logged_recipients,
)
from smsform.services.results import KindRow
from tests.support import valid_send

SENT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def recipient(send_id: int = 1, position: int = 0, *, text: str = "배송 안내",
              kind: str = "S", phone: str = "01022223333",
              due: tuple[datetime, ...] = (SENT,)) -> LoggedRecipient:
    return LoggedRecipient(send_id, position, "01012345678", phone, text, kind, due)


def listed(when: datetime = SENT, *, kind: str = "sms", msg: str = "배송 안내",
           to: str = "010-2222-3333") -> KindRow:
    minute = when.astimezone(KST).strftime("%Y%m%d%H%M")
    return KindRow(kind, ResultRow("I", "010-1234-5678", to, msg, minute, "3", ""))


def test_a_record_matches_by_sender_number_text_kind_and_time():
    index = RecipientIndex([recipient()])
    assert index.matches(listed())
    assert index.matches(listed(SENT + TIME_SLACK))
    assert not index.matches(listed(SENT + TIME_SLACK + timedelta(minutes=1)))
    assert not index.matches(listed(kind="lms"))  # the same text listed as an LMS
    assert not index.matches(listed(msg="배송 안내 2"))
    assert not index.matches(listed(to="010-2222-3334"))
    assert not index.matches(KindRow("sms", ResultRow("I", "010-1234-5678", "010-2222-3333",
                                                      "배송 안내", "", "3", "")))


def test_a_repeats_later_copies_match_at_their_own_times():
    repeats = tuple(SENT + timedelta(minutes=30) * i for i in range(3))
    index = RecipientIndex([recipient(due=repeats)])
    assert [index.matches(listed(SENT + timedelta(minutes=m))) for m in (0, 30, 60, 15)] == [
        True, True, True, False]


def test_assign_gives_each_copy_once_in_order_and_marks_the_ambiguous():
    twice = [recipient(1), recipient(2, due=(SENT + timedelta(minutes=1),))]
    index = RecipientIndex(twice)
    records = [listed(SENT + timedelta(minutes=1)), listed(), listed()]
    later, first, second = index.assign(records)  # back in the records' order
    # Oldest first, each the nearest copy left: the 09:30 records take both copies, and
    # the 09:31 one, which either copy could have been, gets none; all three say so.
    assert [(m.recipient and m.recipient.send_id, m.ambiguous)
            for m in (first, second, later)] == [(1, True), (2, True), (None, True)]
    [alone] = RecipientIndex([recipient(1)]).assign([listed()])
    assert (alone.recipient.send_id, alone.due, alone.ambiguous) == (1, SENT, False)


def test_records_of_another_tool_match_nothing():
    index = RecipientIndex([recipient()])
    [match] = index.assign([listed(msg="다른 프로그램의 문자")])
    assert match.recipient is None


def test_logged_recipients_carry_each_recipients_merged_text_and_the_sends_kind(
        app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(
        rphone="", destination="010-2222-3333|홍길동,010-4444-5555|김철수",
        msg="{name}님 안녕하세요"))
    admin_client.post("/smssend", data=valid_send(testflag="Y"))  # a test: never listed
    with app.app_context():
        found = logged_recipients(datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1),
                                  Send.source == "form")
    assert [(r.position, r.phone, r.text, r.kind, r.sender) for r in found] == [
        (0, "01022223333", "홍길동님 안녕하세요", "S", "01012345678"),
        (1, "01044445555", "김철수님 안녕하세요", "S", "01012345678")]
    assert len({r.send_id for r in found}) == 1 and len(found[0].due) == 1


def test_the_simulators_listing_matches_the_logged_recipients(app, admin_client, backend,
                                                              clock):
    from smsform.services import results

    admin_client.post("/smssend", data=valid_send(
        rphone="", destination="010-2222-3333|홍길동,010-4444-5555|김철수",
        msg="{name}님 안녕하세요"))
    with app.app_context():
        index = RecipientIndex(logged_recipients(
            datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)))
        listing = results.read(results.build_query({}, results.WIRE), 50)
        matches = index.assign(listing.rows)
    assert len(matches) == 2
    assert sorted((m.recipient.position, m.ambiguous) for m in matches) == [(0, False),
                                                                            (1, False)]


@pytest.mark.parametrize("kind", ["S", "L"])
def test_the_kind_of_a_logged_send_is_its_lists(kind):
    index = RecipientIndex([recipient(kind=kind)])
    assert index.matches(listed(kind="sms" if kind == "S" else "lms"))


def test_records_fed_page_by_page_get_what_one_pass_gives_them():
    from smsform.services.result_matching import Assigner, Listed

    twice = [recipient(1), recipient(2, due=(SENT + timedelta(minutes=1),)),
             recipient(3, phone="01055556666")]
    index = RecipientIndex(twice)
    records = [listed(SENT + timedelta(minutes=1)), listed(to="010-5555-6666"), listed(),
               listed(msg="다른 프로그램의 문자"), listed()]
    one_pass = index.assign_listed([Listed.of(item) for item in records])
    assigner: Assigner[int] = Assigner(index)
    held = [assigner.add(r.key, r.when, r.order, i)
            for i, r in enumerate(Listed.of(item) for item in records)]
    assert held == [True, True, True, False, True]  # the other tool's record is not held
    given = {i: (recipient, due, ambiguous) for i, recipient, due, ambiguous in assigner.assign()}
    assert sorted(given) == [0, 1, 2, 4]
    assert [given.get(i, (None, None, False)) for i in range(len(records))] == one_pass
    assert [(r and r.send_id, a) for r, _, a in one_pass] == [
        (None, True), (3, False), (1, True), (None, False), (2, True)]


@pytest.mark.parametrize("number", ["010-2222-3333", "01022223333", "02-123-4567", "0212345678",
                                    "1588-1234", "+82 10-2222-3333", "821022223333",
                                    "010.2222.3333", "031-123-4567", "0101234567", "garbage", "",
                                    "011-2222-3333", "010-2222-333\u0663", "010-22a2-3333",
                                    "010-2222-3333 ", "110-2222-3333", "010-2222+3333"])
def test_number_digits_is_the_logs_digits(number):
    from smsform.services.result_matching import number_digits
    from smsform.services.sendlog import digits

    assert number_digits(number) == digits(number)


def test_a_logged_name_is_merged_as_the_send_merged_it():
    import json
    import unicodedata
    from types import SimpleNamespace

    from cafe24.message import merge_name
    from smsform.services.result_matching import recipients_of

    decomposed = unicodedata.normalize("NFD", "홍길동")  # jamo, as pasted from macOS
    names = [decomposed, "김철수", "A\r\nB", None]
    row = SimpleNamespace(id=1, sender="010-1234-5678", kind="S", text=" {name}님\r\n안녕 ",
                          recipients=json.dumps([["010-2222-333" + str(i), name]
                                                 for i, name in enumerate(names)]),
                          created_at=SENT.replace(tzinfo=None), reserve_at=None,
                          repeat_num=None, repeat_minutes=None)
    texts = [r.text for r in recipients_of(row)]
    assert texts == [merge_name(row.text, name).strip() for name in names[:3]] + [
        row.text.strip()]
    assert texts[0].startswith("홍길동님")  # composed
