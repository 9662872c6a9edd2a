"""services.sending.submit: one judgement, one claim, one gateway call, a typed result."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale

from cafe24.schedule import KST
from smsform import messages
from smsform.services import form_input, sending, tokens
from smsform.services.sending import Actor, SendKey, Status
from tests.fixtures import *  # noqa: F403 - fixtures
from tests.fixtures import build_app, send_calls, sign_in, valid_send

KIM = Actor(user_id=1, name="kim", source="form", address="127.0.0.1")


@pytest.fixture
def app_context(app):
    """The app's context, so the service reaches the app's simulator; with user 1."""
    sign_in(app, "sender", username="kim")
    with app.app_context():
        yield


def _submit(key: SendKey | None = None, **overrides) -> sending.SendResult:
    draft = form_input.build_request(valid_send(**overrides))
    return sending.submit(draft.request, KIM, key, input_problems=draft.problems)


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


def test_a_token_that_was_never_issued_does_not_send(app_context, backend):
    assert _submit(SendKey.form_token("made-up")).status is Status.TOKEN_INVALID
    assert send_calls(backend) == []


def test_a_result_as_stored_holds_codes_not_words(app_context):
    record = _submit().as_previous().as_record()
    assert record == {"status": "success", "code": "success", "remaining": 999, "detail": ""}
    assert sending.Previous.from_record(record).status is Status.SUCCESS
