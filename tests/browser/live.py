"""The real app on a local port and headless Chromium, for the fixtures and the screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from simulator import GatewayBackend
from tests.support import ADMIN, LOCAL_HOST, build_app, make_user, serve  # noqa: F401 - serve: the browser tests' server

CHROMIUM = os.environ.get("SMSFORM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage"]


def browser_app(db_path: Path, backend: GatewayBackend, **settings: str) -> Flask:
    """The real app on a file database, CSRF on, sending to ``backend``; with an admin
    (``settings``: environment settings such as SMSFORM_FRAME_ANCESTORS)."""
    # A file, not sqlite://: the server answers each request on its own thread. The real
    # migrations, as `make run` applies them.
    app = build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}",
                    WTF_CSRF_ENABLED=True, **settings)
    make_user(app, *ADMIN, role="admin")
    return app


def launch(playwright: Playwright) -> Browser:
    """Start the system Chromium headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def local_only(context: BrowserContext) -> list[str]:
    """Abort every request that is not for 127.0.0.1; return the list of refused URLs."""
    refused: list[str] = []

    def route(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            refused.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    return refused


def sign_in(page: Page, base_url: str, username: str = ADMIN[0],
            password: str = ADMIN[1], then: str | None = "/smsform") -> None:
    """Sign in through the /login page, as a person would; land on the dashboard, then go
    on to ``then`` (the send form unless told otherwise; None stays on the dashboard)."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form:has(#username) button[type=submit]")
    page.wait_for_url("**/dashboard")
    if then:
        page.goto(f"{base_url}{then}")
