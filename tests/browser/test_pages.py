"""Pages in a real browser: the results table fits a desktop and a phone, one error per
problem, and an expired form comes back as it was typed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from cafe24.schedule import KST
from simulator import DEMO_SENDERS, GatewayBackend

LONG_MESSAGE = ("배송이 시작되었습니다. 고객님의 주문 상품이 오늘 출발하여 내일 도착할 예정입니다. "
                "문의는 고객센터로 연락 주세요. " * 3)


def _send(page: Page, *, msg: str, rphone: str, lms: bool = False) -> None:
    """Send one message through the form, as a person would; wait for the answer page."""
    page.goto("/smsform")
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", rphone)
    page.fill("#msg", msg)
    if lms:
        page.fill("#subject", "주문 안내")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_be_visible()


@pytest.fixture
def results_page(signed_in_page: Page) -> Page:
    """The results page after an SMS and a long LMS to two numbers."""
    page = signed_in_page
    _send(page, msg="짧은 안내", rphone="010-2222-3333")
    _send(page, msg=LONG_MESSAGE, rphone="010-2222-3333, 010-4444-0000", lms=True)
    page.goto("/smsresult")
    expect(page.locator("table#results tbody tr")).to_have_count(3)
    return page


def _overflow(page: Page) -> dict[str, float]:
    """How far the table and its cells reach past their box and the window."""
    return page.evaluate("""() => {
        const wrap = document.querySelector('.table-wrap');
        const table = document.querySelector('table#results');
        const right = Math.max(...[...table.querySelectorAll('tbody td')]
            .map((c) => c.getBoundingClientRect().right));
        return {table: table.scrollWidth - wrap.clientWidth,
                page: document.documentElement.scrollWidth - window.innerWidth,
                cells: right - wrap.getBoundingClientRect().right};
    }""")


@pytest.mark.parametrize("width", [1280, 1024])
def test_results_table_fits_a_desktop_window(results_page: Page, width: int) -> None:
    page = results_page
    page.set_viewport_size({"width": width, "height": 900})
    sizes = _overflow(page)
    assert sizes["table"] <= 0 and sizes["page"] <= 0 and sizes["cells"] <= 1, sizes
    for header in ("상태", "환불"):
        expect(page.locator("table#results thead th", has_text=header)).to_be_in_viewport()


def test_results_rows_become_cards_on_a_phone(results_page: Page) -> None:
    page = results_page
    page.set_viewport_size({"width": 390, "height": 844})
    sizes = _overflow(page)
    assert sizes["page"] <= 0 and sizes["cells"] <= 1, sizes
    long_one = page.locator("table#results tbody tr[data-kind=lms]").first
    for column in ("sent", "kind", "to", "msg", "status", "refund"):
        cell = long_one.locator(f"td.col-{column}")
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (column, box)
    label = long_one.locator("td.col-refund").evaluate(
        "(td) => getComputedStyle(td, '::before').content")
    assert "환불" in label


def test_the_kind_filter_shows_both_kinds_by_default(results_page: Page) -> None:
    page = results_page
    expect(page.locator("#smsType")).to_have_value("all")
    kinds = page.locator("table#results tbody td.col-kind").all_inner_texts()
    assert sorted(kinds) == ["LMS", "LMS", "SMS"]


def test_a_reservation_too_soon_is_said_once_beside_the_time(
        signed_in_page: Page, backend: GatewayBackend) -> None:
    page = signed_in_page
    soon = datetime.now(KST) + timedelta(minutes=3)
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", "010-2222-3333")
    page.fill("#msg", "예약 문자")
    page.fill("#rdate", soon.strftime("%Y-%m-%d"))
    page.fill("#rtime", soon.strftime("%H:%M"))
    with page.expect_navigation():
        page.click("#send-button")
    beside = page.locator("form#smsForm .field-errors:visible")
    expect(beside).to_have_count(1)
    expect(beside).to_contain_text("10")
    expect(page.locator("#error-summary li")).to_have_count(1)
    # Changing the time takes the server's words away; the live warning speaks from then on.
    page.fill("#rtime", (soon + timedelta(minutes=1)).strftime("%H:%M"))
    expect(page.locator("form#smsForm .field-errors:visible")).to_have_count(1)
    expect(page.locator("#reserve-warning")).to_be_visible()
    assert [c for c in backend.calls if c.path == "/sms_sender.php"] == []


def test_an_expired_form_comes_back_as_typed_and_then_sends(signed_in_page: Page,
                                                            backend: GatewayBackend) -> None:
    page = signed_in_page
    page.select_option("#sphone", DEMO_SENDERS[0])
    page.fill("#rphone", "010-2222-3333")
    page.fill("#msg", "만료된 페이지에서 쓴 문자")
    page.evaluate("document.smsForm.csrf_token.value = 'expired'")
    with page.expect_navigation() as answer:
        page.click("#send-button")
    assert answer.value.status == 400
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#msg")).to_have_value("만료된 페이지에서 쓴 문자")
    expect(page.locator("#rphone")).to_have_value("010-2222-3333")
    assert [c for c in backend.calls if c.path == "/sms_sender.php"] == []
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    assert len([c for c in backend.calls if c.path == "/sms_sender.php"]) == 1
