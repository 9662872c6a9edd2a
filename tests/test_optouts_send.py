"""The opt-out list's step in the send's judge (services.compliance.opt_outs), on every way
in: an advertisement never reaches an opted-out number (removed before the call, counted
and shown: the form's outcome, the JSON and API answers' ``excluded``, the relay's answer
in the gateway's format, the log row); one whose every recipient opted out makes no call;
any other send goes to them all and says how many opted out."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from flask import Flask

from cafe24.calls import SendRequest
from simulator import DEMO_SENDERS
from simulator import demo_backend as demo_backend_factory
from smsform.extensions import db
from smsform.models import Send
from smsform.services import optouts, relay_sites
from smsform.services.audit import CLI_ACTOR
from smsform.states import OptOutVia
from tests.api_support import bearer, token_user
from tests.support import (
    b64,
    build_app,
    field_errors,
    make_user,
    page,
    php_sample_request,
    php_sample_send_fields,
    send_calls,
    serve,
    sign_in,
    valid_send,
)
from tests.test_compliance_edges import NAME, OPTOUT_NUMBER, Clock

OUT, IN = "010-2222-3333", "010-4444-5555"
JSON = {"Accept": "application/json"}


@pytest.fixture
def clock() -> Clock:
    return Clock(12)


@pytest.fixture
def app(backend, clock) -> Flask:
    made = build_app(backend, SMSFORM_AD_SENDER_NAME=NAME,
                     SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=clock)
    opt_out(made, OUT)
    return made


def opt_out(app: Flask, *numbers: str) -> None:
    with app.app_context():
        for number in numbers:
            optouts.add(number, via=OptOutVia.CLI, by=CLI_ACTOR)


def sends(app: Flask) -> list[Send]:
    with app.app_context():
        rows = db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()
        db.session.expunge_all()
        return rows


def called_numbers(backend) -> list[str]:
    return [call.fields.get("rphone") or call.fields.get("destination")
            for call in send_calls(backend)]


# -- the step itself ----------------------------------------------------------------------


def test_the_step_leaves_a_send_without_opted_out_numbers_as_it_is(app):
    request = SendRequest(msg="할인", sender=DEMO_SENDERS[0], recipients=(IN,))
    with app.app_context():
        assert optouts.screen(request, True) is None
        screened = optouts.screen(SendRequest(msg="할인", sender=DEMO_SENDERS[0],
                                              recipients=(IN, "01022223333")), True)
    assert screened.request.recipients == (IN,) and screened.opted_out == ("01022223333",)


# -- the form -----------------------------------------------------------------------------


def test_an_advertisement_on_the_form_leaves_the_opted_out_number_out(app, backend):
    sender = sign_in(app, "sender")
    answer = sender.post("/smssend?lang=ko", data=valid_send(
        rphone=f"{OUT}, {IN}", msg="오늘만 할인", advertising="Y"))
    assert answer.status_code == 200
    assert called_numbers(backend) == [IN]  # the call never carried the opted-out number
    shown = page(answer).select_one("#optouts-excluded").get_text(" ", strip=True)
    assert OUT in shown and "수신거부" in shown
    facts = page(answer).select_one("#send-result").get_text(" ", strip=True)
    assert "1명" in facts and "2명" not in facts  # the outcome counts whom it was sent to
    [row] = sends(app)
    assert (row.recipient_count, row.opted_out, json.loads(row.excluded)) == (1, 1, [OUT])
    assert row.cost == 1  # the opted-out number is not charged
    detail = page(sender.get(f"/sends/{row.id}")).select_one("#excluded")
    assert OUT in detail.get_text()
    viewer = sign_in(app, "viewer")
    masked = page(viewer.get(f"/sends/{row.id}")).select_one("#excluded").get_text()
    assert "010-****-3333" in masked and OUT not in masked


def test_an_advertisement_to_opted_out_numbers_only_makes_no_call(app, backend):
    opt_out(app, IN)
    sender = sign_in(app, "sender")
    answer = sender.post("/smssend?lang=ko", data=valid_send(
        rphone=f"{OUT}\n{IN}", msg="오늘만 할인", advertising="Y"))
    assert answer.status_code == 400
    [error] = field_errors(page(answer), "rphone")  # nothing about a missing number
    assert "수신거부" in error and "2" in error
    assert send_calls(backend) == [] and sends(app) == []


def test_a_written_advertisement_is_screened_too(app, backend):
    sender = sign_in(app, "sender")
    written = f"(광고){NAME}\n할인\n무료수신거부 {OPTOUT_NUMBER}"
    sender.post("/smssend", data=valid_send(rphone=f"{OUT},{IN}", msg=written))
    assert called_numbers(backend) == [IN]


def test_a_named_advertisement_leaves_the_opted_out_name_out(app, backend):
    sender = sign_in(app, "sender")
    answer = sender.post("/smssend", data=valid_send(
        rphone="", destination=f"{OUT}|홍길동,{IN}|김철수", msg="{name}님 할인",
        advertising="Y"))
    assert answer.status_code == 200
    assert called_numbers(backend) == [f"{IN}|김철수"]


def test_a_notice_goes_to_every_number_and_says_how_many_opted_out(app, backend):
    sender = sign_in(app, "sender")
    answer = sender.post("/smssend?lang=ko", data=valid_send(
        rphone=f"{OUT}, {IN}", msg="주문하신 상품이 발송되었습니다"))
    assert answer.status_code == 200
    assert called_numbers(backend) == [f"{OUT},{IN}"]
    notice = page(answer).select_one("#optouts-notice").get_text()
    assert "1" in notice and "수신거부" in notice
    assert page(answer).select_one("#optouts-excluded") is None
    [row] = sends(app)
    assert (row.opted_out, row.excluded, row.recipient_count) == (1, None, 2)


def test_a_send_with_no_opted_out_number_says_nothing(app, backend):
    sender = sign_in(app, "sender")
    answer = sender.post("/smssend", data=valid_send(rphone=IN, advertising="Y",
                                                     msg="할인"))
    assert page(answer).select_one("#optouts-excluded") is None
    assert page(answer).select_one("#optouts-notice") is None
    [row] = sends(app)
    assert (row.opted_out, row.excluded) == (None, None)


def test_the_json_send_answers_what_was_left_out(app, backend):
    sender = sign_in(app, "sender")
    body = sender.post("/smssend", headers=JSON, data=valid_send(
        rphone=f"{OUT},{IN}", msg="할인", advertising="Y")).get_json()
    assert (body["excluded"], body["opted_out"], body["recipients"]) == ([OUT], 1, 1)
    notice = sender.post("/smssend", headers=JSON, data=valid_send(
        rphone=f"{OUT},{IN}", msg="배송 안내")).get_json()
    assert (notice["excluded"], notice["opted_out"], notice["recipients"]) == ([], 1, 2)
    refused = sender.post("/smssend", headers=JSON, data=valid_send(
        rphone=OUT, msg="할인", advertising="Y"))
    assert refused.status_code == 400 and "rphone" in refused.get_json()["errors"]
    assert len(send_calls(backend)) == 2


# -- the API ------------------------------------------------------------------------------


def api_send(app: Flask, token: str, **body):
    return app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": [OUT, IN], "text": "오늘만 할인", **body})


def test_the_api_answers_the_excluded_list_and_masks_it_for_a_viewer(app, backend):
    token = token_user(app)
    answer = api_send(app, token, advertising=True)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["excluded"], body["opted_out"], body["recipients"]) == ([OUT], 1, 1)
    assert called_numbers(backend) == [IN]
    own = app.test_client().get(answer.headers["Location"], headers=bearer(token)).get_json()
    assert own["excluded"] == [OUT] and [r["phone"] for r in own["to"]] == [IN]
    viewer = token_user(app, "viewer")
    read = app.test_client().get(answer.headers["Location"], headers=bearer(viewer))
    assert read.get_json()["excluded"] == ["010-****-3333"]
    listed = app.test_client().get("/api/v1/messages", headers=bearer(viewer)).get_json()
    assert listed["items"][0]["excluded"] == ["010-****-3333"]


def test_the_api_refuses_an_advertisement_to_opted_out_numbers_only(app, backend):
    opt_out(app, IN)
    answer = api_send(app, sign_in_token := token_user(app), advertising=True)
    assert answer.status_code == 422  # the law's refusal, with its code and count
    assert (answer.get_json()["code"], answer.get_json()["count"]) == ("all_opted_out", 2)
    assert "수신거부" in answer.get_json()["detail"]
    assert send_calls(backend) == []
    plain = api_send(app, sign_in_token, text="배송 안내")
    assert plain.status_code == 201
    assert (plain.get_json()["opted_out"], plain.get_json()["excluded"]) == (2, [])


# -- the CLI ------------------------------------------------------------------------------


@pytest.fixture
def alice(app: Flask) -> None:
    make_user(app, "alice", "a-long-enough-password", "sender")


def cli_send(app: Flask, *extra: str, to: tuple[str, ...] = (OUT, IN)):
    recipients = [arg for number in to for arg in ("--to", number)]
    return app.test_cli_runner().invoke(args=[
        "send", "--user", "alice", "--from", DEMO_SENDERS[0], *recipients,
        "--text", "오늘만 할인", *extra])


def test_the_cli_leaves_the_opted_out_number_out_and_says_so(app, backend, alice):
    answer = cli_send(app, "--advertising", "--json")
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output)["excluded"] == [OUT]
    assert called_numbers(backend) == [IN]
    said = cli_send(app, "--advertising")
    assert said.exit_code == 0 and OUT in said.output and "수신거부" in said.output


def test_the_cli_refuses_when_everyone_opted_out(app, backend, alice):
    answer = cli_send(app, "--advertising", to=(OUT,))
    assert answer.exit_code == 2 and "수신거부" in answer.output
    assert send_calls(backend) == []


# -- the relay: the PHP sample's bytes ---------------------------------------------------


@pytest.fixture
def relay(tmp_path, clock):
    backend = demo_backend_factory()
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'relay.db'}",
                    RELAY_RATE_LIMIT="1000 per minute", SMSFORM_AD_SENDER_NAME=NAME,
                    SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=clock)
    opt_out(app, OUT)
    with app.app_context():
        issued = relay_sites.create_site("shop", ("010-1234-5678",), by=CLI_ACTOR)
    with serve(app) as base:
        yield app, backend, issued, base


def php_send(relay, msg: str, rphone: str) -> bytes:
    _app, _backend, issued, base = relay
    address = urlsplit(base)
    fields = php_sample_send_fields(issued.site.user_id, issued.secure, msg=b64(msg),
                                    destination="", rphone=b64(rphone))
    raw = php_sample_request(address.hostname, address.port, "/relay/sms_sender.php", fields)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer.partition(b"\r\n\r\n")[2]


def test_the_relay_keeps_the_gateways_answer_and_logs_what_it_left_out(relay):
    app, backend, _issued, _base = relay
    written = f"(광고){NAME} 할인\n무료수신거부 {OPTOUT_NUMBER}"
    assert php_send(relay, written, f"{OUT},{IN}").startswith(b"success,")
    assert called_numbers(backend) == [IN]
    [row] = sends(app)
    assert (row.source, row.opted_out, json.loads(row.excluded)) == ("relay", 1, [OUT])
    assert php_send(relay, written, OUT) == b"-101,"  # nobody left: no call
    assert len(send_calls(backend)) == 1
    assert php_send(relay, "배송 안내", f"{OUT},{IN}").startswith(b"success,")
    assert called_numbers(backend)[-1] == f"{OUT},{IN}"


# -- the service: a group from the address book -------------------------------------------


def test_a_groups_opted_out_member_is_left_out_of_an_advertisement(app, backend):
    from smsform.services import contacts, sending
    from smsform.services.sending import Actor, SendOrder, Status

    with app.app_context():
        contacts.add_contact(OUT, name="홍길동", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact(IN, name="김철수", groups=["VIP"], by=CLI_ACTOR)
        group = contacts.find_group("VIP")
        result = sending.submit(SendOrder(
            SendRequest("{name}님 할인", DEMO_SENDERS[0]), Actor(None, "cli", "cli"),
            groups=(group.id,), advertising=True))
    assert result.status is Status.SUCCESS
    assert [e.phone for e in result.excluded] == [OUT]
    assert called_numbers(backend) == [f"{IN}|김철수"]
