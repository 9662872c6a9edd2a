"""Accounts in a real browser: an admin adds a user, who signs in, is made to change the
first password, and lands on their first page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import ADMIN

FIRST_PASSWORD = "first-password-1234"
OWN_PASSWORD = "my-own-password-5678"
LANDING = re.compile(r"/(dashboard|smsform)$")


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form:has(#username) button[type=submit]")


def test_an_admin_adds_a_user_who_changes_the_first_password(page: Page):
    _sign_in(page, *ADMIN)
    page.goto("/admin/users")
    form = page.locator("#add-user-form")
    form.locator("#username").fill("park")
    form.locator("#role").select_option("viewer")
    form.locator("#password").fill(FIRST_PASSWORD)
    form.locator("#password2").fill(FIRST_PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("#users tr[data-username=park]")
    expect(row.locator(".role select")).to_have_value("viewer")
    expect(row.locator(".must-change")).to_be_visible()

    with page.expect_navigation():
        page.click("header form button[type=submit]")  # sign out
    expect(page).to_have_url(re.compile(r"/login$"))

    _sign_in(page, "park", FIRST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#must-change")).to_be_visible()
    page.goto("/smsresult")  # every page leads back until the password is changed
    expect(page).to_have_url(re.compile(r"/account$"))

    page.fill("#current", FIRST_PASSWORD)
    page.fill("#password", OWN_PASSWORD)
    page.fill("#password2", OWN_PASSWORD)
    with page.expect_navigation():
        page.click("#account-form button[type=submit]")
    expect(page).to_have_url(LANDING)
    expect(page.locator(".flash.success")).to_be_visible()
    page.goto("/smsresult")
    expect(page).to_have_url(re.compile(r"/smsresult$"))  # a viewer may read the results

    with page.expect_navigation():
        page.click("header form button[type=submit]")
    _sign_in(page, "park", OWN_PASSWORD)
    expect(page).to_have_url(LANDING)
