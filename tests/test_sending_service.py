"""services.sending.submit: one judgement, one claim, one gateway call, a typed result."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from cafe24.schedule import KST
from cafe24.text import Problem
from smsform import messages
from smsform.extensions import db
from smsform.models import Send, SendRecipient, User
from smsform.services import form_input, sending, sendlog, tokens
from smsform.services.sending import Actor, KeyKind, SendKey, SendOrder, Status
from tests.support import build_app, send_calls, sign_in, valid_send

KIM = Actor(user_id=1, name="kim", source="form", address="127.0.0.1")


@pytest.fixture
def app_context(app):
    """The app's context, so the service reaches the app's simulator; with user 1."""
    sign_in(app, "sender", username="kim")
    with app.app_context():
        yield


def _submit(key: SendKey | None = None, **overrides) -> sending.SendResult:
    draft = form_input.build_request(valid_send(**overrides))
    return sending.submit(SendOrder(draft.request, KIM, key,
                                    input_problems=tuple(draft.problems)))


def test_send_goes_once_and_says_what_happened(app_context, backend, caplog):
    caplog.set_level(logging.INFO, logger="smsform.send")
    result = _submit()
    assert (result.status, result.code, result.remaining) == (Status.SUCCESS, "success", 999)
    assert result.status.accepted
    assert len(send_calls(backend)) == 1
    logged = [r.getMessage() for r in caplog.records]
    assert any("intent user=kim source=form" in m for m in logged)
    assert any("outcome user=kim status=success" in m for m in logged)


@pytest.mark.parametrize(("overrides", "status"), [
    ({"testflag": "Y"}, Status.TEST),
    ({"rdate": "tomorrow", "rtime": "10:00"}, Status.RESERVED),
])
def test_other_acceptances(app_context, overrides, status):
    if overrides.get("rdate") == "tomorrow":
        overrides = {**overrides, "rdate": (datetime.now(KST) + timedelta(days=1)).strftime(
            "%Y-%m-%d")}
    result = _submit(**overrides)
    assert (result.status, result.status.accepted) == (status, True)


def test_refusal_carries_the_gateways_code(app_context, no_credit_account):
    result = _submit()
    assert (result.status, result.code, result.status.accepted) == (
        Status.REFUSED, "-201", False)


def test_lost_answer_is_unknown_and_logged_as_an_error(app_context, backend, caplog):
    backend.inject("drop")
    result = _submit()
    assert (result.status, result.code) == (Status.UNKNOWN, "unknown")
    with force_locale("en"):
        text = messages.send_result_text(result)
    assert text.startswith("Unknown whether the message was sent")
    assert any(r.levelno == logging.ERROR for r in caplog.records if r.name == "smsform.send")
    assert len(send_calls(backend)) == 1


def test_unreachable_gateway_is_not_sent(closed_port):
    app = build_app(None, CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
                    CAFE24_SMS_USER_ID="shop", CAFE24_SMS_SECURE_KEY="k" * 16)
    with app.app_context():
        result = _submit()
        with force_locale("en"):
            text = messages.send_result_text(result)
    assert (result.status, result.code) == (Status.NOT_SENT, "not_sent")
    assert "nothing was sent" in text


def test_an_invalid_request_is_judged_once_and_never_sent(app_context, backend):
    result = _submit(msg="", rphone="123", rdate="2030-13-45", rtime="10:00")
    codes = [p.code for p in result.problems]
    assert result.status is Status.INVALID
    assert sorted(codes) == sorted(set(codes))  # each rule reported once
    assert {"msg_empty", "invalid_phone", "reservation_date_invalid"} <= set(codes)
    assert send_calls(backend) == []


def test_a_key_sends_once_and_remembers_the_first_outcome(app_context, backend):
    token = tokens.issue(KIM.user_id)
    first = _submit(SendKey.form_token(token))
    again = _submit(SendKey.form_token(token))
    assert (first.status, again.status) == (Status.SUCCESS, Status.DUPLICATE)
    assert (again.previous.status, again.previous.remaining) == (Status.SUCCESS, 999)
    assert len(send_calls(backend)) == 1


def test_a_refused_send_gives_its_key_back(app_context, backend, no_credit_account):
    token = tokens.issue(KIM.user_id)
    assert _submit(SendKey.form_token(token)).status is Status.REFUSED
    backend.accounts["demo"].credits = 10
    assert _submit(SendKey.form_token(token)).status is Status.SUCCESS


@pytest.mark.parametrize("value", ["", "x" * 41, "tab\tkey"])
def test_an_unusable_header_key_is_refused_before_anything(app_context, backend, value):
    result = _submit(SendKey.header(value))
    assert result.status is Status.KEY_INVALID
    assert send_calls(backend) == []


@pytest.mark.parametrize(("key", "status"), [
    (SendKey("order-1", KeyKind.HEADER), Status.KEY_INVALID),
    (SendKey("a-form-token"), Status.TOKEN_INVALID),
])
def test_a_users_own_key_without_a_user_does_not_send(app_context, backend, key, status):
    """A header key or a form token belongs to a user: an actor without one (a relay site)
    cannot hold one, so nothing is logged or sent (not a key of user 'None')."""
    draft = form_input.build_request(valid_send())
    site = Actor(user_id=None, name="shop", source="relay", address="127.0.0.1")
    assert sending.submit(SendOrder(draft.request, site, key)).status is status
    assert send_calls(backend) == []
    assert db.session.scalar(select(func.count()).select_from(Send)) == 0


def test_a_token_that_was_never_issued_does_not_send(app_context, backend):
    assert _submit(SendKey.form_token("made-up")).status is Status.TOKEN_INVALID
    assert send_calls(backend) == []


def _row(send_id: int) -> Send:
    return db.session.get(Send, send_id)


def test_the_log_keeps_codes_and_the_request_not_words(app_context):
    result = _submit(rphone="010-2222-3333, 010-3333-4444", msg="점검 안내")
    row = _row(result.send_id)
    assert (row.result, row.code, row.remaining, row.actor, row.source, row.client_address) == (
        "success", "success", 998, "kim", "form", "127.0.0.1")
    assert (row.text, row.kind, row.recipient_count, row.cost, row.sender) == (
        "점검 안내", "S", 2, 2, "010-1234-5678")
    assert json.loads(row.recipients) == [["010-2222-3333", None], ["010-3333-4444", None]]
    assert [r.phone for r in db.session.execute(
        db.select(SendRecipient).filter_by(send_id=row.id).order_by(SendRecipient.position)
    ).scalars()] == ["01022223333", "01033334444"]


def test_a_send_left_pending_is_unknown_after_the_timeouts(app_context, backend):
    token = tokens.issue(KIM.user_id)
    backend.inject("drop")
    first = _submit(SendKey.form_token(token))
    row = _row(first.send_id)
    row.result = "pending"  # as if the process had stopped during the call
    db.session.commit()
    assert _submit(SendKey.form_token(token)).status is Status.IN_FLIGHT  # still in time
    row.created_at -= sendlog.unknown_after() + timedelta(seconds=1)
    db.session.commit()
    again = _submit(SendKey.form_token(token))
    assert (again.status, again.previous.status) == (Status.DUPLICATE, Status.UNKNOWN)
    assert len(send_calls(backend)) == 1  # never sent again by itself


def test_an_idempotency_key_with_another_body_is_refused(app_context, backend):
    key = SendKey.header("order-77")
    assert _submit(key, msg="첫 번째").status is Status.SUCCESS
    assert _submit(key, msg="첫 번째").status is Status.DUPLICATE
    assert _submit(key, msg="다른 내용").status is Status.KEY_MISMATCH
    assert len(send_calls(backend)) == 1


def test_a_refused_send_stays_in_the_log_but_frees_its_key(app_context, no_credit_account):
    token = tokens.issue(KIM.user_id)
    refused = _submit(SendKey.form_token(token))
    row = _row(refused.send_id)
    assert (row.result, row.code, row.send_key) == ("refused", "-201", None)


def test_an_accepted_send_remembers_the_users_sender(app_context):
    _submit(sphone="02-123-4567")
    assert db.session.get(User, KIM.user_id).last_sender == "02-123-4567"


def test_a_keys_kind_says_where_it_came_from():
    assert SendKey.form_token(" t ") == SendKey("t", KeyKind.FORM_TOKEN)
    assert SendKey.header(" order-1 ") == SendKey("order-1", KeyKind.HEADER)
    assert SendKey.job_batch(7, 3) == SendKey("7:3", KeyKind.JOB_BATCH)
    assert (SendKey.form_token(""), SendKey.header(None)) == (None, None)
    # Only a header's key is held to 40 printable characters: it is the caller's own.
    assert not SendKey("x" * 41, KeyKind.HEADER).usable
    assert SendKey("x" * 41, KeyKind.JOB_BATCH).usable


def test_a_job_batch_is_sent_once_and_its_key_stored_apart(app_context, backend):
    key = SendKey.job_batch(12, 1)
    first, again = _submit(key, msg="첫 번째"), _submit(key, msg="첫 번째")
    assert (first.status, again.status) == (Status.SUCCESS, Status.DUPLICATE)
    assert _submit(key, msg="다른 내용").status is Status.KEY_MISMATCH
    assert _row(first.send_id).send_key == "batch:12:1"
    # A header key of the same spelling is another key.
    assert _submit(SendKey.header("12:1"), msg="첫 번째").status is Status.SUCCESS
    assert len(send_calls(backend)) == 2


def test_the_order_carries_the_edges_own_problems_and_the_time(app_context, backend):
    draft = form_input.build_request(valid_send(rdate="2030-01-02", rtime="10:00"))
    later = datetime(2030, 1, 2, 9, 55, tzinfo=KST)  # five minutes before the reservation
    result = sending.submit(SendOrder(draft.request, KIM, now=later, input_problems=(
        Problem("rphone", "no_recipients"),)))
    assert result.status is Status.INVALID
    assert {p.code for p in result.problems} == {"no_recipients", "reservation_too_soon"}
    assert send_calls(backend) == []


def test_an_exception_after_the_call_says_the_gateway_was_called(app_context, backend,
                                                                 monkeypatch):
    """No request global: the exception itself carries it, for a worker as for a page."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("the outcome could not be written")

    monkeypatch.setattr(sendlog, "record_outcome", broken)
    with pytest.raises(RuntimeError) as raised:
        _submit()
    assert sending.gateway_was_called(raised.value)
    assert len(send_calls(backend)) == 1

    monkeypatch.setattr(sendlog, "record_intent", broken)
    with pytest.raises(RuntimeError) as before:
        _submit()
    assert not sending.gateway_was_called(before.value)
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize(("status", "called"), [
    (Status.SUCCESS, True), (Status.RESERVED, True), (Status.TEST, True),
    (Status.REFUSED, True), (Status.UNKNOWN, True), (Status.NOT_SENT, False),
    (Status.INVALID, False), (Status.DUPLICATE, False), (Status.OVER_LIMIT, False),
])
def test_a_result_says_whether_the_gateway_was_called(status, called):
    draft = form_input.build_request(valid_send())
    assert sending.SendResult(status, draft.request).gateway_called is called
