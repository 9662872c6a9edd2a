"""The form in another site's frame, in Chromium: a shop's page on another origin frames
/smsform?embed=1, sends a test message and hears of it; a page the app does not allow is
refused by the browser, and hears nothing even where framing is not enforced.

The app is on 127.0.0.1:<port A>, the shop's pages on 127.0.0.1:<port B> (allowed) and
127.0.0.1:<port C> (not allowed): other origins, but the same site (a site ignores the
port), exactly the case of a shop on a sibling subdomain: the default SameSite=Lax session
cookie goes along in the frame.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, FrameLocator, Page, Route, expect

from simulator import DEMO_SENDERS, GatewayBackend
from tests.support import ADMIN

from .embed_parent import parent_app
from .live import browser_app, serve, sign_in

FRAME = "#smsform"


@pytest.fixture
def shop() -> Iterator[str]:
    """The shop's pages on an origin the app allows to frame it."""
    with serve(parent_app) as base_url:
        yield base_url


@pytest.fixture
def stranger() -> Iterator[str]:
    """The same pages on an origin the app does not allow."""
    with serve(parent_app) as base_url:
        yield base_url


@pytest.fixture
def app(backend: GatewayBackend, tmp_path: Path, shop: str) -> Flask:
    """The real app (conftest's ``live_server`` serves it) that the shop may frame and
    return to."""
    return browser_app(tmp_path / "browser.db", backend, SMSFORM_FRAME_ANCESTORS=shop,
                       SMSFORM_RETURN_HOSTS=shop)


def framing(parent: str, live_server: str, path: str = "/smsform?embed=1") -> str:
    """The URL of ``parent``'s page that frames ``path`` of the app."""
    return f"{parent}/?frame={quote(live_server + path, safe='')}"


def heard(page: Page) -> list[tuple[str, dict]]:
    """Every message the parent page heard: (origin, data)."""
    return [(item.get_attribute("data-origin"), json.loads(item.text_content()))
            for item in page.locator("#heard li").all()]


def send_test(frame: FrameLocator, **fields: str) -> None:
    """Fill the framed form for a test send to one number and send it."""
    expect(frame.locator("#sphone")).to_have_attribute("data-loaded", "1")
    frame.locator("#sphone").select_option(DEMO_SENDERS[0])
    frame.locator("#rphone").fill("010-2222-3333")
    frame.locator("#msg").fill("[하늘꽃집] 주문하신 꽃다발이 출발했습니다.")
    frame.locator("#testflag").check()
    frame.locator("#send-button").click()


def loosen_framing(context: BrowserContext, live_server: str) -> None:
    """Answer the app's framed pages with ``frame-ancestors *``: a browser that does not
    enforce the policy (or a proxy that drops it), so that only embed.js decides."""

    def loosen(route: Route) -> None:
        request = route.request
        if request.resource_type != "document" or request.frame.parent_frame is None:
            route.fallback()
            return
        answer = route.fetch(max_redirects=0)
        headers = {**answer.headers, "content-security-policy": re.sub(
            r"frame-ancestors [^;]*", "frame-ancestors *",
            answer.headers["content-security-policy"])}
        route.fulfill(response=answer, headers=headers)

    context.route(f"{live_server}/**", loosen)


def test_an_allowed_shop_frames_the_form_without_the_sites_chrome(page: Page, live_server,
                                                                   shop):
    sign_in(page, live_server, then=None)
    page.goto(framing(shop, live_server))
    frame = page.frame_locator(FRAME)
    expect(frame.locator("form#smsForm")).to_be_visible()
    expect(frame.locator("body.embed")).to_have_count(1)
    expect(frame.locator("header, nav, .skip")).to_have_count(0)
    # The form's own script runs in the frame: the meter counts.
    frame.locator("#msg").fill("abc")
    expect(frame.locator("#meter")).to_have_attribute("data-bytes", "3")
    # Sized for the frame: no sideways scrolling at the frame's width.
    width = frame.locator("html").evaluate("e => e.scrollWidth - e.clientWidth")
    assert width == 0


def test_a_test_send_in_the_frame_tells_the_shop(page: Page, live_server, shop, backend):
    sign_in(page, live_server, then=None)
    page.goto(framing(shop, live_server))
    frame = page.frame_locator(FRAME)
    send_test(frame)
    expect(frame.locator("#send-result")).to_have_attribute("data-result", "test")
    expect(frame.locator("body")).to_have_attribute("data-parent-told", "yes")
    expect(page.locator("#heard li")).to_have_count(1)
    [(origin, data)] = heard(page)
    assert origin == live_server
    log_id = int(frame.locator("#log-link").get_attribute("href").rsplit("/", 1)[1])
    assert data == {"type": "smsform:sent", "result": "test", "accepted": True, "code": "test",
                    "kind": "sms", "recipients": 1, "cost": 0, "forecast": 0,
                    "remaining": backend.accounts["demo"].credits, "id": log_id}
    expect(frame.locator("header, nav")).to_have_count(0)  # the result page is embedded too


def test_a_page_on_an_origin_not_allowed_is_refused_by_the_browser(page: Page, live_server,
                                                                   stranger):
    sign_in(page, live_server, then=None)
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(framing(stranger, live_server))
    assert live_server in refusal.value.text
    page.wait_for_load_state("load")  # the frame's load counts in its parent's
    [child] = page.main_frame.child_frames
    assert child.url == "chrome-error://chromewebdata/"  # not the form: Chromium's error page
    expect(page.frame_locator(FRAME).locator("#smsForm")).to_have_count(0)


def test_a_page_not_allowed_hears_nothing_even_where_framing_is_not_enforced(
        page: Page, live_server, stranger):
    loosen_framing(page.context, live_server)
    sign_in(page, live_server, then=None)
    page.goto(framing(stranger, live_server))
    frame = page.frame_locator(FRAME)
    send_test(frame)
    expect(frame.locator("#send-result")).to_have_attribute("data-result", "test")
    expect(frame.locator("body")).to_have_attribute("data-parent-told", "not-allowed")
    assert heard(page) == []


def test_signing_in_inside_the_frame_leads_to_the_embedded_form(page: Page, live_server, shop):
    page.goto(framing(shop, live_server))
    frame = page.frame_locator(FRAME)
    expect(frame.locator("#username")).to_be_visible()
    expect(frame.locator("header, nav")).to_have_count(0)
    frame.locator("#username").fill(ADMIN[0])
    frame.locator("#password").fill(ADMIN[1])
    frame.locator("form:has(#username) button[type=submit]").click()
    expect(frame.locator("form#smsForm input[name=embed]")).to_have_value("1")
    send_test(frame)
    expect(page.locator("#heard li")).to_have_count(1)
    assert heard(page)[0][1]["result"] == "test"


def test_nointeractive_in_the_frame_tells_the_shop_then_goes_to_returnurl(page: Page,
                                                                         live_server, shop):
    sign_in(page, live_server, then=None)
    thanks = f"{shop}/thanks"
    page.goto(framing(shop, live_server,
                      f"/smsform?embed=1&nointeractive=1&returnurl={quote(thanks, safe='')}"))
    frame = page.frame_locator(FRAME)
    send_test(frame)
    expect(frame.locator("#thanks")).to_be_visible()
    expect(page.locator("#heard li")).to_have_count(1)
    assert heard(page)[0][1]["result"] == "test"
    assert page.frame(url=thanks) is not None


def test_nointeractive_in_the_frame_without_returnurl_comes_back_to_the_form(page: Page,
                                                                            live_server, shop):
    sign_in(page, live_server, then=None)
    page.goto(framing(shop, live_server, "/smsform?embed=1&nointeractive=1"))
    frame = page.frame_locator(FRAME)
    send_test(frame)
    expect(frame.locator(".flash.success")).to_be_visible()
    expect(frame.locator("form#smsForm input[name=nointeractive]")).to_have_value("")
    expect(frame.locator("form#smsForm input[name=embed]")).to_have_value("1")
    expect(page.locator("#heard li")).to_have_count(1)
