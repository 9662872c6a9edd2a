"""An advertising template ticks the send's advertising switch on every way it is used:
the form opened with ?template=ID, template_id in the API and send --template in the CLI
(the law's judge then builds the text, as for any advertisement)."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from flask import Flask

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.services import templates
from smsform.services.audit import CLI_ACTOR
from tests.api_support import PASSWORD, bearer, sends, token_user
from tests.support import build_app, make_user, page, send_calls, sign_in

NAME, OPTOUT_NUMBER = "스마일상사", "080-123-4567"
BUILT = f"(광고){NAME}\n오늘만 50% 할인\n무료수신거부 {OPTOUT_NUMBER}"


@pytest.fixture
def app(backend) -> Flask:
    noon = datetime.combine(datetime.now(KST).date(), time(12, 0), tzinfo=KST)
    return build(backend, noon)


def build(backend, now: datetime) -> Flask:
    return build_app(backend, SMSFORM_AD_SENDER_NAME=NAME,
                     SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=lambda: now)


@pytest.fixture
def sale(app) -> int:
    with app.app_context():
        return templates.create("할인", "오늘만 50% 할인", advertising=True, by=CLI_ACTOR).id


def test_the_form_opened_with_an_advertising_template_has_the_switch_on(app, sale):
    soup = page(sign_in(app, "sender").get(f"/smsform?template={sale}"))
    assert soup.select_one("#advertising").has_attr("checked")
    assert soup.select_one("#msg").get_text().strip() == "오늘만 50% 할인"


def test_the_api_sends_an_advertising_template_as_an_advertisement(app, sale, backend):
    client = app.test_client()
    token = token_user(app, "sender", "alice")
    body = {"from": DEMO_SENDERS[0], "to": ["010-2222-3333"], "template_id": sale}
    assert client.post("/api/v1/messages", json=body, headers=bearer(token)).status_code == 201
    assert send_calls(backend)[0].fields["msg"] == BUILT
    assert sends(app)[0].advertising is True
    answer = client.post("/api/v1/messages", json={**body, "advertising": False},
                         headers=bearer(token))
    assert answer.status_code == 201  # the body's own switch wins
    assert send_calls(backend)[1].fields["msg"] == "오늘만 50% 할인"


def test_the_cli_sends_an_advertising_template_as_an_advertisement(app, sale, backend):
    make_user(app, "alice", PASSWORD, "sender")
    answer = app.test_cli_runner().invoke(args=[
        "send", "--user", "alice", "--from", DEMO_SENDERS[0], "--to", "010-2222-3333",
        "--template", "할인"])
    assert answer.exit_code == 0, answer.output
    assert send_calls(backend)[0].fields["msg"] == BUILT
    assert sends(app)[0].advertising is True
