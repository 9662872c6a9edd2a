"""The dashboard in a real browser: every role lands on it, reads the credit and the chart's
text alternative, with JavaScript and without."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from simulator import DEMO_CREDITS, GatewayBackend
from tests.support import make_user

from .conftest import open_page
from .live import sign_in

PASSWORD = "a-long-enough-password"


@pytest.fixture
def wide_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh page at 1280 px, the width staff use the dashboard at."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  locale="ko-KR")
    with open_page(context) as page:
        yield page


def test_sign_in_lands_on_the_dashboard_with_credit_and_chart(
        wide_page: Page, live_server: str, backend: GatewayBackend) -> None:
    page = wide_page
    sign_in(page, live_server, then="/smsform")
    page.select_option("#sphone", "02-123-4567")
    page.fill("#rphone", "010-2222-3333, 010-4444-5555")
    page.fill("#msg", "대시보드에 보일 문자")
    with page.expect_navigation():
        page.click("#send-button")
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")

    page.goto(f"{live_server}/login")  # already signed in: the brand link leads home
    page.click("a.brand")
    page.wait_for_url("**/dashboard")
    expect(page.locator("#remaining")).to_have_attribute("data-remaining", str(DEMO_CREDITS - 2))
    expect(page.locator("#remaining")).to_contain_text("998")
    expect(page.locator("#count-success td").first).to_have_text("1")

    title = page.locator("svg#chart > title").text_content()
    assert title and "30" in title
    chart = page.get_by_role("img", name=title)  # the chart's accessible name is its title
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600
    summary = page.locator("#chart-summary")
    expect(summary).to_be_visible()
    description = page.locator("desc#chart-desc").text_content()
    assert description == summary.text_content()
    assert "2" in description  # two messages accepted today
    expect(page.locator("svg#chart rect.bar-messages")).to_have_count(1)

    page.click("#chart-data summary")  # the numbers, day by day
    last_day = page.locator("#chart-data tbody tr").last
    expect(last_day.locator("td").nth(0)).to_have_text("2")
    expect(last_day.locator("td").nth(1)).to_have_text("2")


def test_the_dashboard_reads_without_javascript(browser: Browser, live_server: str,
                                                 app: Flask) -> None:
    make_user(app, "viewer-kim", PASSWORD, "viewer")
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})
    with open_page(context) as page:
        sign_in(page, live_server, "viewer-kim", PASSWORD, then=None)
        expect(page.locator("#remaining")).to_have_attribute("data-remaining",
                                                            str(DEMO_CREDITS))
        expect(page.locator("svg#chart title")).to_have_count(1)
        expect(page.locator("#chart-summary")).not_to_be_empty()
        page.click("#chart-data summary")  # <details> opens without a script
        expect(page.locator("#chart-data tbody tr")).to_have_count(30)
        expect(page.locator('nav a[href="/smsform"]')).to_have_count(0)  # a viewer
        expect(page.locator("#nav-dashboard-index")).to_have_attribute("aria-current", "page")
