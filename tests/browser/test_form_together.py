"""Issue 14's whole form in one real browser: pick an address book group and a template,
tick advertising, read the text as it will be sent and its byte count, send. The gateway
gets the built text once, the group's names through ``destination``, and not the member
who opted out, whom the result page names."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from cafe24 import message
from cafe24.calls import Recipient, SendRequest
from cafe24.schedule import KST
from simulator import DEMO_SENDERS, GatewayBackend
from smsform.services import contacts, optouts, templates
from smsform.services.audit import CLI_ACTOR
from smsform.services.compliance import AdRules
from smsform.states import OptOutVia

from .live import browser_app

NAME, NUMBER = "스마일상사", "080-123-4567"
RULES = AdRules(NAME, NUMBER)
TEXT = "{name}님, 이번 주말 회원 전용 20% 할인 행사에 초대합니다."
MEMBERS = {"010-5000-0001": "홍길동", "010-5000-0002": "김철수", "010-5000-0003": "이영희"}
OPTED_OUT = "010-5000-0003"


def noon() -> datetime:
    return datetime.combine(datetime.now(KST).date(), time(12, 0), tzinfo=KST)


@pytest.fixture
def app(backend: GatewayBackend, tmp_path: Path) -> Flask:
    """The browsers' app with the advertising settings, its clock at noon (Korea time)."""
    return browser_app(tmp_path / "browser.db", backend, SMSFORM_AD_SENDER_NAME=NAME,
                       SMSFORM_AD_OPTOUT_NUMBER=NUMBER, SMSFORM_CLOCK=noon)


def test_a_group_a_template_and_the_advertising_switch_send_the_built_text(
        app: Flask, signed_in_page: Page, backend: GatewayBackend) -> None:
    with app.app_context():
        for phone, name in MEMBERS.items():
            contacts.add_contact(phone, name=name, groups=["회원"], by=CLI_ACTOR)
        group = contacts.find_group("회원").id
        templates.create("주말 행사", TEXT, by=CLI_ACTOR)
        optouts.add(OPTED_OUT, via=OptOutVia.CLI, by=CLI_ACTOR)
    page = signed_in_page
    page.reload()  # the address book and the template exist now
    page.select_option("#sphone", DEMO_SENDERS[0])

    with page.expect_response("**/contacts/groups.json"):
        page.click("#group-chooser summary")
    page.check(f"#group-{group}")
    expect(page.locator("#group-status")).to_contain_text("3")
    with page.expect_response("**/templates.json"):
        page.click("#template-chooser summary")
    page.select_option("#template-select", label="주말 행사")
    page.click("#use-template")
    expect(page.locator("#msg")).to_have_value(TEXT)

    page.check("#advertising")
    built = RULES.build(TEXT)
    expect(page.locator("#advertising-preview")).to_have_text(built)
    # The server's count of the text as sent, with the longest name merged in: the meter's.
    sent_as = SendRequest(msg=built, sender=DEMO_SENDERS[0], named=tuple(
        Recipient(phone, name) for phone, name in MEMBERS.items() if phone != OPTED_OUT))
    meter = page.locator("#meter")
    expect(meter).to_have_attribute("data-kind", sent_as.kind)
    longest = max((n for p, n in MEMBERS.items() if p != OPTED_OUT), key=message.euckr_length)
    expect(meter).to_have_attribute(
        "data-bytes", str(message.euckr_length(built.replace("{name}", longest))))
    assert sent_as.kind == "L"  # 100 bytes once labelled: an LMS, as the meter says

    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    expect(page.locator("#optouts-excluded")).to_contain_text("010-5000-0003")
    [call] = [c.fields for c in backend.calls if c.path == "/sms_sender.php"]
    assert call["msg"] == built  # labelled once, the opt-out line once, {name} left to merge
    assert "홍길동" in call["destination"] and "김철수" in call["destination"]
    assert "이영희" not in call["destination"] and "01050000003" not in call["rphone"]
