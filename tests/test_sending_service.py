"""services.sending: the form read into a checked request, sent once, and its outcome."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from cafe24.answers import SendStatus
from cafe24.message import KST
from smsform.services import sending
from tests.fixtures import *  # noqa: F403 - fixtures
from tests.fixtures import build_app, send_calls, valid_send

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=KST)


@pytest.fixture
def app_context(app):
    """The app's context, so the service reaches the app's simulator."""
    with app.app_context():
        yield


def _codes(draft: sending.Draft) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in draft.problems]


def test_a_valid_form_becomes_a_request():
    draft = sending.build_request(valid_send(rphone="010-2222-3333, 01022223333, 010-3333-4444"),
                                  now=NOW)
    assert draft.ok
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
    assert sending.build_request(data, now=NOW).request.sender == sender


def test_reservation_is_read_in_kst():
    draft = sending.build_request(valid_send(rdate="2030-05-02", rtime="09:30"), now=NOW)
    assert draft.ok
    assert draft.request.reserve_at == datetime(2030, 5, 2, 9, 30, tzinfo=KST)
    assert draft.request.fields()["rdate"] == "20300502"
    assert draft.request.fields()["rtime"] == "093000"


def test_reservation_too_soon_is_judged_against_now():
    soon = sending.build_request(valid_send(rdate="2030-05-01", rtime="12:05"), now=NOW)
    assert _codes(soon) == [("rtime", "reservation_too_soon")]
    later = sending.build_request(valid_send(rdate="2030-05-01", rtime="12:10"), now=NOW)
    assert later.ok


def test_repeat_is_read_only_when_flagged():
    flagged = sending.build_request(valid_send(repeatFlag="Y", repeatNum="4", repeatTime="30"),
                                    now=NOW)
    assert (flagged.request.repeat_num, flagged.request.repeat_minutes) == (4, 30)
    assert flagged.request.cost == 4
    unflagged = sending.build_request(valid_send(repeatNum="4", repeatTime="30"), now=NOW)
    assert unflagged.request.repeat_num is None


def test_destination_problems_are_put_on_the_destination_field():
    draft = sending.build_request(valid_send(rphone="", destination="12345|홍길동"), now=NOW)
    assert _codes(draft) == [("destination", "invalid_phone")]
    nothing = sending.build_request(valid_send(rphone="", destination=""), now=NOW)
    assert _codes(nothing) == [("rphone", "no_recipients")]


def test_a_merge_over_the_lms_limit_is_too_long():
    named = sending.build_request(valid_send(rphone="", destination="010-2222-3333|남궁민수씨",
                                             msg="{name}" + "가" * 996), now=NOW)
    assert ("msg", "msg_too_long") in _codes(named)


def test_each_problem_is_reported_once():
    draft = sending.build_request(valid_send(msg="됬" * 3, rphone="123"), now=NOW)
    assert sorted(_codes(draft)) == [("msg", "refused_char"), ("rphone", "invalid_phone")]


def test_missing_sender_is_one_problem():
    draft = sending.build_request(valid_send(sphone="", sphone1="", sphone2="", sphone3=""),
                                  now=NOW)
    assert _codes(draft) == [("sphone", "no_sender")]


def test_send_goes_once_and_says_what_happened(app_context, backend, caplog):
    caplog.set_level(logging.INFO, logger="smsform.send")
    draft = sending.build_request(valid_send())
    result = sending.send(draft.request, user="kim")
    assert (result.result, result.code, result.remaining, result.http_status) == (
        "success", "success", 999, 200)
    assert len(send_calls(backend)) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any("user=kim" in m and "status=success" in m for m in messages)


@pytest.mark.parametrize(("overrides", "result", "status"), [
    ({"testflag": "Y"}, "test", 200),
    ({"rdate": "tomorrow", "rtime": "10:00"}, "reserved", 200),
])
def test_other_acceptances(app_context, overrides, result, status):
    if overrides.get("rdate") == "tomorrow":
        overrides = {**overrides, "rdate": (datetime.now(KST) + timedelta(days=1)).strftime(
            "%Y-%m-%d")}
    outcome = sending.send(sending.build_request(valid_send(**overrides)).request)
    assert (outcome.result, outcome.http_status, outcome.outcome_unknown) == (
        result, status, False)


def test_refusal_is_422(app_context, no_credit_account):
    result = sending.send(sending.build_request(valid_send()).request)
    assert (result.result, result.code, result.http_status) == ("error", "-201", 422)
    assert result.outcome.status is SendStatus.REFUSED


def test_lost_answer_is_502_unknown_and_logged_as_an_error(app_context, backend, caplog):
    backend.inject("drop")
    result = sending.send(sending.build_request(valid_send()).request)
    assert (result.result, result.code, result.http_status) == ("error", "unknown", 502)
    assert result.outcome_unknown
    assert "발송 여부를 알 수 없음" in result.text("ko")
    assert result.text("en").startswith("Unknown whether the message was sent")
    assert any(r.levelno == logging.ERROR for r in caplog.records if r.name == "smsform.send")
    assert len(send_calls(backend)) == 1


def test_unreachable_gateway_is_503_not_sent(closed_port):
    app = build_app(None, CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
                    CAFE24_SMS_USER_ID="shop", CAFE24_SMS_SECURE_KEY="k" * 16)
    with app.app_context():
        result = sending.send(sending.build_request(valid_send()).request)
    assert (result.result, result.code, result.http_status) == ("error", "not_sent", 503)
    assert not result.outcome_unknown
    assert "발송되지 않았습니다" in result.text("ko")
    assert "nothing was sent" in result.text("en")


def test_locally_invalid_request_is_not_sent(app_context, backend):
    draft = sending.build_request(valid_send(msg=""))
    result = sending.send(draft.request)
    assert (result.result, result.code) == ("error", "not_sent")
    assert send_calls(backend) == []
