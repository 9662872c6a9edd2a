"""smsform.messages: every code the gateway library reports has words, with its values in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel

from cafe24 import codes
from cafe24.answers import (
    ROW_SEND_TYPES,
    ROW_STATUSES,
    ResultRow,
    SendOutcome,
    SendStatus,
    parse_send_answer,
)
from cafe24.errors import (
    ConnectFailed,
    ConnectionDropped,
    GatewayRefused,
    HTTPStatusError,
    InvalidRequest,
    ResponseTimeout,
    UnreadableResponse,
)
from cafe24.text import PROBLEM_CODES, Problem
from smsform import messages
from smsform.services import compliance, credit
from tests.cafe24.problem_examples import examples

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@pytest.fixture(params=["en", "ko"])
def lang(request):
    """A bare Flask app with Flask-Babel in this language, the app's catalogs if any."""
    app = Flask(__name__)
    Babel(app, default_locale=request.param, default_translation_directories=str(TRANSLATIONS))
    with app.app_context():
        yield request.param


@pytest.fixture
def english():
    app = Flask(__name__)
    Babel(app, default_locale="en")
    with app.app_context():
        yield


def _row(**kwargs: str) -> ResultRow:
    fields = {"send_type": "I", "send_phone": "010-1234-5678", "receive_phone": "010-2222-3333",
              "msg": "hi", "sent_at_raw": "202405011230", "status": "3", "refund_date": ""}
    return ResultRow(**{**fields, **kwargs})


# --- problems ------------------------------------------------------------------------


#: The problems the send service makes itself (the library's are PROBLEM_CODES).
SERVICE_PROBLEMS = [Problem("credit", credit.CREDIT_SHORT,
                            {"needed": 1999, "credit": 980, "shortfall": 1019}),
                    # recipients from the address book (services.contacts.add_to_request)
                    Problem("rphone", "address_book_too_many", {"limit": 999}),
                    Problem("groups", "unknown_groups", {"ids": "404, 405"}),
                    Problem("contacts", "unknown_contacts", {"ids": "17"}),
                    # the opt-out list's step (services.compliance.opt_outs)
                    Problem("rphone", "all_opted_out", {"count": 2}),
                    Problem("rphone", "opted_out_notice", {"count": 1})]
#: The law's judge's problems (services/compliance.py), one of each code.
COMPLIANCE_PROBLEMS = [
    Problem("advertising", "ad_setting_missing", {"setting": "SMSFORM_AD_OPTOUT_NUMBER"}),
    Problem("msg", "ad_label_variant", {"written": "[광고]", "right": "(광고)"}),
    Problem("msg", "ad_label_not_first", {"written": "안녕하세요", "right": "(광고)"}),
    Problem("msg", "ad_label_after_blank", {"right": "(광고)"}),
    Problem("msg", "ad_sender_name_missing", {"name": "스마일상사"}),
    Problem("msg", "ad_optout_missing", {"line": "무료수신거부 080-123-4567"}),
    Problem("advertising", "ad_night", {"at": "2030-03-04 21:00", "resume": "2030-03-05 08:00",
                                        "start": "21:00", "end": "08:00"}),
]


def test_every_compliance_code_has_one_sentence():
    assert [p.code for p in COMPLIANCE_PROBLEMS] == list(compliance.PROBLEM_CODES)
    assert set(messages.COMPLIANCE_SENTENCES) == set(compliance.PROBLEM_CODES)


def test_every_problem_code_has_one_sentence():
    worded = [*messages.PROBLEM_SENTENCES, *messages.PROBLEM_COUNTED]
    assert len(worded) == len(set(worded)), "a code worded twice"
    assert set(worded) == {*PROBLEM_CODES, *(p.code for p in SERVICE_PROBLEMS)}


@pytest.mark.parametrize("problem", [*examples(), *SERVICE_PROBLEMS, *COMPLIANCE_PROBLEMS],
                         ids=lambda p: f"{p.field}-{p.code}")
def test_every_problem_the_library_makes_is_worded_with_its_values(lang, problem):
    text = messages.problem_text(problem)
    assert text and text != str(problem)
    assert "%(" not in text and ")s" not in text
    count_param = messages.PROBLEM_COUNTED.get(problem.code, ("",))[0]
    for name, value in problem.params.items():
        if name == count_param and name not in ("minutes", "days"):
            continue  # it chooses the sentence's plural form, and need not be shown
        shown = f"{value:,}" if isinstance(value, int) else value
        assert shown in text, (value, text)


@pytest.mark.parametrize("code", sorted(messages.PROBLEM_COUNTED))
def test_counted_problems_agree_with_their_count(english, code):
    count_param, _ = messages.PROBLEM_COUNTED[code]
    same = {"chars": "됬", "numbers": "abc", "limit": 100}
    one = messages.problem_text(Problem("x", code, {**same, count_param: 1}))
    two = messages.problem_text(Problem("x", code, {**same, count_param: 2}))
    assert one.replace("1", "N") != two.replace("2", "N")  # the words follow the count


OLD_ENGLISH = [
    (Problem("msg", "msg_too_long", {"length": 2015, "limit": 2000}),
     "The message is too long: 2,015 bytes / at most 2,000 bytes"),
    (Problem("msg", "unsupported_chars", {"chars": "😀 똠", "count": 2}),
     "These characters cannot be sent in EUC-KR: 😀 똠"),
    (Problem("msg", "unsupported_chars", {"chars": "😀", "count": 1}),
     "This character cannot be sent in EUC-KR: 😀"),
    (Problem("rphone", "invalid_phone", {"numbers": "12345, abc", "count": 2}),
     "These are not valid phone numbers: 12345, abc"),
    (Problem("rphone", "too_many_recipients", {"count": 1000, "limit": 999}),
     "Too many recipients: 1,000 / at most 999 per send"),
    (Problem("repeatTime", "repeat_time", {"min": 15, "max": 1440, "hours": 24}),
     "The repeat interval must be a whole number of minutes from 15 to 1,440 (24 hours)"),
    (Problem("rtime", "reservation_too_soon", {"minutes": 10}),
     "The reservation must be at least 10 minutes from now"),
    (Problem("msg", "name_placeholder_without_names", {"count": 2}),
     "The message uses {name} but 2 recipients have no name"),
    (Problem("msg", "name_placeholder_without_destination"),
     "To use {name}, list the recipients as 'number|name' under Insert names."),
]


@pytest.mark.parametrize(("problem", "text"), OLD_ENGLISH, ids=lambda v: getattr(v, "code", ""))
def test_sentences_keep_the_old_english_wording(english, problem, text):
    assert messages.problem_text(problem) == text


def test_an_unknown_code_falls_back_to_developer_text(english, caplog):
    problem = Problem("msg", "made_up", {"n": 1})
    assert messages.problem_text(problem) == "msg: made_up (n=1)"
    assert "made_up" in caplog.text


# --- outcomes and failures -------------------------------------------------------------


def test_outcome_words_are_the_code_tables_meaning(lang):
    for body in ("success,10", "reserved,9", "Test Success!", "-201", "-999"):
        outcome = parse_send_answer(body)
        assert messages.outcome_text(outcome) == outcome.info.text(lang)


def test_unknown_outcome_says_so_with_the_cause(lang):
    outcome = SendOutcome(SendStatus.UNKNOWN, error=ResponseTimeout("no answer within 20 s"))
    text = messages.outcome_text(outcome)
    assert "%(" not in text and "no answer within 20 s" not in text  # the developer's words
    if lang == "en":
        assert text.startswith("Unknown whether the message was sent")
        assert "no complete answer came in time" in text
    else:
        assert not re.search(r"[A-Za-z]{4,}", text.replace("/smsresult", "")), text


@pytest.mark.parametrize(("error", "ko", "en"), [
    (ConnectFailed("could not connect to http://x"), "연결", "no connection could be made"),
    (ResponseTimeout("no complete answer from http://x within 20 s"), "시간",
     "no complete answer came in time"),
    (ConnectionDropped("the connection to http://x broke"), "끊", "the connection broke"),
    (HTTPStatusError("http://x answered HTTP 500", status_code=500), "HTTP 500",
     "the gateway answered HTTP 500"),
    (UnreadableResponse("unreadable send answer"), "형식", "not in the gateway's format"),
])
def test_transport_failures_are_told_in_the_readers_language(lang, error, ko, en):
    text = messages.gateway_failure_text(error)
    assert (ko if lang == "ko" else en) in text
    assert error.message not in text and "http://x" not in text
    if lang == "ko":
        assert not re.search(r"[A-Za-z]{4,}", text.replace("HTTP", "")), text


def test_gateway_failure_text(lang):
    refused = GatewayRefused("-102", "Authentication failed.")
    assert messages.gateway_failure_text(refused, codes.describe_remain) == (
        codes.describe_remain("-102").text(lang))
    assert messages.gateway_failure_text(refused)


def test_not_sent_text_names_the_broken_rules_in_words(english):
    problems = [Problem("msg", "msg_empty"), Problem("sphone", "invalid_sender")]
    text = messages.not_sent_text(InvalidRequest("msg: msg_empty; sphone: invalid_sender",
                                                 problems))
    assert text == ("Not sent: the request breaks a gateway rule "
                    "(Please enter a message; The sender number is not valid.).")
    unreachable = messages.not_sent_text(ConnectFailed("could not connect"))
    assert unreachable.startswith("Could not reach the gateway; nothing was sent")


# --- result rows ---------------------------------------------------------------------------


def test_every_row_status_and_send_type_has_a_word(lang):
    assert set(messages.ROW_STATUS_WORDS) == set(ROW_STATUSES)
    assert set(messages.ROW_SEND_TYPE_WORDS) == set(ROW_SEND_TYPES)
    words = [messages.row_status_text(_row(status=s)) for s in ROW_STATUSES]
    assert len(set(words)) == len(words) and all(words)
    assert messages.row_send_type_text(_row(send_type="I")) != messages.row_send_type_text(
        _row(send_type="R"))


def test_row_words_in_english_and_unknown_codes(english):
    assert messages.row_status_text(_row(status="3")) == "delivered"
    assert messages.row_status_text(_row(status="9")) == "failed"
    assert messages.row_status_text(_row(status="7")) == "unknown (7)"
    assert messages.row_send_type_text(_row(send_type="I")) == "immediate"
    assert messages.row_send_type_text(_row(send_type="X")) == "X"


def test_delivery_text_is_the_code_tables_meaning(lang):
    assert messages.delivery_text("3208") == codes.describe_delivery("3208").text(lang)


def test_an_outcome_is_never_worded_from_the_gateways_body(lang):
    """A body may echo the request (the key, numbers, text): words come from codes only."""
    echoed = "userId=demo&passwd=demo-secure-key"
    for outcome in (SendOutcome(SendStatus.REFUSED, "-114", raw=echoed),
                    SendOutcome(SendStatus.REFUSED, None, raw=echoed)):
        text = messages.outcome_text(outcome)
        assert text and "passwd" not in text and "demo-secure-key" not in text
    assert messages.outcome_text(SendOutcome(SendStatus.REFUSED, "-114", raw=echoed)) == (
        codes.describe_send("-114").text(lang))
