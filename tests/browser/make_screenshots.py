"""Save screenshots of the app's main pages to docs/screenshots/, on a desktop (1280 px,
``<page>.png``) and a phone (390 px, ``<page>-phone.png``).

Run by hand: ``.venv/bin/python tests/browser/make_screenshots.py``. It serves the real
app on 127.0.0.1 with the in-process simulator (nothing leaves the machine), fills the
form as a person would, and writes smsform, smsform-lms (desktop) and result; then, with a
month of sends written into the log, dashboard, sends, send (one send in full), results,
users and gateway (a key that Cafe24 no longer accepts), nav.png (a menu of the desktop's
navigation open) and menu-phone.png (the phone's folded menu open); and embed.png, a shop's
page on another origin with the form in a frame (?embed=1), and embed-sent.png, the same
after a test send, with the message the shop's page heard; contacts (the address book),
contacts-import (an import's row report) and smsform-group (the form with a group ticked);
smsform-advertising (the advertising switch ticked: the text as it will be sent, counted)
and smsform-advertising-refused (a text written as an advertisement without its sender's
name and opt-out line, refused); optouts (the opt-out list, on a desktop and a phone) and
result-optouts (an advertisement's outcome: the opted-out number left out); bulk-check
(a CP949 customer list's check page: totals, rows left out, the first messages, calls and
cost) and bulk-progress (its job two batches in, on a desktop and a phone); bulk-delivery
(a finished job's page after the delivery sync: delivered, failed, the retry button, on a
desktop and a phone) and send-delivery (one of its batches in the send log, each
recipient's delivery).
``make_screenshots.py bulk`` writes only the bulk pages' shots, ``delivery`` only the last two.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from cafe24.schedule import KST  # noqa: E402
from simulator import GatewayBackend, demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import Send, utcnow  # noqa: E402
from tests.browser.embed_parent import parent_app  # noqa: E402
from tests.browser.live import browser_app, launch, local_only, serve, sign_in  # noqa: E402
from tests.support import make_user  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDE_VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 390, "height": 844}
VIEWPORTS = {"": WIDE_VIEWPORT, "-phone": PHONE_VIEWPORT}
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


def _shot(page: Page, name: str, full_page: bool = True) -> None:
    """Save a screenshot (the whole page, or the window) once the web fonts have settled."""
    page.evaluate("document.fonts.ready")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT)}")


# Sends per weekday (Monday first) in the made-up month behind the dashboard shot.
WEEKDAY_SENDS = (9, 12, 8, 14, 11, 3, 1)
STAFF = ("kim", "lee", "park")
REFUSALS = {4: "-114", 11: "-201", 19: "0044"}  # days ago -> the gateway's code


def _seed_log(app: Flask) -> None:
    """A month of sends in the log, as the send service writes them (the screenshot's data)."""
    now = utcnow()
    today = datetime.now(KST).date()
    rows = []
    for ago in range(29, -1, -1):
        day = today - timedelta(days=ago)
        for n in range(WEEKDAY_SENDS[day.weekday()]):
            at = datetime.combine(day, time(9 + n % 9, (n * 17) % 60), KST)
            created = at.astimezone(UTC).replace(tzinfo=None)  # the log keeps UTC
            if created > now:
                continue
            recipients = 1 + (n * 7 + ago) % 6
            kind = "L" if n % 4 == 3 else "S"
            test = n % 9 == 8
            result = "test" if test else ("reserved" if n % 7 == 5 else "success")
            code = None
            if n == 0 and ago in REFUSALS:
                result, code = "refused", REFUSALS[ago]
            if n == 1 and ago == 2:
                result = "pending"  # the process stopped during the call: unknown
            cost = 0 if test else (3 if kind == "L" else 1) * recipients
            rows.append(Send(created_at=created, actor=STAFF[n % 3], source="form",
                             sender="02-123-4567", kind=kind, text="[하늘꽃집] 안내 문자",
                             recipients=json.dumps([["010-2345-6789", None]] * recipients),
                             recipient_count=recipients, forecast=cost,
                             cost=0 if result == "refused" else None if result == "pending"
                             else cost, test=test, result=result,
                             code=code or {"success": "success", "reserved": "reserved",
                                           "test": "test"}.get(result)))
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def _signed_in(browser: Browser, base_url: str, viewport: dict[str, int]) -> Page:
    """A signed-in page at ``viewport``, left on the dashboard."""
    context = browser.new_context(base_url=base_url, viewport=viewport,
                                  device_scale_factor=1, locale="ko-KR")
    local_only(context)
    page = context.new_page()
    sign_in(page, base_url, then=None)
    return page


def _window(page: Page, name: str, height: int) -> None:
    """Save the top ``height`` pixels of a long page (a list's filters and first rows)."""
    width = page.viewport_size["width"] if page.viewport_size else WIDE_VIEWPORT["width"]
    page.set_viewport_size({"width": width, "height": height})
    _shot(page, name, full_page=False)


def _team_shots(browser: Browser, base_url: str, app: Flask, backend: GatewayBackend) -> None:
    """The dashboard, the send log, one send, the results, the users and the gateway check,
    with a month of history, on a desktop and a phone; and the navigation's menus open."""
    _seed_log(app)
    for name, role in zip(STAFF, ("sender", "sender", "viewer"), strict=True):
        make_user(app, name, "a-long-enough-password", role)
    backend.accounts["demo"].credits = 8420
    for suffix, viewport in VIEWPORTS.items():
        phone = bool(suffix)
        page = _signed_in(browser, base_url, viewport)
        page.click("#chart-data summary")
        page.click("#chart-data summary")  # shut again: the shot shows the chart
        _shot(page, f"dashboard{suffix}.png")
        if phone:
            page.click("#menu-toggle summary")
            _shot(page, "menu-phone.png", full_page=False)
        else:
            page.click("#nav-group-history summary")
            _shot(page, "nav.png", full_page=False)
        page.goto(f"{base_url}/sends")
        _window(page, f"sends{suffix}.png", 1600 if phone else 1300)
        page.set_viewport_size(viewport)
        page.click("#sends tbody tr:first-child td a")
        _shot(page, f"send{suffix}.png")
        page.goto(f"{base_url}/smsresult")
        _window(page, f"results{suffix}.png", 1600 if phone else 1000)
        page.set_viewport_size(viewport)
        page.goto(f"{base_url}/admin/users")
        _shot(page, f"users{suffix}.png")
        real_key = backend.accounts["demo"].secure_key
        backend.accounts["demo"].secure_key = "reissued-at-cafe24"  # -102: the key was reissued
        page.goto(f"{base_url}/gateway")
        _shot(page, f"gateway{suffix}.png")
        backend.accounts["demo"].secure_key = real_key
        page.context.close()


def _contacts_shots(browser: Browser, base_url: str, app: Flask, tmp: str) -> None:
    """The address book (contacts.png, -phone), an import's row report (contacts-import.png)
    and the send form with a group ticked (smsform-group.png)."""
    from smsform.services import contacts
    from smsform.services.audit import CLI_ACTOR

    people = [("김민준", "010-2345-6789", "VIP", "서울"),
              ("이서연", "010-3456-7890", "VIP", "부산"),
              ("박도윤", "010-4567-8901", "일반", "대구"),
              ("최지우", "010-5678-9012", "신규", "인천"),
              ("정하준", "010-6789-0123", "VIP", "광주"),
              ("강서윤", "010-7890-1234", "일반", "대전")]
    with app.app_context():
        for name, phone, grade, city in people:
            contacts.add_contact(phone, name=name, fields={"등급": grade, "지역": city},
                                 groups=["VIP 고객"] if grade == "VIP" else ["뉴스레터"],
                                 by=CLI_ACTOR)
        vip = contacts.find_group("VIP 고객")
    for suffix, viewport in VIEWPORTS.items():
        page = _signed_in(browser, base_url, viewport)
        page.goto(f"{base_url}/contacts")
        _shot(page, f"contacts{suffix}.png")
        page.context.close()
    page = _signed_in(browser, base_url, WIDE_VIEWPORT)
    listing = Path(tmp) / "고객명단.csv"
    listing.write_bytes("이름,휴대폰,등급\r\n윤지호,010-8901-2345,VIP\r\n장예준,없음,일반\r\n"
                        "임수아,010-9012-3456,신규\r\n한은우,010-8901-2345,VIP\r\n"
                        .encode("cp949"))
    page.goto(f"{base_url}/contacts/import")
    page.set_input_files("#file", str(listing))
    page.fill("#group", "VIP 고객")
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    _shot(page, "contacts-import.png")
    page.goto(f"{base_url}/smsform?group={vip.id if vip else ''}")
    page.select_option("#sphone", "02-123-4567")
    page.fill("#msg", "{name}님, VIP 고객님께만 드리는 이달의 혜택을 확인하세요.")
    _shot(page, "smsform-group.png")
    page.context.close()


#: The advertising settings the screenshots' app runs with (docs/compliance.md).
AD_SETTINGS = {"SMSFORM_AD_SENDER_NAME": "하늘꽃집", "SMSFORM_AD_OPTOUT_NUMBER": "080-123-4567"}
AD_TEXT = "5월 가정의 달, 카네이션 바구니 전 품목 10% 할인 (5/6까지)"


def _advertising_shots(browser: Browser, base_url: str) -> None:
    """The form with the advertising switch ticked (smsform-advertising.png), and a text
    written as an advertisement without its name and opt-out line, refused
    (smsform-advertising-refused.png)."""
    page = _open(browser, base_url, WIDE_VIEWPORT)
    _fill(page, AD_TEXT)
    page.check("#advertising")
    page.locator("#advertising-preview").wait_for()
    _shot(page, "smsform-advertising.png")
    page.uncheck("#advertising")
    _fill(page, f"(광고) {AD_TEXT}")
    with page.expect_navigation():
        page.click("#send-button")
    page.locator("#msg-error").wait_for()
    _shot(page, "smsform-advertising-refused.png")
    page.context.close()


def _optout_shots(browser: Browser, base_url: str, app: Flask) -> None:
    """The opt-out list (optouts.png, -phone) and an advertisement sent to a list holding
    an opted-out number: its outcome says the number was left out (result-optouts.png)."""
    from smsform.services import optouts
    from smsform.services.audit import AuditActor
    from smsform.states import OptOutVia

    staff = AuditActor("kim")
    numbers = [("010-2345-6789", OptOutVia.HAND, "080 수신거부 전화"),
               ("010-9876-5432", OptOutVia.API, "쇼핑몰 회원 탈퇴"),
               ("010-3141-5926", OptOutVia.FILE, "080 업체 5월 목록"),
               ("010-2718-2818", OptOutVia.FILE, "080 업체 5월 목록"),
               ("010-1618-0339", OptOutVia.CLI, "")]
    with app.app_context():
        for phone, via, memo in numbers:
            optouts.add(phone, via=via, by=staff, memo=memo or None)
    for suffix, viewport in VIEWPORTS.items():
        page = _signed_in(browser, base_url, viewport)
        page.goto(f"{base_url}/optouts")
        _shot(page, f"optouts{suffix}.png")
        page.context.close()
    page = _open(browser, base_url, WIDE_VIEWPORT)
    _fill(page, AD_TEXT)
    page.check("#advertising")
    with page.expect_navigation():
        page.click("#send-button")
    page.locator("#optouts-excluded").wait_for()
    _shot(page, "result-optouts.png")
    page.context.close()


class _Stop(Exception):
    """Ends a worker's run part-way, for a job caught in the middle."""


def _bulk_shots(browser: Browser, base_url: str, app: Flask, backend: GatewayBackend,
                tmp: str) -> None:
    """A customer list's check page (bulk-check.png, -phone) and its job's progress two
    batches of five in (bulk-progress.png, -phone)."""
    from smsform.services import bulk
    from tests.bulk_support import phones

    backend.accounts["demo"].credits = 8420
    surnames = "김이박최정강조윤장임한오서신권황안송류홍"
    given = ("민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "지호", "예준", "수아")
    numbers = phones(4200, start=23456)
    rows = [("고객명", "휴대폰", "등급")]
    rows += [(surnames[i % len(surnames)] + given[i % len(given)], number,
              ("VIP", "일반", "신규")[i % 3]) for i, number in enumerate(numbers)]
    rows[7] = (rows[7][0], "010-123", rows[7][2])
    rows[15] = (rows[15][0], rows[3][1], rows[15][2])
    rows[40] = (rows[40][0], "", rows[40][2])
    listing = Path(tmp) / "5월_고객명단.csv"
    listing.write_text("\r\n".join(",".join(r) for r in rows) + "\r\n", encoding="cp949")
    for suffix, viewport in VIEWPORTS.items():
        page = _signed_in(browser, base_url, viewport)
        page.goto(f"{base_url}/jobs/new")
        page.set_input_files("#file", str(listing))
        page.select_option("#sender", "02-123-4567")
        page.fill("#text", "[하늘꽃집] {name}님, 5월 가정의 달 카네이션 예약을 받습니다. "
                  "{등급} 고객님께 10% 할인.")
        with page.expect_navigation():
            page.click("#check-button")
        _shot(page, f"bulk-check{suffix}.png")
        with page.expect_navigation():
            page.click("#start-button")
        job_id = int(page.url.rstrip("/").split("/")[-1])
        done = 0

        def two_then_stop(_seconds: float) -> None:
            nonlocal done
            done += 1
            if done >= 2:
                raise _Stop

        with app.app_context():
            try:
                bulk.run(job_id, "screenshot-worker", sleep=two_then_stop)
            except _Stop:
                pass
        page.reload()
        _shot(page, f"bulk-progress{suffix}.png")
        page.context.close()


def _delivery_shots(browser: Browser, base_url: str, app: Flask, backend: GatewayBackend,
                    tmp: str) -> None:
    """A finished job after the delivery sync read the gateway's result list
    (bulk-delivery.png, -phone), and its batch's send with each recipient's delivery
    (send-delivery.png, -phone)."""
    from smsform.services import bulk, delivery

    backend.accounts["demo"].credits = 8420
    backend.settle_after = timedelta(0)  # the simulator's messages are final at once
    names = ("김민준", "이서연", "박도윤", "최지우", "정하준", "강서윤", "조시우", "윤지호")
    # The simulator fails numbers ending in 0000 or 9999, with a refund.
    numbers = ("010-2345-6781", "010-2345-6782", "010-3000-0000", "010-2345-6784",
               "010-2345-6785", "010-3001-9999", "010-2345-6787", "010-2345-6788")
    listing = Path(tmp) / "12월_안내.csv"
    listing.write_text("이름,휴대폰\r\n" + "".join(f"{n},{p}\r\n" for n, p in
                                                  zip(names, numbers, strict=True)),
                       encoding="cp949")
    for suffix, viewport in VIEWPORTS.items():
        page = _signed_in(browser, base_url, viewport)
        page.goto(f"{base_url}/jobs/new")
        page.set_input_files("#file", str(listing))
        page.select_option("#sender", "02-123-4567")
        page.fill("#text", "[하늘꽃집] {name}님, 주문하신 연말 화환이 내일 오전에 도착합니다.")
        with page.expect_navigation():
            page.click("#check-button")
        with page.expect_navigation():
            page.click("#start-button")
        job_id = int(page.url.rstrip("/").split("/")[-1])
        with app.app_context():
            bulk.run(job_id, "screenshot-worker")
            delivery.sync(windows=delivery.Windows(pace=0))
            send_id = db.session.scalars(
                db.select(Send.id).where(Send.job_id == job_id)).first()
        page.reload()
        page.locator("#delivery").wait_for()
        _shot(page, f"bulk-delivery{suffix}.png")
        page.goto(f"{base_url}/sends/{send_id}")
        _shot(page, f"send-delivery{suffix}.png")
        page.context.close()


def _embed_shot(browser: Browser, tmp: str) -> None:
    """A shop's back office (another origin, allowed) with the send form in its frame."""
    with serve(parent_app) as shop:
        app = browser_app(Path(tmp) / "embed.db", demo_backend(), SMSFORM_FRAME_ANCESTORS=shop)
        with serve(app) as base_url:
            context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                          device_scale_factor=1, locale="ko-KR")
            local_only(context)
            page = context.new_page()
            sign_in(page, base_url, then=None)
            frame_url = quote(f"{base_url}/smsform?embed=1", safe="")
            page.goto(f"{shop}/?frame={frame_url}&height=880")
            frame = page.frame_locator("#smsform")
            frame.locator("#sphone[data-loaded='1']").wait_for(state="attached")
            frame.locator("#sphone").select_option("02-123-4567")
            frame.locator("#rphone").fill(RECIPIENTS)
            frame.locator("#msg").fill(SHORT)
            _shot(page, "embed.png", full_page=False)
            frame.locator("#testflag").check()
            frame.locator("#send-button").click()
            page.locator("#heard li").wait_for()  # the shop heard of it: embed-sent.png
            page.eval_on_selector("#smsform", "frame => { frame.style.height = '600px'; }")
            _shot(page, "embed-sent.png", full_page=False)
            context.close()


def main() -> None:
    """Serve the app, take the screenshots, stop."""
    OUT.mkdir(parents=True, exist_ok=True)
    only = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        backend = demo_backend()
        app = browser_app(Path(tmp) / "screenshots.db", backend, SMSFORM_BULK_PACE_MS="1",
                          **AD_SETTINGS)
        with serve(app) as base_url, sync_playwright() as playwright:
            browser = launch(playwright)
            if only in (["bulk"], ["delivery"]):
                shots = _bulk_shots if only == ["bulk"] else _delivery_shots
                shots(browser, base_url, app, backend, tmp)
                browser.close()
                return
            for suffix, viewport in VIEWPORTS.items():
                page = _open(browser, base_url, viewport)
                _fill(page, SHORT)
                _shot(page, f"smsform{suffix}.png")
                if not suffix:
                    _fill(page, LONG, subject="가정의 달 카네이션 예약")
                    _shot(page, "smsform-lms.png")
                with page.expect_navigation():
                    page.click("#send-button")
                _shot(page, f"result{suffix}.png")
                page.context.close()

            _team_shots(browser, base_url, app, backend)
            _contacts_shots(browser, base_url, app, tmp)
            _advertising_shots(browser, base_url)
            _optout_shots(browser, base_url, app)
            _bulk_shots(browser, base_url, app, backend, tmp)
            _delivery_shots(browser, base_url, app, backend, tmp)
            _embed_shot(browser, tmp)
            browser.close()


if __name__ == "__main__":
    main()
