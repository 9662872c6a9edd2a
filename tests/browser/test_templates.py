"""Templates on the send form in a real browser: the chooser fills the form and sends, and
without JavaScript the templates page's "Use on the form" does the same."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from simulator import DEMO_SENDERS, GatewayBackend
from smsform.services import templates
from smsform.services.audit import CLI_ACTOR

NOTICE = "{name}님, 주문하신 상품이 발송되었습니다. 배송 조회는 홈페이지에서 확인하세요."


def saved(app: Flask, name: str, text: str, **values) -> int:
    with app.app_context():
        return templates.create(name, text, by=CLI_ACTOR, **values).id


def sent(backend: GatewayBackend) -> list[dict[str, str]]:
    return [c.fields for c in backend.calls if c.path == "/sms_sender.php"]


def test_the_chooser_fills_the_form_and_the_filled_form_sends(app, signed_in_page: Page,
                                                              backend: GatewayBackend) -> None:
    page = signed_in_page
    saved(app, "발송 안내", NOTICE, subject="배송 안내", kind="lms")
    saved(app, "짧은 안내", "곧 도착합니다")
    page.reload()  # the templates exist now; the form page itself does not list them
    expect(page.locator("#template-picker")).to_be_hidden()
    with page.expect_response("**/templates.json"):
        page.click("#template-chooser summary")
    expect(page.locator("#template-select option")).to_have_text(["발송 안내", "짧은 안내"])
    expect(page.locator("#template-preview")).to_contain_text("[배송 안내] {name}님")
    page.click("#use-template")
    expect(page.locator("#msg")).to_have_value(NOTICE)
    expect(page.locator("#subject")).to_have_value("배송 안내")
    expect(page.locator("#smsType")).to_be_checked()
    expect(page.locator("#names")).to_have_attribute("open", "")
    expect(page.locator("#template-status")).to_contain_text("발송 안내")
    expect(page.locator("#meter")).to_have_attribute("data-bytes",
                                                     str(len(NOTICE.encode("euc-kr"))))

    # A text typed since is replaced only when the person agrees.
    page.fill("#msg", "직접 쓴 글")
    page.select_option("#template-select", label="짧은 안내")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#use-template")
    expect(page.locator("#msg")).to_have_value("직접 쓴 글")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#use-template")
    expect(page.locator("#msg")).to_have_value("곧 도착합니다")
    expect(page.locator("#smsType")).not_to_be_checked()

    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", "010-2222-3333")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [call] = sent(backend)
    assert call["msg"] == "곧 도착합니다" and call["smsType"] == "S"


def test_without_javascript_the_templates_page_fills_the_form(app, no_js_page: Page,
                                                              backend: GatewayBackend) -> None:
    page = no_js_page
    template_id = saved(app, "발송 안내", "주문하신 상품이 발송되었습니다.", subject="안내",
                        kind="lms")
    page.click("#template-chooser summary")
    with page.expect_navigation():
        page.click("#templates-link")
    with page.expect_navigation():
        page.click(f"#template-{template_id} a.use")
    expect(page.locator("#template-chosen")).to_contain_text("발송 안내")
    expect(page.locator("#msg")).to_have_value("주문하신 상품이 발송되었습니다.")
    expect(page.locator("#subject")).to_have_value("안내")
    expect(page.locator("#smsType")).to_be_checked()
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", "010-2222-3333")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [call] = sent(backend)
    assert call["smsType"] == "L" and call["subject"] == "안내"


def test_an_advertising_template_ticks_the_advertising_switch(app, signed_in_page: Page) -> None:
    page = signed_in_page
    saved(app, "할인", "오늘만 50% 할인", advertising=True)
    saved(app, "안내", "곧 도착합니다")
    page.reload()
    page.click("#template-chooser summary")
    expect(page.locator("#template-select option")).to_have_text(["안내", "할인 (광고)"])
    page.select_option("#template-select", label="할인 (광고)")
    page.click("#use-template")
    expect(page.locator("#advertising")).to_be_checked()
    page.select_option("#template-select", label="안내")
    page.click("#use-template")  # the text is the last template's: no question
    expect(page.locator("#advertising")).not_to_be_checked()
    expect(page.locator("#msg")).to_have_value("곧 도착합니다")
