"""services.form_input: the sample's form fields read into a request, judged with it."""

from __future__ import annotations

from datetime import datetime

import pytest

from cafe24.schedule import KST
from smsform.services import form_input
from tests.support import valid_send

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=KST)


def _codes(draft: form_input.Draft) -> list[tuple[str, str]]:
    """Every problem of the form: those of reading it, then the request's (as submit judges)."""
    return [(p.field, p.code) for p in (*draft.problems, *draft.request.problems(NOW))]


def test_a_valid_form_becomes_a_request():
    draft = form_input.build_request(valid_send(rphone="010-2222-3333, 01022223333, 010-3333-4444"),
                                  now=NOW)
    assert _codes(draft) == []
    assert draft.request.recipients == ("010-2222-3333", "010-3333-4444")
    assert draft.recipients.duplicates == ["010-2222-3333"]
    assert (draft.request.sender, draft.request.kind, draft.request.cost) == (
        "010-1234-5678", "S", 2)


@pytest.mark.parametrize(("select", "parts", "sender"), [
    # The select box is what a person sees (also without JavaScript), so it wins...
    ("02-123-4567", ("010", "1234", "5678"), "02-123-4567"),
    ("02-123-4567", ("", "", ""), "02-123-4567"),
    # ...and the sample's sphone1..3 serve when there is no select (an existing site).
    ("", ("010", "1234", "5678"), "010-1234-5678"),
    ("", ("1588", "1234", ""), "1588-1234"),
])
def test_sender_from_the_select_or_sphone_parts(select, parts, sender):
    data = valid_send(sphone=select, sphone1=parts[0], sphone2=parts[1], sphone3=parts[2])
    assert form_input.build_request(data, now=NOW).request.sender == sender


def test_reservation_is_read_in_kst():
    draft = form_input.build_request(valid_send(rdate="2030-05-02", rtime="09:30"), now=NOW)
    assert _codes(draft) == []
    assert draft.request.reserve_at == datetime(2030, 5, 2, 9, 30, tzinfo=KST)
    assert draft.request.fields()["rdate"] == "20300502"
    assert draft.request.fields()["rtime"] == "093000"


def test_reservation_too_soon_is_judged_against_now():
    soon = form_input.build_request(valid_send(rdate="2030-05-01", rtime="12:05"), now=NOW)
    assert _codes(soon) == [("rtime", "reservation_too_soon")]
    later = form_input.build_request(valid_send(rdate="2030-05-01", rtime="12:10"), now=NOW)
    assert _codes(later) == []


def test_repeat_is_read_only_when_flagged():
    flagged = form_input.build_request(valid_send(repeatFlag="Y", repeatNum="4", repeatTime="30"),
                                    now=NOW)
    assert (flagged.request.repeat_num, flagged.request.repeat_minutes) == (4, 30)
    assert flagged.request.cost == 4
    unflagged = form_input.build_request(valid_send(repeatNum="4", repeatTime="30"), now=NOW)
    assert unflagged.request.repeat_num is None


def test_destination_problems_are_put_on_the_destination_field():
    draft = form_input.build_request(valid_send(rphone="", destination="12345|홍길동"), now=NOW)
    assert _codes(draft) == [("destination", "invalid_phone")]
    nothing = form_input.build_request(valid_send(rphone="", destination=""), now=NOW)
    assert _codes(nothing) == [("rphone", "no_recipients")]


def test_a_merge_over_the_lms_limit_is_too_long():
    named = form_input.build_request(valid_send(rphone="", destination="010-2222-3333|남궁민수씨",
                                             msg="{name}" + "가" * 996), now=NOW)
    assert ("msg", "msg_too_long") in _codes(named)


def test_each_problem_is_reported_once():
    draft = form_input.build_request(valid_send(msg="됬" * 3, rphone="123"), now=NOW)
    assert sorted(_codes(draft)) == [("msg", "refused_char"), ("rphone", "invalid_phone")]


def test_missing_sender_is_one_problem():
    draft = form_input.build_request(valid_send(sphone="", sphone1="", sphone2="", sphone3=""),
                                  now=NOW)
    assert _codes(draft) == [("sphone", "no_sender")]


