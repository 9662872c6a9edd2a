"""Playwright fixtures: the real app on 127.0.0.1, CSRF on, driven by headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from simulator import GatewayBackend, demo_backend

from .live import CHROMIUM, browser_app, launch, local_only, serve, sign_in

HERE = Path(__file__).parent
# Every update the form's script makes is synchronous; waiting longer only hides a bug.
expect.set_options(timeout=3_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (so ``-m 'not browser'`` skips them)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session; fail in CI if it is missing, skip elsewhere."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def app(backend: GatewayBackend, tmp_path: Path) -> Flask:
    """The real app on a temp-file database with CSRF on, sending to ``backend``."""
    return browser_app(tmp_path / "browser.db", backend)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """``app`` served on a free port of 127.0.0.1; the base URL."""
    with serve(app) as base_url:
        yield base_url


@contextmanager
def open_page(context: BrowserContext) -> Iterator[Page]:
    """A page on a local-only context; fail the test if its script threw or it left 127.0.0.1."""
    refused = local_only(context)
    page = context.new_page()
    page.set_default_timeout(5_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"
    assert not refused, f"requests to hosts other than 127.0.0.1: {refused}"


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh page (own cookies) at a 1100x1400 window, nobody signed in."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1100, "height": 1400},
                                  locale="ko-KR")
    with open_page(context) as page:
        yield page


@pytest.fixture
def signed_in_page(page: Page, live_server: str) -> Page:
    """``page`` signed in as the admin, on the send form."""
    sign_in(page, live_server)
    return page


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page with JavaScript turned off, signed in as the admin, on the send form."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 1100, "height": 1400})
    with open_page(context) as page:
        sign_in(page, live_server)
        yield page


@pytest.fixture(scope="module")
def shared_form_page(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One signed-in send form for a module's read-only checks (the meter cases)."""
    app = browser_app(tmp_path_factory.mktemp("shared") / "browser.db", demo_backend())
    with serve(app) as base_url:
        context = browser.new_context(base_url=base_url, viewport={"width": 1100, "height": 1400})
        with open_page(context) as page:
            sign_in(page, base_url)
            # Fail once, not once per case, when the form's script is not running at all.
            page.fill("#msg", "a")
            expect(page.locator("#meter"), "main.js did not update #meter").to_have_attribute(
                "data-bytes", "1")
            yield page
