"""The law's judge on every way in: the form, the JSON send, the API, the CLI and the relay
(the PHP sample's bytes) build an advertisement's text, refuse a malformed one, refuse one
at night (the app's clock set by the test) and log that a send was an advertisement."""

from __future__ import annotations

import json
import socket
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from simulator import demo_backend as demo_backend_factory
from smsform.extensions import db
from smsform.models import Send
from smsform.services import compliance, relay_sites
from smsform.services.audit import CLI_ACTOR
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

NAME, OPTOUT_NUMBER = "스마일상사", "080-123-4567"
OPTOUT = f"무료수신거부 {OPTOUT_NUMBER}"
BUILT = f"(광고){NAME}\n오늘만 50% 할인\n{OPTOUT}"
JSON = {"Accept": "application/json"}
TOMORROW = (datetime.now(KST) + timedelta(days=2)).date()


class Clock:
    """The app's clock (``SMSFORM_CLOCK``), set by the test."""

    def __init__(self, hour: int = 12, minute: int = 0) -> None:
        self.set(hour, minute)

    def set(self, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(datetime.now(KST).date(), time(hour, minute), tzinfo=KST)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(backend, clock) -> Flask:
    return build_app(backend, SMSFORM_AD_SENDER_NAME=NAME,
                     SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=clock)


@pytest.fixture
def sender(app: Flask):
    return sign_in(app, "sender")


def sends(app: Flask) -> list[Send]:
    with app.app_context():
        rows = db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()
        db.session.expunge_all()
        return rows


def sent_texts(backend) -> list[str]:
    return [call.fields["msg"] for call in send_calls(backend)]


# -- the form and the JSON send ----------------------------------------------------------


def test_the_form_sends_the_built_text_and_logs_an_advertisement(app, sender, backend):
    response = sender.post("/smssend", data=valid_send(msg="오늘만 50% 할인",
                                                       advertising="Y"))
    assert response.status_code == 200
    assert sent_texts(backend) == [BUILT]
    [row] = sends(app)
    assert (row.advertising, row.text, row.kind) == (True, BUILT, "S")
    detail = page(sender.get(f"/sends/{row.id}")).select_one("#advertising")
    assert "광고" in detail.get_text()
    assert sender.get(f"/sends/{row.id}", headers=JSON).get_json()["advertising"] is True


def test_a_plain_send_is_logged_as_no_advertisement(app, sender, backend):
    sender.post("/smssend", data=valid_send(msg="배송이 시작되었습니다"))
    assert sent_texts(backend) == ["배송이 시작되었습니다"]
    [row] = sends(app)
    assert row.advertising is False
    assert page(sender.get(f"/sends/{row.id}")).select_one("#advertising").get_text(
        strip=True) == "아니요"


def test_the_built_text_decides_sms_or_lms(app, sender, backend):
    # 60 bytes typed: an SMS alone, an LMS with the label, the name and the line (108 bytes).
    sender.post("/smssend", data=valid_send(msg="가" * 30, advertising="Y"))
    [call] = send_calls(backend)
    assert call.fields["smsType"] == "L"
    assert backend.accounts["demo"].credits == 997


def test_the_form_refuses_a_written_advertisement_without_name_and_line(app, sender, backend):
    response = sender.post("/smssend", data=valid_send(msg="(광고) 오늘만 50% 할인"))
    assert response.status_code == 400
    errors = field_errors(page(response), "msg")
    assert any(NAME in e and "(광고)" in e for e in errors), errors
    assert any(OPTOUT in e for e in errors), errors
    assert send_calls(backend) == [] and sends(app) == []


@pytest.mark.parametrize("variant", ["(광 고)", "[광고]", "(광.고)", "(광/고)", '("광고")',
                                     "（광고）"])
def test_the_form_refuses_each_blocked_variant_showing_the_right_spelling(sender, backend,
                                                                         variant):
    response = sender.post("/smssend", data=valid_send(msg=f"{variant}{NAME} 할인\n{OPTOUT}"))
    assert response.status_code == 400
    [error] = field_errors(page(response), "msg")
    assert variant in error and "(광고)" in error
    assert send_calls(backend) == []


@pytest.mark.parametrize(("hour", "minute", "sent"), [
    (20, 59, True), (21, 0, False), (7, 59, False), (8, 0, True)])
def test_the_form_at_the_night_windows_edges(app, sender, backend, clock, hour, minute, sent):
    clock.set(hour, minute)
    response = sender.post("/smssend", data=valid_send(msg="할인", advertising="Y"))
    assert bool(send_calls(backend)) is sent
    if not sent:
        assert response.status_code == 400
        [error] = field_errors(page(response), "advertising")
        assert "21:00" in error and "08:00" in error
        assert page(response).select_one("#advertising").has_attr("checked")  # kept ticked


def test_the_night_rule_leaves_other_sends_alone(sender, backend, clock):
    clock.set(23, 30)
    assert sender.post("/smssend", data=valid_send(msg="배송 안내")).status_code == 200
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize(("rtime", "sent"), [("20:59", True), ("21:00", False),
                                             ("07:59", False), ("08:00", True)])
def test_a_reserved_advertisement_at_the_windows_edges(sender, backend, rtime, sent):
    response = sender.post("/smssend", data=valid_send(
        msg="할인", advertising="Y", rdate=TOMORROW.isoformat(), rtime=rtime))
    assert bool(send_calls(backend)) is sent
    if not sent:
        assert field_errors(page(response), "rtime")


def test_a_repeat_that_falls_in_the_window_is_refused(sender, backend):
    response = sender.post("/smssend", data=valid_send(
        msg="할인", advertising="Y", rdate=TOMORROW.isoformat(), rtime="20:00",
        repeatFlag="Y", repeatNum="2", repeatTime="60"))
    assert response.status_code == 400
    [error] = field_errors(page(response), "repeatNum")
    assert f"{TOMORROW.isoformat()} 21:00" in error
    assert send_calls(backend) == []


def test_the_json_send_takes_the_switch_and_says_why_at_night(app, sender, backend, clock):
    answer = sender.post("/smssend", data=valid_send(msg="오늘만 50% 할인", advertising="1"),
                         headers=JSON)
    assert answer.status_code == 200 and sent_texts(backend) == [BUILT]
    built = sender.post("/smssend", data=valid_send(msg="가" * 30, advertising="Y"),
                        headers=JSON).get_json()  # 60 bytes typed, 108 sent: an LMS
    assert (built["kind"], built["forecast"], built["cost"]) == ("L", 3, 3)
    clock.set(22)
    refused = sender.post("/smssend", data=valid_send(msg="오늘만 50% 할인", advertising="1"),
                          headers=JSON)
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["code"] == "invalid"
    assert "08:00" in body["errors"]["advertising"][0]
    assert len(send_calls(backend)) == 2


def test_without_the_settings_the_form_says_which_is_missing(backend, clock):
    app = build_app(backend, SMSFORM_AD_SENDER_NAME=NAME, SMSFORM_CLOCK=clock)  # noon
    client = sign_in(app, "sender")
    form = page(client.get("/smsform"))
    assert "SMSFORM_AD_OPTOUT_NUMBER" in form.select_one("#advertising-setup").get_text()
    response = client.post("/smssend", data=valid_send(msg="할인", advertising="Y"))
    assert response.status_code == 400
    [error] = field_errors(page(response), "advertising")
    assert "SMSFORM_AD_OPTOUT_NUMBER" in error
    assert send_calls(backend) == []


def test_the_form_hands_the_script_what_the_switch_writes(sender):
    config = json.loads(page(sender.get("/smsform")).select_one("#smsform-config").string)
    assert config["advertising"] == {
        "label": "(광고)", "firstLine": f"(광고){NAME}", "optoutLine": OPTOUT,
        "blanks": " \t\n", "missing": [], "nightStart": "21:00", "nightEnd": "08:00"}


# -- the API --------------------------------------------------------------------------------


@pytest.fixture
def token(app: Flask) -> str:
    return token_user(app)


def api_send(app: Flask, token: str, **body):
    return app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": ["010-2222-3333"], "text": "오늘만 50% 할인", **body})


def test_the_api_builds_the_text_and_answers_advertising(app, backend, token):
    answer = api_send(app, token, advertising=True)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["advertising"] is True
    assert sent_texts(backend) == [BUILT]
    viewer = token_user(app, "viewer")
    read = app.test_client().get(answer.headers["Location"], headers=bearer(viewer)).get_json()
    assert (read["advertising"], read["text"]) == (True, BUILT)


def test_the_api_refuses_at_night_and_a_malformed_text_with_the_laws_codes(app, backend,
                                                                          clock, token):
    clock.set(21)
    night = api_send(app, token, advertising=True)
    assert night.status_code == 422
    body = night.get_json()
    assert body["code"] == "ad_night" and body["type"].endswith("#problem-ad_night")
    today = clock.now.date().isoformat()
    assert body["at"] == f"{today}T21:00:00+09:00"
    assert body["resume"].endswith("T08:00:00+09:00") and body["resume"] > body["at"]
    assert "08:00" in body["errors"]["advertising"][0]
    clock.set(12)
    malformed = api_send(app, token, text="[광고] 할인")
    assert malformed.status_code == 422
    body = malformed.get_json()
    assert (body["code"], body["written"], body["right"]) == ("ad_label_variant", "[광고]",
                                                              "(광고)")
    assert "(광고)" in body["errors"]["text"][0]
    mixed = api_send(app, token, text="(광고) 할인", to=["010-2222"])  # an input problem too
    assert (mixed.status_code, mixed.get_json()["code"]) == (400, "invalid")
    assert send_calls(backend) == []


def test_every_code_of_the_law_is_in_the_api_document():
    from smsform.api_openapi import PROBLEMS
    assert set(compliance.PROBLEM_CODES) <= set(PROBLEMS)


def test_the_api_document_has_the_switch(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert schemas["MessageIn"]["properties"]["advertising"]["type"] == "boolean"
    assert "advertising" in schemas["MessageSent"]["required"]


# -- the CLI --------------------------------------------------------------------------------


def cli_send(app: Flask, *extra: str, text: str = "오늘만 50% 할인"):
    make_user(app, "alice", "a-long-enough-password", "sender")
    return app.test_cli_runner().invoke(args=[
        "send", "--user", "alice", "--from", DEMO_SENDERS[0], "--to", "010-2222-3333",
        "--text", text, "--json", *extra])


def test_the_cli_sends_with_advertising(app, backend):
    answer = cli_send(app, "--advertising")
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output)["advertising"] is True
    assert sent_texts(backend) == [BUILT]


def test_the_cli_refuses_at_night_with_exit_2(app, backend, clock):
    clock.set(7, 59)
    answer = cli_send(app, "--advertising")
    assert answer.exit_code == 2
    assert "08:00" in answer.output
    assert send_calls(backend) == []


# -- the relay: the PHP sample's bytes ----------------------------------------------------


@pytest.fixture
def relay(tmp_path, clock):
    backend = demo_backend_factory()
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'relay.db'}",
                    RELAY_RATE_LIMIT="1000 per minute", SMSFORM_AD_SENDER_NAME=NAME,
                    SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=clock)
    with app.app_context():
        issued = relay_sites.create_site("shop", ("010-1234-5678",), by=CLI_ACTOR)
    with serve(app) as base:
        yield app, backend, issued, base


def php_send(relay, msg: str) -> bytes:
    """The PHP sample's send of ``msg`` to the relay, byte for byte; the answer's body."""
    _app, _backend, issued, base = relay
    address = urlsplit(base)
    fields = php_sample_send_fields(issued.site.user_id, issued.secure, msg=b64(msg),
                                    destination="", rphone=b64("010-2222-3333"))
    raw = php_sample_request(address.hostname, address.port, "/relay/sms_sender.php", fields)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer.partition(b"\r\n\r\n")[2]


def test_the_relay_answers_3224_at_night_and_0003_for_a_malformed_text(relay, clock):
    app, backend, _issued, _base = relay
    written = f"(광고){NAME} 할인\n{OPTOUT}"
    clock.set(21)
    assert php_send(relay, written) == b"3224,"
    clock.set(20, 59)
    assert php_send(relay, "(광고) 할인") == b"0003,"
    assert php_send(relay, "(광 고)" + written[4:]) == b"0003,"
    assert send_calls(backend) == []
    assert php_send(relay, written).startswith(b"success,")
    assert sent_texts(backend) == [written]  # a relayed text is never rewritten
    assert [row.advertising for row in sends(app)] == [True]
