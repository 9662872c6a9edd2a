"""A bulk send in a real browser (issue 15's done-when): a CP949 CSV uploaded, the check
page read, the job started and its progress bar watched to 100 % as the worker sends the
batches (the page polls its JSON: no reload); without JavaScript the page refreshes
itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from huey.consumer import Consumer
from playwright.sync_api import Page, expect

from simulator import DEMO_SENDERS, GatewayBackend
from smsform import worker
from tests.bulk_support import phones
from tests.lists_support import csv_bytes

from .live import browser_app

#: Batches of this list: 2,500 recipients are three gateway calls (999, 999, 502).
RECIPIENTS = 2500


class _ThreadConsumer(Consumer):
    """Huey's consumer in this process's threads, leaving the test runner's signals be."""

    def _set_signal_handlers(self) -> None:
        pass


@pytest.fixture
def app(backend: GatewayBackend, tmp_path: Path) -> Iterator[Flask]:
    """The real app with its real worker: the start's wake-up puts a message on the app's
    Huey queue (memory://, as every test app has it) and a Huey consumer in this process
    runs the job (bulk.run), with a pause between the calls so the bar is seen moving."""
    backend.accounts["demo"].credits = 10_000
    app = browser_app(tmp_path / "browser.db", backend, SMSFORM_BULK_PACE_MS="700")
    consumer = _ThreadConsumer(worker.queue(app), workers=1, worker_type="thread",
                               periodic=False, initial_delay=0.05, max_delay=0.2)
    consumer.start()
    yield app
    consumer.stop(graceful=True)


def _customer_list(tmp_path: Path) -> Path:
    """A customer list as Excel in Korea saves it: CP949, a bad number, a duplicate."""
    numbers = phones(RECIPIENTS)
    rows = [("고객명", "휴대폰", "등급")] + [(f"고객{i}", n, "일반") for i, n in
                                           enumerate(numbers)]
    rows += [("장예준", "없음", "일반"), ("한은우", numbers[0], "VIP")]
    path = tmp_path / "고객명단.csv"
    path.write_bytes(csv_bytes(rows, encoding="cp949"))
    return path


def _upload(page: Page, live_server: str, tmp_path: Path) -> None:
    page.goto(f"{live_server}/jobs/new")
    page.set_input_files("#file", str(_customer_list(tmp_path)))
    page.select_option("#sender", DEMO_SENDERS[0])
    page.fill("#text", "{name}님, 이번 달 혜택을 확인하세요.")
    with page.expect_navigation():
        page.click("#check-button")


def test_a_cp949_list_is_checked_started_and_watched_to_100_percent(
        signed_in_page: Page, live_server: str, tmp_path: Path,
        backend: GatewayBackend) -> None:
    page = signed_in_page
    _upload(page, live_server, tmp_path)
    expect(page.locator("h1")).to_have_text("목록 확인")
    expect(page.locator("#count-rows")).to_have_text("2,502")
    expect(page.locator("#count-recipients")).to_have_text("2,500")
    expect(page.locator("#count-refused")).to_have_text("1")
    expect(page.locator("#count-duplicates")).to_have_text("1")
    expect(page.locator("#calls")).to_contain_text("3")
    expect(page.locator("#preview-list li").first).to_contain_text("고객0님, 이번 달 혜택")
    expect(page.locator("#row-report tbody tr")).to_have_count(2)
    expect(page.locator("#row-report")).to_contain_text("없음")
    with page.expect_navigation():
        page.click("#start-button")
    expect(page.locator("#job")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
    expect(page.locator("#progress")).to_have_attribute("value", "100", timeout=20_000)
    expect(page.locator("#percent")).to_have_text("100 %")
    expect(page.locator("#state")).to_have_text("완료")
    expect(page.locator("#fig-batches")).to_have_text("3 / 3")
    expect(page.locator("#fig-accepted")).to_have_text("2,500")
    expect(page.locator("#report")).to_be_visible()
    expect(page.locator("#pause-form")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage") is True
    calls = [c for c in backend.calls if c.path == "/sms_sender.php"]
    assert len(calls) == 3


def test_without_javascript_a_live_job_page_refreshes_itself_to_the_end(
        no_js_page: Page, live_server: str, tmp_path: Path) -> None:
    page = no_js_page
    _upload(page, live_server, tmp_path)
    expect(page.locator("#count-recipients")).to_have_text("2,500")
    with page.expect_navigation():
        page.click("#start-button")
    expect(page.locator("#job")).to_have_attribute("data-state", "running")
    expect(page.locator("#reload")).to_be_visible()
    # nothing but the page's own <meta refresh> (every 5 s) brings the figures up to date
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=20_000)
    expect(page.locator("#progress")).to_have_attribute("value", "100")
    expect(page.locator("#fig-accepted")).to_have_text("2,500")


def test_the_failed_recipients_of_a_job_are_retried_after_their_check_page(
        signed_in_page: Page, live_server: str, tmp_path: Path, app: Flask,
        backend: GatewayBackend) -> None:
    """Issue 16: a job whose two numbers fail at the gateway (the simulator fails those
    ending 0000 and 9999) shows them after the delivery sync; "retry" opens the check page
    of a job of those two, which runs when started."""
    from datetime import timedelta

    from smsform.services import delivery

    backend.settle_after = timedelta(0)
    page = signed_in_page
    path = tmp_path / "고객.csv"
    path.write_bytes(csv_bytes([("이름", "휴대폰"), ("윤지호", "010-8901-2345"),
                                ("장예준", "010-3000-0000"), ("한은우", "010-3001-9999")],
                               encoding="cp949"))
    page.goto(f"{live_server}/jobs/new")
    page.set_input_files("#file", str(path))
    page.select_option("#sender", DEMO_SENDERS[0])
    page.fill("#text", "{name}님, 안내드립니다.")
    with page.expect_navigation():
        page.click("#check-button")
    with page.expect_navigation():
        page.click("#start-button")
    expect(page.locator("#state")).to_have_text("완료", timeout=20_000)
    with app.app_context():
        delivery.sync(windows=delivery.Windows(pace=0))
    page.reload()
    expect(page.locator("#fig-delivered")).to_have_text("1")
    expect(page.locator("#fig-failed")).to_have_text("2")
    expect(page.locator("#failed-csv")).to_be_visible()
    with page.expect_navigation():
        page.click("#retry-button")
    expect(page.locator("h1")).to_have_text("목록 확인")
    expect(page.locator("#count-recipients")).to_have_text("2")
    expect(page.locator("#retry-of")).to_contain_text("작업 1")
    expect(page.locator("#preview-list li").first).to_contain_text("님, 안내드립니다.")
    before = len([c for c in backend.calls if c.path == "/sms_sender.php"])
    assert before == 1  # the retry's check sent nothing
    with page.expect_navigation():
        page.click("#start-button")
    expect(page.locator("#state")).to_have_text("완료", timeout=20_000)
    expect(page.locator("#fig-accepted")).to_have_text("2")
    assert len([c for c in backend.calls if c.path == "/sms_sender.php"]) == 2
