"""The send form and its handler: what reaches the gateway, what is refused, what is shown."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest

from cafe24 import codes
from cafe24.encoding import b64_destination, b64_field
from cafe24.message import NAME_LIMIT
from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.models import Send
from tests.support import (
    TextWork,
    build_app,
    field_errors,
    page,
    send_calls,
    sign_in,
    valid_send,
)

JSON = {"Accept": "application/json"}
FORM_FIELDS = {"smsType", "subject", "msg", "rphone", "destination", "sphone", "sphone1",
               "sphone2", "sphone3", "rdate", "rtime", "returnurl", "testflag",
               "nointeractive", "repeatFlag", "repeatNum", "repeatTime",
               "send_token",  # ours: the one-time token that stops a second send
               "advertising"}  # ours: the advertising switch (services/compliance.py)
REFUSALS = sorted(code for code in codes.SEND_CODES if code not in ("success", "reserved", "test"))


def _later(**delta: float) -> datetime:
    return datetime.now(KST) + timedelta(**delta)


def _sent(backend) -> dict[str, str]:
    [call] = send_calls(backend)
    return call.fields


def _result(response):
    card = page(response).select_one("#send-result")
    assert card is not None, response.get_data(as_text=True)[:500]
    return card


# -- the form -------------------------------------------------------------------------


def test_form_has_the_samples_field_names(admin_client):
    form = page(admin_client.get("/smsform")).select_one("form#smsForm")
    assert form["action"] == "/smssend"
    assert form["method"] == "post"
    names = {e["name"] for e in form.select("input[name], select[name], textarea[name]")}
    assert names == FORM_FIELDS


def test_form_has_a_csrf_token_when_csrf_is_on(csrf_app):
    form = page(sign_in(csrf_app).get("/smsform")).select_one("form#smsForm")
    names = {e["name"] for e in form.select("input[name], select[name], textarea[name]")}
    assert names == FORM_FIELDS | {"csrf_token"}
    assert form.select_one("input[name=csrf_token]")["value"]


def test_sender_select_lists_the_simulators_senders(admin_client, backend):
    options = page(admin_client.get("/smsform")).select("select#sphone option")
    assert [o["value"] for o in options] == ["", *backend.accounts["demo"].senders]
    assert [o["value"] for o in options[1:]] == list(DEMO_SENDERS)
    assert not any(o.has_attr("selected") for o in options)


def test_single_sender_is_chosen_and_split(admin_client, single_sender):
    soup = page(admin_client.get("/smsform"))
    [option] = soup.select("select#sphone option")
    assert (option["value"], option.has_attr("selected")) == (single_sender, True)
    parts = [soup.select_one(f"input[name=sphone{i}]")["value"] for i in (1, 2, 3)]
    assert parts == ["02", "123", "4567"]


def test_no_sms_senders_leaves_only_the_empty_choice(admin_client, no_sms_senders):
    options = page(admin_client.get("/smsform")).select("select#sphone option")
    assert [o["value"] for o in options] == [""]


def test_form_says_why_senders_could_not_load(admin_client, wrong_key_account):
    soup = page(admin_client.get("/smsform"))
    warning = soup.select_one("#sphone-help .warn")
    assert warning is not None
    assert "SMS 아이디와 인증키를 확인하세요" in warning.get_text()
    assert [o["value"] for o in soup.select("select#sphone option")] == [""]


def test_query_values_prefill_the_form(admin_client):
    soup = page(admin_client.get("/smsform", query_string={
        "msg": "미리 채움", "rphone": "010-2222-3333", "returnurl": "/done",
        "nointeractive": "1", "sphone": "02-123-4567"}))
    assert soup.select_one("textarea#msg").get_text() == "미리 채움"
    assert soup.select_one("textarea#rphone").get_text() == "010-2222-3333"
    assert soup.select_one("input[name=returnurl]")["value"] == "/done"
    assert soup.select_one("input[name=nointeractive]")["value"] == "1"
    assert soup.select_one("select#sphone option[selected]")["value"] == "02-123-4567"


# -- what reaches the gateway -------------------------------------------------------


def test_sms_sends_the_exact_fields_and_uses_one_credit_each(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333, 01033334444", msg="안녕하세요\r\n반갑습니다"))
    assert response.status_code == 200
    [call] = send_calls(backend)
    assert call.base64_mode
    assert call.raw["mode"] == b"MQ=="
    assert call.raw["msg"] == b64_field("안녕하세요\n반갑습니다").encode()
    assert {k: v for k, v in call.fields.items() if k not in ("user_id", "secure")} == {
        "msg": "안녕하세요\n반갑습니다", "rphone": "010-2222-3333,010-3333-4444",
        "destination": "", "sphone1": "010", "sphone2": "1234", "sphone3": "5678",
        "subject": "", "smsType": "S", "rdate": "", "rtime": "", "testflag": "",
        "repeatFlag": "", "repeatNum": "", "repeatTime": "", "mode": "1",
    }
    assert call.fields["user_id"] == "demo"
    assert backend.accounts["demo"].credits == 998
    card = _result(response)
    assert card["data-result"] == "success"
    assert card.select_one("#result-remaining").get_text(strip=True) == "998"


def test_message_over_90_bytes_goes_as_lms(admin_client, backend):
    admin_client.post("/smssend", data=valid_send(msg="가" * 46))  # 92 bytes
    fields = _sent(backend)
    assert (fields["smsType"], fields["msg"]) == ("L", "가" * 46)
    assert backend.accounts["demo"].credits == 997


def test_lms_with_subject(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(
        smsType="L", subject="공지 사항", msg="짧아도 LMS"))
    fields = _sent(backend)
    assert (fields["smsType"], fields["subject"], fields["msg"]) == ("L", "공지 사항", "짧아도 LMS")
    assert backend.accounts["demo"].credits == 997
    assert [m.subject for m in backend.messages] == ["공지 사항"]
    assert _result(response)["data-result"] == "success"


def test_destination_with_names_uses_the_special_alphabet(admin_client, backend):
    typed = "010-2222-3333|홍길동\r\n010-4444-5555|Kim?>\r\n010-5555-6666|김~"
    wire = "010-2222-3333|홍길동,010-4444-5555|Kim?>,010-5555-6666|김~"
    assert set(b64_field(wire)) & {"+", "/"}  # otherwise the alphabet is not exercised
    admin_client.post("/smssend", data=valid_send(
        rphone="", destination=typed, msg="{name}님 안녕하세요"))
    [call] = send_calls(backend)
    assert call.raw["destination"] == b64_destination(wire).encode()
    assert not set(call.raw["destination"].decode()) & {"+", "/"}
    assert (call.fields["destination"], call.fields["rphone"]) == (wire, "")
    assert call.fields["msg"] == "{name}님 안녕하세요"
    assert [m.msg for m in backend.messages] == [
        "홍길동님 안녕하세요", "Kim?>님 안녕하세요", "김~님 안녕하세요"]
    assert backend.accounts["demo"].credits == 997


def test_numbers_box_and_names_list_are_sent_together(admin_client, backend):
    """The numbers box was dropped without a word when the names list was filled in."""
    response = admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333, 010-3333-4444",
        destination="010-3333-4444|홍길동\n010-5555-6666|김철수"))
    card = _result(response)
    assert card["data-result"] == "success"
    assert _sent(backend)["destination"] == (
        "010-3333-4444|홍길동,010-5555-6666|김철수,010-2222-3333|")
    assert card.select_one("#read-added").get_text(strip=True) == (
        "1개 번호를 이름 없이 이름 목록과 함께 보냈습니다")
    assert backend.accounts["demo"].credits == 997


def test_excel_columns_are_read_name_first_and_said_so(admin_client, backend):
    """Two columns pasted from Excel (name, then number) were read as bad numbers."""
    response = admin_client.post("/smssend", data=valid_send(
        rphone="", destination="홍길동\t010-2222-3333\r\n김철수\t010-3333-4444\r\n",
        msg="{name}님 안녕하세요"))
    card = _result(response)
    assert card["data-result"] == "success"
    assert _sent(backend)["destination"] == "010-2222-3333|홍길동,010-3333-4444|김철수"
    assert card.select_one("#read-name-first").get_text(strip=True) == (
        "2개 항목을 이름,번호 순서로 읽었습니다")


def test_a_long_names_list_costs_work_in_proportion(monkeypatch, admin_client, backend):
    """3,000 names and {name} 333 times: 13 s of CPU before the 400, and two such posts
    held a two-worker server for 15 s."""
    destination = "\n".join(f"010-{2000 + i // 10000:04d}-{i % 10000:04d}|{'n' * 100}"
                             for i in range(3000))
    data = valid_send(rphone="", destination=destination, msg="{name}" * 333)
    work = TextWork(monkeypatch)
    response = admin_client.post("/smssend", data=data)
    assert response.status_code == 400
    size = sum(map(len, data.values()))
    assert work.chars <= 10 * size, f"{work.chars:,} characters of work for {size:,}"
    assert send_calls(backend) == []


def test_reservation_turns_browser_date_and_time_into_the_gateways(admin_client, backend):
    when = _later(days=1)
    response = admin_client.post("/smssend", data=valid_send(
        rdate=when.strftime("%Y-%m-%d"), rtime=when.strftime("%H:%M")))
    fields = _sent(backend)
    assert (fields["rdate"], fields["rtime"]) == (when.strftime("%Y%m%d"),
                                                  when.strftime("%H%M00"))
    card = _result(response)
    assert card["data-result"] == "reserved"
    assert card.select_one("h1").get_text(strip=True) == "예약이 접수되었습니다"
    assert [m.send_type for m in backend.messages] == ["R"]


def test_repeat_sends_its_fields_and_charges_every_repeat(admin_client, backend):
    admin_client.post("/smssend", data=valid_send(repeatFlag="Y", repeatNum="3",
                                                  repeatTime="20"))
    fields = _sent(backend)
    assert (fields["repeatFlag"], fields["repeatNum"], fields["repeatTime"]) == ("Y", "3", "20")
    assert backend.accounts["demo"].credits == 997
    due = [m.due_at for m in backend.messages]
    assert [b - a for a, b in zip(due, due[1:], strict=False)] == [timedelta(minutes=20)] * 2


def test_test_send_charges_nothing(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(testflag="Y"))
    assert _sent(backend)["testflag"] == "Y"
    assert backend.accounts["demo"].credits == 1000
    assert backend.messages == []
    card = _result(response)
    assert card["data-result"] == "test"
    # Under the heading, what to do next: not the heading again, nor the facts' words.
    heading, message = (card.select_one(s).get_text(strip=True) for s in ("h1", "#result-message"))
    assert "보내지 않았" in heading and "테스트 발송" in message
    assert message != codes.describe_send("test").ko and "보내지 않았" not in message


def test_json_answer_of_a_send(admin_client, backend):
    response = admin_client.post("/smssend", headers=JSON, data=valid_send(
        rphone="010-2222-3333,010-3333-4444"))
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("result", "code", "remaining", "cost", "kind", "recipients",
                                 "outcome_unknown")} == {
        "result": "success", "code": "success", "remaining": 998, "cost": 2, "kind": "S",
        "recipients": 2, "outcome_unknown": False}


# -- validation: 400, the problem beside its field, nothing sent ---------------------

SOON = _later(minutes=5)
THOUSAND = ",".join(f"010-{2000 + i // 10000:04d}-{i % 10000:04d}" for i in range(1000))

INVALID = [
    ("empty_msg", {"msg": ""}, "msg"),
    ("blank_msg", {"msg": "   "}, "msg"),
    ("too_long", {"msg": "가" * 1001}, "msg"),
    ("emoji", {"msg": "안녕 😀"}, "msg"),
    ("refused_char", {"msg": "잘 됬어요"}, "msg"),
    ("long_subject", {"smsType": "L", "subject": "가" * 26}, "subject"),
    ("no_recipients", {"rphone": ""}, "rphone"),
    ("invalid_number", {"rphone": "010-2222-3333, 12345"}, "rphone"),
    ("thousand_recipients", {"rphone": THOUSAND}, "rphone"),
    ("name_without_destination", {"msg": "{name}님 안녕하세요"}, "msg"),
    ("destination_entry_without_name",
     {"rphone": "", "destination": "010-2222-3333|홍길동\n010-3333-4444",
      "msg": "{name}님 안녕하세요"}, "msg"),
    ("invalid_destination_number", {"rphone": "", "destination": "12345|홍길동"},
     "destination"),
    ("name_too_long_without_placeholder",
     {"rphone": "", "destination": "010-2222-3333|" + "가" * (NAME_LIMIT + 1)}, "destination"),
    ("placeholder_and_numbers_without_names",  # rphone's 010-2222-3333 has no name
     {"destination": "010-3333-4444|홍길동", "msg": "{name}님 안녕하세요"}, "msg"),
    ("invalid_number_beside_names",
     {"rphone": "010-2222-3333, 12345", "destination": "010-3333-4444|홍길동"}, "rphone"),
    ("reservation_too_soon",
     {"rdate": SOON.strftime("%Y-%m-%d"), "rtime": SOON.strftime("%H:%M")}, "rtime"),
    ("reservation_malformed_date", {"rdate": "2030-13-45", "rtime": "10:00"}, "rdate"),
    ("reservation_malformed_time", {"rdate": "2030-01-02", "rtime": "25:00"}, "rtime"),
    ("reservation_date_only", {"rdate": "2030-01-02"}, "rtime"),
    ("reservation_time_only", {"rtime": "10:00"}, "rdate"),
    ("repeat_zero", {"repeatFlag": "Y", "repeatNum": "0", "repeatTime": "15"}, "repeatNum"),
    ("repeat_eleven", {"repeatFlag": "Y", "repeatNum": "11", "repeatTime": "15"}, "repeatNum"),
    ("repeat_too_often", {"repeatFlag": "Y", "repeatNum": "2", "repeatTime": "14"},
     "repeatTime"),
    ("no_sender", {"sphone": "", "sphone1": "", "sphone2": "", "sphone3": ""}, "sphone"),
    ("invalid_sender", {"sphone": "", "sphone1": "999", "sphone2": "1", "sphone3": ""},
     "sphone"),
]


@pytest.mark.parametrize(("overrides", "field"), [(o, f) for _, o, f in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_invalid_input_shows_the_form_again_with_the_problem_beside_its_field(
        admin_client, backend, overrides, field):
    response = admin_client.post("/smssend", data=valid_send(**overrides))
    assert response.status_code == 400
    soup = page(response)
    assert field_errors(soup, field)
    summary = soup.select_one("#error-summary")
    assert summary is not None
    assert summary.select_one(f'a[href="#{field}"]') is not None
    assert soup.select_one("form#smsForm textarea#msg").get_text() == overrides.get(
        "msg", "안녕하세요")
    assert send_calls(backend) == []
    assert backend.accounts["demo"].credits == 1000


@pytest.mark.parametrize(("overrides", "field"), [(o, f) for _, o, f in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_invalid_input_as_json(admin_client, backend, overrides, field):
    response = admin_client.post("/smssend", headers=JSON, data=valid_send(**overrides))
    assert response.status_code == 400
    body = response.get_json()
    assert (body["result"], body["code"]) == ("error", "invalid")
    assert body["errors"][field]
    assert send_calls(backend) == []


def test_every_problem_is_listed_at_once(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(
        msg="", rphone="12345", repeatFlag="Y", repeatNum="11", repeatTime="5"))
    soup = page(response)
    for field in ("msg", "rphone", "repeatNum", "repeatTime"):
        assert field_errors(soup, field), field
    assert send_calls(backend) == []


def test_sms_type_outside_s_and_l_is_refused(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(smsType="X"))
    assert response.status_code == 400
    assert send_calls(backend) == []


@pytest.mark.parametrize("value", ["", " ", "S", "l", "L\n", "X", "SL", " S", "S ", "ㅅ"])
def test_the_send_judges_sms_type_as_the_wtform_does(app, value):
    """The post is judged without building the WTForm; its verdict must be the form's."""
    from smsform.forms import SendForm
    from smsform.views.send import _sms_type_valid

    with app.test_request_context("/smssend", method="POST", data={"smsType": value}):
        assert _sms_type_valid(value) is SendForm().validate()


# -- every answer code ----------------------------------------------------------------


@pytest.mark.parametrize("code", REFUSALS)
def test_refusal_code_is_shown_in_korean(scripted_client, scripted_backend, code):
    scripted_backend.answer = f"{code},1000"
    response = scripted_client.post("/smssend", data=valid_send())
    assert response.status_code == 422
    card = _result(response)
    assert card["data-result"] == "error"
    assert card.select_one("#result-code")["data-code"] == code
    assert codes.describe_send(code).ko in card.select_one("#result-message").get_text()
    assert card.select_one("h2").get_text(strip=True) == "발송이 거절되었습니다"
    assert len(send_calls(scripted_backend)) == 1


@pytest.mark.parametrize("code", REFUSALS)
def test_refusal_code_as_json(scripted_client, scripted_backend, code):
    scripted_backend.answer = f"{code},"
    response = scripted_client.post("/smssend", headers=JSON, data=valid_send())
    assert not 200 <= response.status_code < 300
    body = response.get_json()
    assert (body["result"], body["code"], body["remaining"]) == ("error", code, None)
    assert body["message"] == codes.describe_send(code).text("ko")


@pytest.mark.parametrize("answer", ["-999", "-999,12", "7777"])
def test_unlisted_code_is_shown_without_crashing(scripted_client, scripted_backend, answer):
    scripted_backend.answer = answer
    response = scripted_client.post("/smssend", data=valid_send())
    assert response.status_code == 422
    card = _result(response)
    assert "알 수 없는 결과 코드" in card.select_one("#result-message").get_text()
    assert card.select_one("#result-code")["data-code"] == answer.split(",")[0]


def test_unregistered_sender_is_refused_by_the_gateway(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(
        sphone="010-9999-8888", sphone1="010", sphone2="9999", sphone3="8888"))
    assert response.status_code == 422
    assert _result(response).select_one("#result-code")["data-code"] == "-114"
    assert backend.accounts["demo"].credits == 1000


def test_no_credit_account_is_refused(admin_client, backend, no_credit_account):
    response = admin_client.post("/smssend", data=valid_send())
    card = _result(response)
    assert card.select_one("#result-code")["data-code"] == "-201"
    assert codes.describe_send("-201").ko in card.select_one("#result-message").get_text()
    assert card.select_one("#result-remaining").get_text(strip=True) == "0"


def test_wrong_key_account_is_refused(admin_client, wrong_key_account):
    response = admin_client.post("/smssend", data=valid_send())
    assert _result(response).select_one("#result-code")["data-code"] == "-102"


def test_spam_words_are_refused(admin_client, backend):
    response = admin_client.post("/smssend", data=valid_send(msg="카지노 무료 쿠폰"))
    assert _result(response).select_one("#result-code")["data-code"] == "0044"
    assert backend.messages == []


def test_reservation_the_gateway_finds_too_soon(admin_client, backend, clock):
    clock.advance(hours=2)  # the gateway's clock is ahead of ours
    when = _later(minutes=30)
    response = admin_client.post("/smssend", data=valid_send(
        rdate=when.strftime("%Y-%m-%d"), rtime=when.strftime("%H:%M")))
    assert _result(response).select_one("#result-code")["data-code"] == "-105"


# -- after a refusal: the form again, filled in ----------------------------------------

TYPED = {"rphone": "010-2222-3333, 010-4444-5555", "destination": "010-6666-7777|홍길동",
         "msg": "안녕하세요", "subject": "", "rdate": "", "rtime": ""}


def _token(client) -> str:
    """The send_token of a freshly opened form."""
    return page(client.get("/smsform")).select_one("input[name=send_token]")["value"]


def _reopened(response, posted_token: str, typed: dict[str, str] = TYPED):
    """The form after a refusal: the outcome above it, everything typed in it, a new token."""
    soup = page(response)
    card = soup.select_one("form#smsForm")
    assert card is not None, "the form did not come back"
    outcome = soup.select_one("#send-result")
    assert outcome is not None and outcome["data-result"] == "error"
    assert soup.select_one("#reopened-help") is not None
    assert soup.select_one("#write-another") is None  # the form is right there
    for name in ("rphone", "destination", "msg"):
        assert soup.select_one(f"textarea#{name}").get_text() == typed[name]
    token = soup.select_one("input[name=send_token]")["value"]
    assert token and token != posted_token
    assert soup.select_one("textarea#rphone").get("autocomplete") is None  # Back keeps it
    return outcome, token


@pytest.mark.parametrize(("ending", "status", "code"), [
    ("refused", 422, "0044"),  # the gateway's spam filter (TYPED's text)
    ("no_credit", 422, "-201"),
    ("token_invalid", 400, "token_invalid"),
])
def test_a_refusal_opens_the_form_again_with_everything_typed(
        admin_client, backend, ending, status, code):
    """Back after a refusal lost the recipients, and its page only offered a blank form."""
    typed = {**TYPED, "msg": "카지노 무료 쿠폰" if ending == "refused" else "안녕하세요"}
    if ending == "no_credit":
        backend.accounts["demo"].credits = 0
    posted = "not-a-token" if ending == "token_invalid" else _token(admin_client)
    response = admin_client.post("/smssend", data=valid_send(**typed, send_token=posted))
    assert response.status_code == status
    outcome, token = _reopened(response, posted, typed)
    assert outcome.select_one("#result-code")["data-code"] == code
    assert len(send_calls(backend)) == (0 if ending == "token_invalid" else 1)
    # Corrected and sent with the new token: sent once, to all three.
    backend.accounts["demo"].credits = 1000
    fixed = {**TYPED, "msg": "안녕하세요"}
    sent = admin_client.post("/smssend", data=valid_send(**fixed, send_token=token))
    assert _result(sent)["data-result"] == "success"
    assert send_calls(backend)[-1].fields["destination"].count("|") == 3


def test_not_reaching_the_gateway_opens_the_form_again(unreachable_gateway_client):
    posted = _token(unreachable_gateway_client)
    response = unreachable_gateway_client.post(
        "/smssend", data=valid_send(**TYPED, send_token=posted))
    assert response.status_code == 503
    outcome, _token_value = _reopened(response, posted)
    assert outcome.select_one("#result-code")["data-code"] == "not_sent"
    assert "발송되지 않았습니다" in outcome.select_one("#result-message").get_text()


def test_an_unknown_outcome_never_opens_the_form_again(admin_client, backend):
    token = _token(admin_client)
    backend.inject("drop")
    response = admin_client.post("/smssend", data=valid_send(**TYPED, send_token=token))
    assert response.status_code == 502
    assert page(response).select_one("form#smsForm") is None


# -- transport failures -------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drop", "stall", "http500", "garbage", "html"])
def test_lost_answer_says_outcome_unknown_and_is_never_retried(admin_client, backend, fault):
    backend.inject(fault)
    response = admin_client.post("/smssend", data=valid_send())
    assert response.status_code == 502
    card = _result(response)
    assert card["data-result"] == "error"
    assert "result-unknown" in card["class"]
    assert "발송 여부를 알 수 없음" in card.select_one("#result-message").get_text()
    assert card.select_one('.warn a[href="/smsresult"]') is not None
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("fault", ["drop", "stall", "http500", "garbage"])
def test_lost_answer_as_json(admin_client, backend, fault):
    backend.inject(fault)
    response = admin_client.post("/smssend", headers=JSON, data=valid_send())
    assert response.status_code == 502
    body = response.get_json()
    assert (body["result"], body["code"], body["outcome_unknown"]) == ("error", "unknown", True)
    assert "/smsresult" in body["message"]
    assert len(send_calls(backend)) == 1


def test_lost_answer_never_redirects(admin_client, backend):
    backend.inject("drop")
    response = admin_client.post("/smssend", data=valid_send(nointeractive="1",
                                                             returnurl="/done"))
    assert response.status_code == 502
    assert "Location" not in response.headers


def test_refused_connection_says_nothing_was_sent(unreachable_gateway_client):
    response = unreachable_gateway_client.post("/smssend", data=valid_send())
    assert response.status_code == 503
    card = _result(response)
    assert card.select_one("#result-code")["data-code"] == "not_sent"
    assert "발송되지 않았습니다" in card.select_one("#result-message").get_text()
    json_response = unreachable_gateway_client.post("/smssend", headers=JSON,
                                                    data=valid_send())
    assert json_response.status_code == 503
    assert json_response.get_json()["result"] == "error"


# -- returnurl and nointeractive ------------------------------------------------------


@pytest.mark.parametrize("target", ["/done?x=1", "https://sms.example.com/thanks",
                                    "https://shop.example.com/thanks",
                                    "https://shop.example.com:443/thanks"])
def test_nointeractive_success_goes_to_an_allowed_returnurl(backend, target):
    client = sign_in(build_app(backend, SMSFORM_RETURN_HOSTS="shop.example.com",
                               SMSFORM_PUBLIC_ORIGIN="https://sms.example.com"))
    response = client.post("/smssend", data=valid_send(nointeractive="1", returnurl=target))
    assert response.status_code == 303
    assert response.headers["Location"] == target
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "javascript:alert(1)", "/\\evil.example",
                                    "https://shop.example.com.evil.example/",
                                    "http://shop.example.com/thanks",  # another scheme
                                    "https://shop.example.com:8443/thanks",  # another port
                                    "https://shop.example.com@evil.example/",
                                    "http://localhost/thanks",  # the Host header is no proof
                                    "http://[::1", "https://[shop.example.com/"])  # unreadable
def test_nointeractive_success_ignores_a_foreign_returnurl(backend, target):
    client = sign_in(build_app(backend, SMSFORM_RETURN_HOSTS="shop.example.com"))
    response = client.post("/smssend", data=valid_send(nointeractive="1", returnurl=target))
    assert response.status_code == 303
    assert response.headers["Location"] == "/smsform"
    flash = page(client.get("/smsform")).select_one(".flash.success")
    assert flash.get_text(strip=True) == codes.describe_send("success").ko


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "javascript:alert(1)"])
def test_result_page_offers_no_foreign_returnurl(admin_client, target):
    response = admin_client.post("/smssend", data=valid_send(returnurl=target))
    soup = page(response)
    assert soup.select_one("#return-link") is None
    assert not soup.select(f'a[href="{target}"]')
    assert soup.select_one("#send-result p.help") is not None


@pytest.mark.parametrize("path", ["/smssend", "/smssend?next=http://[::1",
                                  "/smssend?embed=1&next=http://[::1"])
def test_an_unreadable_address_never_turns_a_sent_message_into_a_500(admin_client, backend,
                                                                      path):
    response = admin_client.post(path, data=valid_send(returnurl="http://[::1"))
    assert response.status_code == 200
    assert page(response).select_one("[data-result]")["data-result"] == "success"
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize(("path", "status"), [
    ("/login?next=http://[::1", 200), ("/smsform?next=http://[::1", 200),
    ("/smsform?embed=1&returnurl=http://[::1", 200), ("/nowhere?next=http://[::1", 404)])
def test_an_unreadable_next_is_ignored_on_every_page(admin_client, path, status):
    assert admin_client.get(path).status_code == status


def test_result_page_links_an_allowed_returnurl(admin_client):
    response = admin_client.post("/smssend", data=valid_send(returnurl="/done"))
    assert page(response).select_one("#return-link")["href"] == "/done"


def test_nointeractive_success_without_returnurl_flashes_on_the_form(admin_client):
    response = admin_client.post("/smssend", data=valid_send(nointeractive="1"))
    assert (response.status_code, response.headers["Location"]) == (303, "/smsform")
    flash = page(admin_client.get("/smsform")).select_one(".flash.success")
    assert flash.get_text(strip=True) == codes.describe_send("success").ko


def test_nointeractive_refusal_is_shown_not_redirected(admin_client, no_credit_account):
    response = admin_client.post("/smssend", data=valid_send(nointeractive="1",
                                                             returnurl="/done"))
    assert response.status_code == 422
    assert "Location" not in response.headers
    assert page(response).select_one("#return-link") is None


def test_nointeractive_invalid_input_is_shown_not_redirected(admin_client):
    response = admin_client.post("/smssend", data=valid_send(msg="", nointeractive="1",
                                                             returnurl="/done"))
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_credentials_travel_base64_encoded_in_the_body(admin_client, backend):
    """The key travels Base64-encoded in the body, as the gateway expects."""
    admin_client.post("/smssend", data=valid_send())
    [call] = send_calls(backend)
    assert base64.b64decode(call.raw["secure"]) == b"demo-secure-key"


def test_a_credit_count_no_account_has_still_ends_in_the_gateways_success(scripted_client,
                                                                          scripted_backend):
    scripted_backend.answer = "success,99999999999999999999"
    response = scripted_client.post("/smssend", data=valid_send())
    assert response.status_code == 200
    soup = page(response)
    assert soup.select_one("[data-result]")["data-result"] == "success"
    assert soup.select_one("#not-logged") is None  # the log took it, credit as not said
    with scripted_client.application.app_context():
        row = db.session.execute(db.select(Send)).scalar_one()
    assert (row.result, row.remaining) == ("success", None)
