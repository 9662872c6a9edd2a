"""The advertising switch in a real browser: ticking it shows the text as it will be sent
(the label with the sender's name, the text, the free opt-out line), the meter counts those
bytes live as the server does, and the send carries exactly that text."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from cafe24 import message
from cafe24.calls import SendRequest
from cafe24.schedule import KST
from simulator import DEMO_SENDERS, GatewayBackend
from smsform.services.compliance import AdRules

from .live import browser_app
from .test_smsform import meter_text, send_calls, submit

NAME, NUMBER = "스마일상사", "080-123-4567"
RULES = AdRules(NAME, NUMBER)


def noon() -> datetime:
    return datetime.combine(datetime.now(KST).date(), time(12, 0), tzinfo=KST)


@pytest.fixture
def app(backend: GatewayBackend, tmp_path: Path) -> Flask:
    """The browsers' app with the advertising settings, its clock at noon (Korea time)."""
    return browser_app(tmp_path / "browser.db", backend, SMSFORM_AD_SENDER_NAME=NAME,
                       SMSFORM_AD_OPTOUT_NUMBER=NUMBER, SMSFORM_CLOCK=noon)


def server_count(text: str) -> tuple[int, str]:
    """The built text's EUC-KR bytes and kind, as the send service counts them."""
    built = SendRequest(msg=RULES.build(text), sender=DEMO_SENDERS[0],
                        recipients=("010-2222-3333",))
    return message.euckr_length(built.text), built.kind


def test_the_meter_counts_the_built_text_live_and_the_send_carries_it(
        signed_in_page: Page, backend: GatewayBackend) -> None:
    page = signed_in_page
    meter, preview = page.locator("#meter"), page.locator("#advertising-preview")
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", "010-2222-3333")
    typed = "오늘만 50% 할인"
    page.fill("#msg", typed)
    expect(meter).to_have_attribute("data-bytes", str(message.euckr_length(typed)))
    expect(preview).to_be_hidden()

    page.check("#advertising")
    nbytes, kind = server_count(typed)
    assert kind == "S" and nbytes == 58
    expect(meter).to_have_attribute("data-bytes", str(nbytes))
    expect(meter).to_have_text(meter_text(nbytes, "S"))
    expect(preview).to_have_text(f"(광고){NAME}\n{typed}\n무료수신거부 {NUMBER}")

    longer = typed + " 가" * 22  # 91 bytes or more once labelled: an LMS
    page.fill("#msg", longer)
    nbytes, kind = server_count(longer)
    assert kind == "L" and message.euckr_length(longer) <= message.SMS_LIMIT
    expect(meter).to_have_attribute("data-bytes", str(nbytes))
    expect(meter).to_have_attribute("data-kind", "L")
    expect(page.locator("#smsType")).to_be_checked()

    page.uncheck("#advertising")
    expect(meter).to_have_attribute("data-bytes", str(message.euckr_length(longer)))
    expect(meter).to_have_attribute("data-kind", "S")
    expect(preview).to_be_hidden()

    page.check("#advertising")
    submit(page)
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [fields] = send_calls(backend)
    assert fields["msg"] == RULES.build(longer)
    assert fields["smsType"] == "L"
