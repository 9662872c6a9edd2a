"""No send whose cost passes the credit last known: refused before any call, with the
shortfall, on every way in (the form, JSON, the API, the relay in the gateway's own -201,
the CLI's refusal exit); unless no credit is known, the send is a test, or the gateway,
asked again, says the credit is there now."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask_babel import force_locale

from simulator import DEMO_USER_ID
from smsform import messages
from smsform.cli_api import EXIT_REFUSED
from smsform.extensions import db
from smsform.models import Send, utcnow
from smsform.services import credit, form_input, gateway, relay_sites, sending, tokens
from smsform.services.audit import CLI_ACTOR
from smsform.services.sending import Actor, SendKey, SendOrder, Status
from smsform.views.send import FORM_PAGES
from tests.api_support import bearer, token_user
from tests.support import b64, page, send_calls, sign_in, valid_send

JSON = {"Accept": "application/json"}
THREE = "010-2222-3333, 010-3333-4444, 010-4444-5555"
KIM = Actor(user_id=1, name="kim", source="form", address="127.0.0.1")


@pytest.fixture
def two_left(app, backend):
    """The account has 2 credits, and the app knows it (a look-up told it)."""
    backend.accounts[DEMO_USER_ID].credits = 2
    with app.app_context():
        assert gateway.gateway().remaining() == 2
    return backend


def submit(app, key: SendKey | None = None, **fields) -> sending.SendResult:
    with app.app_context():
        draft = form_input.build_request(valid_send(**fields))
        return sending.submit(SendOrder(draft.request, KIM, key,
                                        input_problems=tuple(draft.problems)))


def logged(app, send_id: int) -> Send:
    with app.app_context():
        row = db.session.get(Send, send_id)
        db.session.expunge(row)
        return row


# -- the service ------------------------------------------------------------------------


def test_a_cost_over_the_credit_known_is_refused_before_any_call(app, two_left):
    sign_in(app, "sender", username="kim")
    calls = len(two_left.calls)
    result = submit(app, rphone=THREE)
    assert result.status is Status.CREDIT_SHORT and not result.gateway_called
    [problem] = result.problems
    assert (problem.code, problem.params) == ("credit_short", {
        "needed": 3, "credit": 2, "shortfall": 1})
    assert send_calls(two_left) == []  # one more look-up, no send
    assert [c.path for c in two_left.calls[calls:]] == ["/sms_remain.php"]
    row = logged(app, result.send_id)
    assert (row.result, row.code, row.cost, row.forecast, row.send_key) == (
        "not_sent", "credit_short", 0, 3, None)
    assert row.remaining is None  # never a credit the gateway did not say just now
    with app.test_request_context(), force_locale("ko"):
        assert messages.send_result_text(result).startswith(
            "잔여 건수가 부족합니다: 이 발송에는 3건이 필요한데 남은 건수는 2건입니다(1건 부족).")


def test_a_cost_the_credit_covers_goes(app, two_left):
    sign_in(app, "sender", username="kim")
    assert submit(app, rphone="010-2222-3333, 010-3333-4444").status is Status.SUCCESS
    assert len(send_calls(two_left)) == 1


def test_the_credit_a_send_answered_is_the_credit_known(app, backend):
    """No look-up at all: the answer of the last send (success,1) says what is left."""
    sign_in(app, "sender", username="kim")
    backend.accounts[DEMO_USER_ID].credits = 3
    assert submit(app, rphone="010-2222-3333, 010-3333-4444").status is Status.SUCCESS
    with app.app_context():
        assert credit.last_known()[1] == 1
    assert submit(app, rphone="010-2222-3333, 010-3333-4444").status is Status.CREDIT_SHORT
    assert len(send_calls(backend)) == 1


def test_with_no_credit_known_the_gateway_decides(app, backend):
    sign_in(app, "sender", username="kim")
    backend.accounts[DEMO_USER_ID].credits = 2
    with app.app_context():
        assert credit.last_known() is None
    result = submit(app, rphone=THREE)
    assert (result.status, result.code) == (Status.REFUSED, "-201")
    assert len(send_calls(backend)) == 1


def test_a_test_send_costs_nothing_and_is_never_refused_for_credit(app, two_left):
    sign_in(app, "sender", username="kim")
    two_left.accounts[DEMO_USER_ID].credits = 0
    with app.app_context():
        gateway.gateway().remaining()  # 0 known
    assert submit(app, rphone=THREE, testflag="Y").status is Status.TEST


def test_a_top_up_since_the_credit_was_known_lets_the_send_go(app, two_left):
    """The credit known is asked of the gateway again before a refusal."""
    sign_in(app, "sender", username="kim")
    two_left.accounts[DEMO_USER_ID].credits = 100
    assert submit(app, rphone=THREE).status is Status.SUCCESS
    with app.app_context():
        assert credit.last_known()[1] == 97


def test_when_the_gateway_cannot_say_the_last_credit_known_stands(app, two_left):
    sign_in(app, "sender", username="kim")
    two_left.inject("drop")  # the look-up before the refusal gets no answer
    assert submit(app, rphone=THREE).status is Status.CREDIT_SHORT
    assert send_calls(two_left) == []


def test_a_refused_forms_token_sends_once_the_credit_is_there(app, two_left):
    sign_in(app, "sender", username="kim")
    with app.app_context():
        token = tokens.issue(KIM.user_id)
    assert submit(app, SendKey.form_token(token), rphone=THREE).status is Status.CREDIT_SHORT
    two_left.accounts[DEMO_USER_ID].credits = 10
    assert submit(app, SendKey.form_token(token), rphone=THREE).status is Status.SUCCESS
    assert submit(app, SendKey.form_token(token), rphone=THREE).status is Status.DUPLICATE


# -- every way in -----------------------------------------------------------------------


def test_the_form_says_so_live_and_refuses_with_the_form_as_typed(app, two_left):
    web = sign_in(app, "sender")
    assert json.loads(page(web.get("/smsform")).select_one("#smsform-credit").string) == 2
    answer = web.post("/smssend?lang=ko", data=valid_send(rphone=THREE, msg="재입고 안내"))
    assert answer.status_code == 422
    shown = page(answer)
    assert "1건 부족" in shown.select_one("#result-message").get_text()
    assert shown.select_one("#send-result h2").get_text(strip=True) == "보내지 않음: 잔여 건수 부족"
    assert shown.select_one("#rphone").get_text() == THREE  # everything typed is kept
    assert shown.select_one("#msg").get_text() == "재입고 안내"
    assert send_calls(two_left) == []


def test_a_fresh_form_knows_no_credit(app):
    web = sign_in(app, "sender")
    assert json.loads(page(web.get("/smsform")).select_one("#smsform-credit").string) is None


def test_the_kept_form_page_shows_the_credit_of_now(app, backend):
    """The credit changes with every send; the kept page is still used, with it filled in."""
    web = sign_in(app, "sender")
    pages = app.extensions[FORM_PAGES]
    web.get("/smsform")
    assert web.post("/smssend", data=valid_send(), headers=JSON).get_json()["remaining"] == 999
    hits = pages.hits
    shown = page(web.get("/smsform"))
    assert json.loads(shown.select_one("#smsform-credit").string) == 999
    assert pages.hits == hits + 1


def test_json_callers_get_the_numbers(app, two_left):
    web = sign_in(app, "sender")
    answer = web.post("/smssend", data=valid_send(rphone=THREE), headers=JSON)
    body = answer.get_json()
    assert (answer.status_code, body["code"]) == (422, "credit_short")
    assert (body["needed"], body["credit"], body["shortfall"], body["cost"]) == (3, 2, 1, 0)


def test_the_api_answers_a_problem_with_the_shortfall(app, two_left):
    token = token_user(app, "sender", "api-user")
    client = app.test_client()
    message = {"from": "010-1234-5678", "to": THREE.split(", "), "text": "안녕하세요"}
    answer = client.post("/api/v1/messages", headers=bearer(token), json=message)
    body = answer.get_json(force=True)
    assert (answer.status_code, answer.mimetype) == (422, "application/problem+json")
    assert (body["code"], body["needed"], body["credit"], body["shortfall"]) == (
        "credit_short", 3, 2, 1)
    assert (body["result"], body["cost"], body["forecast"]) == ("not_sent", 0, 3)
    assert body["detail"].startswith("잔여 건수가 부족합니다")  # Korean first
    english = client.post("/api/v1/messages", json=message,
                          headers=bearer(token, **{"Accept-Language": "en"})).get_json()
    assert english["detail"].startswith("Not enough credit: this send needs 3 credits")
    assert send_calls(two_left) == []


def test_the_relay_answers_the_gateways_own_credit_code(app, two_left):
    with app.app_context():
        issued = relay_sites.create_site("shop", ["010-1234-5678"], by=CLI_ACTOR)
    fields = {"user_id": issued.site.user_id, "secure": issued.secure, "msg": "안녕하세요",
              "rphone": THREE.replace(" ", ""), "sphone1": "010", "sphone2": "1234",
              "sphone3": "5678", "mode": "1", "smsType": "S"}
    answer = app.test_client().post(
        "/relay/sms_sender.php", data=urlencode({k: b64(v) for k, v in fields.items()}),
        content_type="application/x-www-form-urlencoded")
    assert (answer.status_code, answer.data) == (200, b"-201,2")
    assert send_calls(two_left) == []


def test_the_cli_exits_as_for_a_refusal(app, two_left):
    token_user(app, "sender", "alice")
    answer = app.test_cli_runner().invoke(args=[
        "send", "--user", "alice", "--from", "010-1234-5678", "--text", "안녕하세요", "--json",
        *[arg for number in THREE.split(", ") for arg in ("--to", number)]])
    assert answer.exit_code == EXIT_REFUSED, answer.output
    body = json.loads(answer.output.splitlines()[-1])
    assert (body["code"], body["needed"], body["credit"], body["shortfall"]) == (
        "credit_short", 3, 2, 1)
    assert send_calls(two_left) == []


def test_a_known_credit_is_never_older_than_a_newer_one(app, backend):
    """The newest of the process's memory and the log's last answer wins."""
    sign_in(app, "sender", username="kim")
    backend.accounts[DEMO_USER_ID].credits = 50
    assert submit(app).status is Status.SUCCESS  # the log: 49
    with app.app_context():
        gateway.gateway().last_credit = (utcnow().replace(year=2000), 5)
        assert credit.last_known()[1] == 49


def test_the_send_log_says_why_it_never_reached_the_gateway(app, two_left):
    web = sign_in(app, "sender")
    send_id = web.post("/smssend", data=valid_send(rphone=THREE), headers=JSON).get_json()[
        "send_id"]
    shown = page(sign_in(app, "admin").get(f"/sends/{send_id}?lang=ko"))
    assert shown.select_one("#code-text").get_text() == (
        "보내지 않음: 차감 건수가 잔여 건수보다 많아 게이트웨이로 보내지 않았습니다.")
    assert (shown.select_one("#cost").get_text(), shown.select_one("#forecast").get_text()) == (
        "0", "3")
