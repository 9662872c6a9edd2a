"""The shell in a real browser: every page fits a 1280 px desktop and a 390 px phone (no
sideways scrolling, no column past its box), the navigation is one row on a desktop and a
menu on a phone (with and without JavaScript), and the components keep their distances."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from simulator import DEMO_SENDERS, demo_backend

from .conftest import open_page
from .live import browser_app, serve, sign_in

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# One unbroken word of 400 characters: a link pasted into a message, the worst case for wrapping.
LONG_WORD = "https://shop.example/orders/" + "a1b2c3d4" * 46


def _submit(page: Page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One app with something on every page, made as an admin would through the pages: a
    token, a relay site, a second user, and an LMS whose text is one long word."""
    app = browser_app(tmp_path_factory.mktemp("layout") / "layout.db", demo_backend())
    with serve(app) as base_url:
        context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="ko-KR")
        with open_page(context) as page:
            sign_in(page, base_url)
            page.select_option("#sphone", DEMO_SENDERS[1])
            page.fill("#rphone", "010-2222-3333, 010-4444-5555")
            page.check("#smsType")
            page.fill("#subject", "주문 안내")
            page.fill("#msg", LONG_WORD)
            _submit(page, "#smsForm")
            send_url = page.locator("#log-link").get_attribute("href")
            page.goto("/account/tokens")
            page.fill("#name", "nightly report of the shop's orders, kept for the accountant")
            _submit(page, "#token-form")
            page.goto("/admin/relays")
            page.fill("#name", "flower-shop-order-notifications")
            page.fill("#senders", ", ".join(DEMO_SENDERS))
            page.fill("#daily_limit", "5000")
            page.fill("#allow_ips", "192.168.100.0/24, 10.20.30.0/24, 2001:db8:1234::/48")
            _submit(page, "#add-relay-form")
            page.goto("/admin/users")
            page.fill("#username", "lee-the-weekend-sender")
            page.fill("#password", "a-long-enough-password")
            page.fill("#password2", "a-long-enough-password")
            _submit(page, "#add-user-form")
        yield {"base_url": base_url, "send": send_url}


@pytest.fixture
def admin(browser: Browser, site: dict[str, str]) -> Iterator[Page]:
    """A signed-in admin page on the seeded site (a fresh context: its own session)."""
    context = browser.new_context(base_url=site["base_url"], viewport=DESKTOP, locale="ko-KR")
    with open_page(context) as page:
        sign_in(page, site["base_url"], then=None)
        yield page


PAGES = ["/dashboard", "/smsform", "/sends", "{send}", "/smsresult", "/smscount",
         "/account/tokens", "/account", "/admin/users", "/audit", "/admin/relays", "/gateway"]

FITS = """() => {
    const width = window.innerWidth;
    const out = [];
    for (const wrap of document.querySelectorAll('.table-wrap')) {
        const table = wrap.querySelector('table');
        if (table && table.offsetParent !== null && table.scrollWidth > wrap.clientWidth + 1) {
            out.push(`${table.id} is ${table.scrollWidth}px in ${wrap.clientWidth}px`);
        }
    }
    for (const el of document.querySelectorAll('main *')) {
        if (el.closest('details:not([open])') || el.offsetParent === null) continue;
        const hidden = el.closest('thead');  // a stacked table's column names: read, not seen
        if (hidden && hidden.getBoundingClientRect().width <= 1) continue;
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1) {
            out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ends at ${box.right}`);
        }
    }
    return {page: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_fits_the_window_with_every_column_in_its_box(
        admin: Page, site: dict[str, str], path: str, viewport: dict[str, int]) -> None:
    page = admin
    page.set_viewport_size(viewport)
    page.goto(path.format(**site))
    fit = page.evaluate(FITS)
    assert fit["page"] <= fit["width"] and not fit["out"], fit


def test_a_long_unbroken_text_wraps_on_the_send_page(admin: Page, site: dict[str, str]) -> None:
    page = admin
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto(site["send"])
        text = page.locator("#text")
        expect(text).to_contain_text(LONG_WORD[:40])
        box = text.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"], box
        assert box["height"] > 60  # wrapped onto several lines, not cut off


def _top_items(page: Page) -> list[dict[str, float]]:
    return page.eval_on_selector_all(
        "#nav .nav-groups > li", "(items) => items.map((li) => {"
        "const box = li.getBoundingClientRect(); return {top: box.top, height: box.height,"
        "right: box.right}; })")


def test_the_admins_navigation_is_one_row_on_a_desktop(admin: Page) -> None:
    page = admin
    items = _top_items(page)
    assert len(items) >= 5
    assert {round(i["top"]) for i in items} == {round(items[0]["top"])}, items
    assert max(i["right"] for i in items) <= DESKTOP["width"]
    expect(page.locator("#menu-toggle")).to_be_hidden()
    tools = page.locator("#lang-switch").bounding_box()
    assert tools is not None and abs(tools["y"] - items[0]["top"]) < 44  # the same row
    # A group opens as a menu below its name, and closes again with Escape.
    page.click("#nav-group-admin summary")
    users = page.locator("#nav-admin-users")
    expect(users).to_be_visible()
    box = users.bounding_box()
    assert box is not None and box["y"] > items[0]["top"] + items[0]["height"] - 2
    page.keyboard.press("Escape")
    expect(users).to_be_hidden()
    # The group of the page one is on is marked.
    page.goto("/audit")
    expect(page.locator("#nav-group-admin")).to_have_class("nav-item nav-group is-current")
    expect(page.locator("#nav-admin-audit_trail")).to_have_attribute("aria-current", "page")


def test_the_navigation_folds_into_a_menu_on_a_phone(admin: Page) -> None:
    page = admin
    page.set_viewport_size(PHONE)
    page.goto("/dashboard")
    toggle = page.locator("#menu-toggle summary")
    expect(toggle).to_be_visible()
    expect(page.locator("#nav")).to_be_hidden()
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 72  # one row: the brand and the menu
    toggle.click()
    for link in ("#nav-sends-index", "#nav-admin-users", "#nav-dashboard-gateway",
                 "#nav-auth-account", "#lang-switch"):
        expect(page.locator(link)).to_be_visible()  # every group open in the menu
        box = page.locator(link).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 44  # a finger's size
    page.click("#nav-admin-audit_trail")
    page.wait_for_url("**/audit")
    expect(page.locator("#nav")).to_be_hidden()  # folded again on the next page


def test_the_phone_menu_works_without_javascript(browser: Browser, site: dict[str, str]) -> None:
    context = browser.new_context(base_url=site["base_url"], viewport=PHONE,
                                  java_script_enabled=False)
    with open_page(context) as page:
        sign_in(page, site["base_url"], then=None)
        expect(page.locator("#nav")).to_be_hidden()
        page.click("#menu-toggle summary")
        expect(page.locator("#nav-relay_sites-index")).to_be_visible()
        page.set_viewport_size(DESKTOP)
        page.click("#nav-group-history summary")
        expect(page.locator("#nav-lookup-smsresult")).to_be_visible()


def test_a_result_cell_is_not_drawn_as_a_result_card(admin: Page) -> None:
    page = admin
    page.goto("/sends")
    cell = page.locator("#sends td.result").first
    assert cell.evaluate("(td) => getComputedStyle(td).borderLeftWidth") in ("0px", "1px")


def test_the_charts_words_are_readable_on_a_phone(admin: Page) -> None:
    page = admin
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto("/dashboard")
        sizes = page.eval_on_selector_all(
            "svg#chart text", "(texts) => texts.map((t) => parseFloat(getComputedStyle(t)"
            ".fontSize) * t.ownerSVGElement.getScreenCTM().a)")
        assert sizes and min(sizes) >= 12, (viewport, sizes)
        overflow = page.eval_on_selector_all(
            "svg#chart text", "(texts) => { const card = document.querySelector('#activity')"
            ".getBoundingClientRect(); return texts.filter((t) => { const b ="
            " t.getBoundingClientRect(); return b.left < card.left || b.right > card.right;"
            " }).map((t) => t.textContent); }")
        assert overflow == [], viewport


@pytest.mark.parametrize("path", ["/admin/users", "/account/tokens", "/admin/relays"])
def test_a_form_keeps_its_distance_from_the_table_above(admin: Page, path: str) -> None:
    page = admin
    page.goto(path)
    gap = page.evaluate("""() => {
        const wrap = document.querySelector('.table-wrap');
        const next = wrap.nextElementSibling;
        return next.getBoundingClientRect().top - wrap.getBoundingClientRect().bottom;
    }""")
    assert gap >= 16


def test_stacked_rows_label_each_value_on_a_phone(admin: Page) -> None:
    page = admin
    page.set_viewport_size(PHONE)
    page.goto("/audit")
    cell = page.locator("#audit tbody tr").first.locator("td.address")
    expect(cell).to_be_visible()
    label = cell.evaluate("(td) => getComputedStyle(td, '::before').content")
    assert "주소" in label


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_row_fits_down_to_where_the_menu_folds(admin: Page, lang: str) -> None:
    """Just above the fold (60rem), in either language, the row still holds everything."""
    page = admin
    page.set_viewport_size({"width": 961, "height": 800})
    page.goto(f"/dashboard?lang={lang}")
    boxes = page.eval_on_selector_all(
        "#nav .nav-groups > li, header .tools > *",
        "(els) => els.map((e) => { const b = e.getBoundingClientRect();"
        " return {top: Math.round(b.top), right: b.right}; })")
    assert len({b["top"] for b in boxes}) == 1, boxes
    assert max(b["right"] for b in boxes) <= 961
    expect(page.locator("#menu-toggle")).to_be_hidden()
    page.set_viewport_size({"width": 959, "height": 800})
    expect(page.locator("#menu-toggle")).to_be_visible()
