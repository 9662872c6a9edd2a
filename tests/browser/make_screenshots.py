"""Save screenshots of the send form and the result page to docs/screenshots/.

Run by hand: ``.venv/bin/python tests/browser/make_screenshots.py``. It serves the real
app on 127.0.0.1 with the in-process simulator (nothing leaves the machine), fills the
form as a person would, and writes smsform.png, smsform-lms.png, smsform-mobile.png and
result.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from simulator import demo_backend  # noqa: E402
from tests.browser.live import browser_app, launch, local_only, serve, sign_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
FORM_VIEWPORT = {"width": 1100, "height": 1400}
PHONE_VIEWPORT = {"width": 390, "height": 844}
RECIPIENTS = "010-2345-6789, 010-3456-7890\n010-4567-8901"
SHORT = "[하늘꽃집] 주문하신 꽃다발을 오늘 오후 3시에 보내 드립니다. 감사합니다."
LONG = ("[하늘꽃집] 5월 가정의 달 안내\n"
        "어버이날 카네이션 바구니 예약을 5월 6일까지 받습니다. "
        "매장 방문 시 10% 할인, 3만 원 이상 주문은 서울 시내 무료 배송입니다.\n"
        "문의: 02-123-4567")


def _open(browser: Browser, base_url: str, viewport: dict[str, int]) -> Page:
    """A signed-in page on the send form, the sender list loaded and fonts ready."""
    context = browser.new_context(base_url=base_url, viewport=viewport, device_scale_factor=1,
                                  locale="ko-KR")
    local_only(context)
    page = context.new_page()
    sign_in(page, base_url)
    page.wait_for_selector("#sphone[data-loaded='1']", state="attached")
    return page


def _fill(page: Page, msg: str, subject: str = "") -> None:
    """Fill the form as a person would."""
    page.select_option("#sphone", "02-123-4567")
    page.fill("#rphone", RECIPIENTS)
    page.fill("#msg", msg)
    if subject:
        page.fill("#subject", subject)


def _shot(page: Page, name: str) -> None:
    """Save a full-page screenshot once the web fonts have settled."""
    page.evaluate("document.fonts.ready")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    path = OUT / name
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    """Serve the app, take the screenshots, stop."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = browser_app(Path(tmp) / "screenshots.db", demo_backend())
        with serve(app) as base_url, sync_playwright() as playwright:
            browser = launch(playwright)
            page = _open(browser, base_url, FORM_VIEWPORT)
            _fill(page, SHORT)
            _shot(page, "smsform.png")

            _fill(page, LONG, subject="가정의 달 카네이션 예약")
            _shot(page, "smsform-lms.png")

            with page.expect_navigation():
                page.click("#send-button")
            page.set_viewport_size({"width": FORM_VIEWPORT["width"], "height": 800})
            _shot(page, "result.png")

            phone = _open(browser, base_url, PHONE_VIEWPORT)
            _fill(phone, SHORT)
            _shot(phone, "smsform-mobile.png")
            browser.close()


if __name__ == "__main__":
    main()
