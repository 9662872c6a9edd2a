"""The address book in a real browser: a group chosen on the send form sends to its
members with their names (the chooser asks for the groups when opened), the same without
JavaScript from the groups page, and the address book page with its import."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from simulator import DEMO_SENDERS, GatewayBackend
from smsform.services import contacts
from smsform.services.audit import CLI_ACTOR
from tests.lists_support import csv_bytes


def book(app: Flask) -> int:
    with app.app_context():
        contacts.add_contact("010-5000-0001", name="홍길동", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact("010-5000-0002", name="김철수", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact("010-5000-0003", name="이영희", groups=["행사"], by=CLI_ACTOR)
        return contacts.find_group("VIP").id


def sent(backend: GatewayBackend) -> list[dict[str, str]]:
    return [c.fields for c in backend.calls if c.path == "/sms_sender.php"]


def test_a_group_chosen_on_the_form_sends_with_names(app, signed_in_page: Page,
                                                     backend: GatewayBackend) -> None:
    page = signed_in_page
    vip = book(app)
    page.reload()
    expect(page.locator("#group-picker input")).to_have_count(0)  # asked for only when opened
    with page.expect_response("**/contacts/groups.json"):
        page.click("#group-chooser summary")
    expect(page.locator("#group-picker label")).to_have_count(2)
    page.check(f"#group-{vip}")
    expect(page.locator("#group-status")).to_contain_text("2")
    expect(page.locator("#cost")).to_have_attribute("data-cost", "2")  # the meter counts them
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#msg", "{name}님, 행사 안내입니다.")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [call] = sent(backend)
    assert "홍길동" in call["destination"] and "김철수" in call["destination"]
    assert "이영희" not in call["destination"]


def test_without_javascript_the_groups_page_opens_the_form_with_the_group(
        app, no_js_page: Page, backend: GatewayBackend, live_server: str) -> None:
    page = no_js_page
    vip = book(app)
    page.goto(f"{live_server}/contacts/groups")
    with page.expect_navigation():
        page.click(f"#groups tr[data-id='{vip}'] a.send-to-group")
    expect(page.locator(f"#group-picker input[value='{vip}']")).to_be_checked()
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#msg", "안내")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [call] = sent(backend)
    assert "010-5000-0001" in (call.get("destination", "") + call.get("rphone", ""))


def test_the_address_book_imports_a_file_and_pages(app, signed_in_page: Page,
                                                   live_server: str, tmp_path: Path) -> None:
    page = signed_in_page
    path = tmp_path / "고객.csv"
    path.write_bytes(csv_bytes([("이름", "휴대폰"), ("홍길동", "010-1234-5678"),
                                ("김철수", "없음")], "cp949"))
    page.goto(f"{live_server}/contacts/import")
    page.set_input_files("#file", str(path))
    page.fill("#group", "고객")
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    expect(page.locator("#count-added")).to_have_text("1")
    expect(page.locator("#row-report tbody tr")).to_have_count(1)
    page.goto(f"{live_server}/contacts")
    expect(page.locator("#contacts tbody tr .number")).to_have_text(["010-1234-5678"])


def test_a_contact_found_on_the_form_is_sent_to(app, signed_in_page: Page,
                                                backend: GatewayBackend) -> None:
    page = signed_in_page
    book(app)
    page.reload()
    page.click("#group-chooser summary")
    with page.expect_response("**/contacts/choices.json?q=*"):
        page.fill("#contact-search", "이영")
    expect(page.locator("#contact-found li")).to_have_count(1)
    page.click("#contact-found .add-contact")
    expect(page.locator("#contact-chosen input[name=contacts]")).to_be_checked()
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#msg", "{name}님 안내입니다.")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    [call] = sent(backend)
    assert "이영희" in call["destination"] and "010-5000-0003" in call["destination"]
