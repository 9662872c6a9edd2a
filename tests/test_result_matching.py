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
