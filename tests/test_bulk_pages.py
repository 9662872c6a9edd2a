"""The bulk pages (views/bulk.py): a list uploaded or pasted with its message, the check
page (totals, rows left out, the first messages, calls and cost, other columns), start,
the progress page and its JSON, pause, resume, cancel, the report; who may do what, masking
for viewers, and the upload limit of this one route."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta

import pytest

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.services import bulk
from tests.api_support import audit_events
from tests.bulk_support import phones
from tests.lists_support import csv_bytes, xlsx
from tests.support import page, send_calls, sign_in

SENDER = DEMO_SENDERS[0]
#: A customer list as Excel in Korea saves it: CP949, a bad number, a duplicate.
ROWS = [("이름", "휴대폰", "등급"), ("윤지호", "010-8901-2345", "VIP"),
        ("장예준", "없음", "일반"), ("임수아", "010-9012-3456", "신규"),
        ("한은우", "010-8901-2345", "VIP")]
CP949_LIST = csv_bytes(ROWS, encoding="cp949")


@pytest.fixture
def sender(app):
    return sign_in(app, "sender")


def _post(client, data: bytes | None = None, filename: str = "고객.csv", **fields):
    form = {"sender": SENDER, "text": "{name}님, 이번 달 혜택을 확인하세요.", "kind": "auto",
            **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/jobs/new?lang=ko", data=form, content_type="multipart/form-data")


def _job_id(answer) -> int:
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    return int(answer.headers["Location"].split("/")[2])


def test_the_new_job_form_offers_the_registered_senders_and_the_list_limits(sender):
    form = page(sender.get("/jobs/new?lang=ko"))
    assert [o["value"] for o in form.select("#sender option") if o["value"]] == list(
        DEMO_SENDERS)
    assert form.select_one("#job-form")["enctype"] == "multipart/form-data"
    assert "100,000" in form.select_one("#file-help").text
    assert "20 MB" in form.select_one("#file-help").text
    assert {i["name"] for i in form.select("#job-form [name]")} >= {
        "file", "paste", "sender", "text", "subject", "kind", "test", "advertising",
        "send_date", "send_time", "phone_column", "name_column"}


def test_a_cp949_list_is_read_and_checked_before_anything_is_sent(app, sender, backend):
    job_id = _job_id(_post(sender, CP949_LIST))
    shown = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    figures = {key: shown.select_one(f"#count-{key}").text for key in (
        "rows", "recipients", "refused", "duplicates", "opted-out")}
    assert figures == {"rows": "4", "recipients": "2", "refused": "1", "duplicates": "1",
                       "opted-out": "0"}
    report = [[td.text for td in tr.select("td")] for tr in shown.select("#row-report tbody tr")]
    assert report == [["3", "없음", "게이트웨이가 받지 않는 번호"],
                      ["5", "010-8901-2345", "중복된 번호 (처음 나온 행: 2)"]]
    previews = [li.select_one("pre").text for li in shown.select("#preview-list li")]
    assert previews == ["윤지호님, 이번 달 혜택을 확인하세요.",
                        "임수아님, 이번 달 혜택을 확인하세요."]
    assert shown.select_one("#calls").text.startswith("1")
    assert "2" in shown.select_one("#cost").text
    assert shown.select_one("#start-button").get("disabled") is None
    assert send_calls(backend) == []


def test_the_rows_left_out_download_as_csv_with_korean_headers(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    answer = sender.get(f"/jobs/{job_id}/problems.csv?lang=ko")
    assert answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["행", "값", "사유"], ["3", "없음", "게이트웨이가 받지 않는 번호"],
                    ["5", "010-8901-2345", "중복된 번호 (처음 나온 행: 2)"]]
    english = sender.get(f"/jobs/{job_id}/problems.csv?lang=en").get_data(as_text=True)
    assert english.lstrip("\ufeff").startswith("Row,Value,Why")


def test_a_pasted_list_is_checked_too(sender):
    job_id = _job_id(_post(sender, paste="010-2345-6789\t김민준\n010-3456-7890\t이서연\n"))
    shown = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    assert shown.select_one("#count-recipients").text == "2"
    assert shown.select_one("#columns") is None  # a pasted list has no columns to choose


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(300):
                part.write(b"\0" * (1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"", "a.csv", "빈 파일"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "photo.csv", "목록으로 읽을 수 없습니다"),
    (csv_bytes([("이름", "메모"), ("홍길동", "VIP")]), "a.csv", "전화번호"),
    (xlsx([("이름",), ("홍길동",)]), "a.xlsx", "전화번호"),
    (csv_bytes(ROWS), "list.xlsx", "엑셀 통합 문서가 아닙니다"),
], ids=["empty", "binary renamed .csv", "no phone column", "no phone column (xlsx)",
        "text renamed .xlsx"])
def test_a_bad_file_shows_the_form_again_with_everything_typed(sender, data, filename, words):
    answer = _post(sender, data, filename, subject="5월 안내", test="y")
    assert answer.status_code == 400
    shown = page(answer)
    assert words in shown.select_one("#list-error").text
    assert shown.select_one("#text").text.strip() == "{name}님, 이번 달 혜택을 확인하세요."
    assert shown.select_one("#subject")["value"] == "5월 안내"
    assert shown.select_one("#sender option[selected]")["value"] == SENDER
    assert shown.select_one("#test").has_attr("checked")


def test_a_zip_bomb_is_refused_in_korean_not_with_a_500(sender):
    answer = _post(sender, _zip_bomb(), "list.xlsx")
    assert answer.status_code == 400
    assert "압축을 풀면" in page(answer).select_one("#list-error").text


def test_no_file_and_no_paste_is_asked_for(sender):
    answer = _post(sender)
    assert answer.status_code == 400
    assert page(answer).select_one("#list-error") is not None


def test_a_message_that_cannot_go_is_shown_beside_the_list(sender):
    answer = _post(sender, CP949_LIST, text="   ")
    assert answer.status_code == 400
    assert page(answer).select(".message-problem")


def _big_list(size: int) -> bytes:
    """A UTF-8 CSV of at least ``size`` bytes: few rows, each with a long memo."""
    lines = ["전화번호,이름,메모"]
    total, n = 0, 0
    while total < size:
        lines.append(f"010-{2000 + n // 10000:04d}-{n % 10000:04d},고객{n},{'x' * 2000}")
        total += len(lines[-1]) + 2
        n += 1
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_only_the_bulk_upload_takes_more_than_the_usual_1_mib(app, sender):
    big = _big_list(int(1.5 * 1024 * 1024))
    assert _post(sender, big, "big.csv").status_code == 303
    other = sender.post("/contacts/import", data={"file": (io.BytesIO(big), "big.csv")},
                        content_type="multipart/form-data")
    assert other.status_code == 413
    pasted = sender.post("/optouts/import", data={"paste": "010-2345-6789\n" * 80_000},
                         content_type="multipart/form-data")
    assert pasted.status_code == 413


def test_a_list_over_the_list_limit_is_refused_by_the_reader_or_413(backend):
    from tests.support import build_app

    app = build_app(backend, SMSFORM_LIST_MAX_BYTES="1000000")
    client = sign_in(app, "sender")
    just_over = _big_list(1_050_000)
    answer = _post(client, just_over, "big.csv")
    assert answer.status_code == 400
    assert "1,000,000" in page(answer).select_one("#list-error").text
    far_over = _big_list(2_000_000)
    assert _post(client, far_over, "big.csv").status_code == 413


def test_a_viewer_reads_the_check_page_masked_and_cannot_start_it(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    viewer = sign_in(app, "viewer")
    shown = page(viewer.get(f"/jobs/{job_id}/check?lang=ko"))
    previews = [li.select_one(".merge-to").text for li in shown.select("#preview-list li")]
    assert previews == ["010-****-2345", "010-****-3456"]
    texts = [li.select_one("pre").text for li in shown.select("#preview-list li")]
    assert texts[0].startswith("윤*호님")
    assert "010-8901-2345" not in str(shown)
    assert shown.select_one("#start-form") is None
    exported = viewer.get(f"/jobs/{job_id}/problems.csv").get_data(as_text=True)
    assert "010-****-2345" in exported and "010-8901-2345" not in exported
    assert viewer.post(f"/jobs/{job_id}/start").status_code == 403
    assert viewer.post(f"/jobs/{job_id}/cancel").status_code == 403
    assert viewer.get("/jobs/new").status_code == 403


def test_another_sender_reads_the_job_masked_and_cannot_control_it(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    other = sign_in(app, "sender", "other-sender")
    shown = page(other.get(f"/jobs/{job_id}/check"))
    assert "010-8901-2345" not in str(shown)
    assert other.post(f"/jobs/{job_id}/start").status_code == 403
    admin = sign_in(app, "admin")
    assert page(admin.get(f"/jobs/{job_id}/check")).select_one("#start-form") is not None


def test_the_columns_can_be_changed_and_the_list_is_read_again(app, sender):
    rows = [("연락처", "담당", "고객명"), ("010-2345-6789", "김팀장", "윤지호"),
            ("010-3456-7890", "김팀장", "임수아")]
    job_id = _job_id(_post(sender, csv_bytes(rows), text="{name}님 안녕하세요"))
    first = page(sender.get(f"/jobs/{job_id}/check"))
    assert first.select_one("#preview-list pre").text == "윤지호님 안녕하세요"
    assert [o["value"] for o in first.select("#name_column option")] == [
        "", "연락처", "고객명", "담당"]
    answer = sender.post(f"/jobs/{job_id}/columns",
                         data={"phone_column": "연락처", "name_column": "담당"})
    new_id = _job_id(answer)
    assert new_id != job_id
    again = page(sender.get(f"/jobs/{new_id}/check"))
    assert again.select_one("#preview-list pre").text == "김팀장님 안녕하세요"
    assert sender.get(f"/jobs/{job_id}/check").status_code == 404  # replaced: never sent


def test_the_rows_left_out_are_paged(app, sender):
    rows = [("전화번호",)] + [(f"bad{n}",) for n in range(250)] + [("010-2345-6789",)]
    job_id = _job_id(_post(sender, csv_bytes(rows), text="안내"))
    first = page(sender.get(f"/jobs/{job_id}/check"))
    assert len(first.select("#row-report tbody tr")) == 100
    third = page(sender.get(f"/jobs/{job_id}/check?page=3"))
    assert [tr.td.text for tr in third.select("#row-report tbody tr")][-1] == "251"
    assert third.select_one(".pager a[rel=next]") is None


def test_the_jobs_list_and_the_navigation(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    listed = page(sender.get("/jobs?lang=ko"))
    row = listed.select_one(f"#jobs tr[data-id='{job_id}']")
    assert row["data-state"] == "checking"
    assert row.select_one("a")["href"] == f"/jobs/{job_id}/check"
    assert listed.select_one("#nav-bulk-index") is not None


def test_a_job_that_does_not_exist_is_404(sender):
    for url in ("/jobs/999", "/jobs/999/check", "/jobs/999.json", "/jobs/999/report.csv",
                "/jobs/999/problems.csv"):
        assert sender.get(url).status_code == 404, url


def test_the_progress_json_of_a_checked_job(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    body = sender.get(f"/jobs/{job_id}.json").get_json()
    assert (body["state"], body["batches_total"], body["recipients_total"]) == (
        "checking", 1, 2)
    same = sender.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).get_json()
    assert same == body
    with app.app_context():
        assert bulk.progress(job_id).percent == 0


# --- start, run, progress, controls, report --------------------------------------------


def _list_of(count: int) -> bytes:
    return csv_bytes([("전화번호", "이름")] + [(p, f"고객{i}") for i, p in
                                          enumerate(phones(count))], encoding="cp949")


def _run(app, job_id: int) -> None:
    """What the worker does when woken: bulk.run on the job."""
    with app.app_context():
        bulk.run(job_id, "test-worker")


def test_a_started_job_runs_and_its_page_shows_100_percent_and_the_report(app, sender,
                                                                        backend):
    backend.accounts["demo"].credits = 5000
    job_id = _job_id(_post(sender, _list_of(1500)))
    started = sender.post(f"/jobs/{job_id}/start?lang=ko")
    assert started.status_code == 303 and started.headers["Location"] == f"/jobs/{job_id}"
    before = page(sender.get(f"/jobs/{job_id}?lang=ko"))
    assert before.select_one("#job")["data-state"] == "running"
    assert before.select_one("#progress")["value"] == "0"
    assert before.select_one("noscript meta[http-equiv=refresh]") is not None
    assert not before.select_one("#pause-form").has_attr("hidden")
    assert before.select_one("#report").has_attr("hidden")
    _run(app, job_id)
    assert len(send_calls(backend)) == 2  # 999 + 501, {name} through destination
    after = page(sender.get(f"/jobs/{job_id}?lang=ko"))
    assert after.select_one("#job")["data-state"] == "done"
    assert after.select_one("#state").text == "완료"
    assert after.select_one("#progress")["value"] == "100"
    assert after.select_one("#fig-batches").text == "2 / 2"
    assert after.select_one("#fig-accepted").text == "1,500"
    assert after.select_one("#fig-credits").text == "1,500"
    assert after.select_one("noscript meta[http-equiv=refresh]") is None
    assert after.select_one("#pause-form").has_attr("hidden")
    assert not after.select_one("#report").has_attr("hidden")
    body = sender.get(f"/jobs/{job_id}.json?lang=ko").get_json()
    assert (body["state"], body["percent"], body["batches_done"]) == ("done", 100, 2)
    assert body["text"]["accepted"] == "1,500" and body["live"] is False
    report = list(csv.reader(io.StringIO(
        sender.get(f"/jobs/{job_id}/report.csv?lang=ko").get_data(as_text=True)
        .lstrip("\ufeff"))))
    assert report[0] == ["번호", "이름", "묶음", "결과", "뜻", "전달 결과", "전달 결과의 뜻"]
    assert len(report) == 1501
    assert report[1][:3] == [phones(1)[0], "고객0", "1"]
    assert report[1][5] == "결과 대기"  # accepted, not yet in the result list
    assert report[-1][2] == "2"


def test_pause_resume_and_cancel_from_the_job_page(app, sender, backend):
    backend.accounts["demo"].credits = 5000
    job_id = _job_id(_post(sender, _list_of(2500)))
    assert sender.post(f"/jobs/{job_id}/start").status_code == 303
    assert sender.post(f"/jobs/{job_id}/pause").status_code == 303
    paused = page(sender.get(f"/jobs/{job_id}?lang=ko"))
    assert paused.select_one("#job")["data-state"] == "paused"
    assert "다시" in paused.select_one("#pause-reason").text or paused.select_one(
        "#pause-reason").text
    assert not paused.select_one("#resume-form").has_attr("hidden")
    _run(app, job_id)
    assert send_calls(backend) == []  # paused: nothing goes
    assert sender.post(f"/jobs/{job_id}/resume").status_code == 303
    with app.app_context():
        bulk.claim_batch(job_id, "w")  # one batch handed over, as a worker would
    cancelled = sender.post(f"/jobs/{job_id}/cancel?lang=ko", follow_redirects=True)
    shown = page(cancelled)
    assert "999" in shown.select(".flash.success")[-1].text
    assert shown.select_one("#job")["data-state"] == "cancelled"
    assert shown.select_one("#controls form:not([hidden])") is None


def test_a_control_refused_says_why_and_a_json_caller_gets_409(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    refused = sender.post(f"/jobs/{job_id}/resume?lang=ko", follow_redirects=True)
    assert page(refused).select_one(".flash.error") is not None
    answer = sender.post(f"/jobs/{job_id}/pause", headers={"Accept": "application/json"})
    assert answer.status_code == 409 and answer.get_json()["code"] == "not_live"


def test_a_job_the_credit_cannot_pay_cannot_start_and_says_what_is_missing(app, sender,
                                                                         backend):
    backend.accounts["demo"].credits = 100
    job_id = _job_id(_post(sender, _list_of(150)))
    shown = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    assert shown.select_one("#remaining").text.startswith("100")
    assert "50" in shown.select_one("#shortfall").text
    assert shown.select_one("#start-button").has_attr("disabled")
    refused = sender.post(f"/jobs/{job_id}/start?lang=ko", follow_redirects=True)
    assert "50" in page(refused).select_one(".flash.error").text
    with app.app_context():
        assert bulk.get(job_id).state == "checking"


def test_a_test_job_costs_nothing_and_goes_whatever_the_credit(app, sender, backend):
    backend.accounts["demo"].credits = 0
    job_id = _job_id(_post(sender, _list_of(20), test="y"))
    shown = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    assert shown.select_one("#shortfall") is None
    assert sender.post(f"/jobs/{job_id}/start").status_code == 303
    _run(app, job_id)
    assert page(sender.get(f"/jobs/{job_id}?lang=en")).select_one(
        "#fig-credits").text == "Test send: none"


def test_a_job_with_a_time_is_scheduled_in_korea_time(app, sender):
    later = datetime.now(KST) + timedelta(days=1)
    job_id = _job_id(_post(sender, CP949_LIST, send_date=later.strftime("%Y-%m-%d"),
                           send_time="10:30"))
    check = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    assert check.select_one("#send-at").text == later.strftime("%Y-%m-%d") + " 10:30 KST"
    with app.app_context():
        stored = bulk.get(job_id).send_at
    assert (stored.hour, stored.minute) == (1, 30)  # UTC
    started = sender.post(f"/jobs/{job_id}/start?lang=ko", follow_redirects=True)
    assert "10:30" in page(started).select_one(".flash.success").text
    assert page(started).select_one("#job")["data-state"] == "scheduled"


def test_a_half_typed_time_is_shown_beside_its_field(sender):
    answer = _post(sender, CP949_LIST, send_date="2030-01-02")
    assert answer.status_code == 400
    assert page(answer).select_one("#send_time-error") is not None


def test_the_report_is_masked_for_a_viewer(app, sender):
    job_id = _job_id(_post(sender, CP949_LIST))
    sender.post(f"/jobs/{job_id}/start")
    _run(app, job_id)
    viewer = sign_in(app, "viewer")
    text = viewer.get(f"/jobs/{job_id}/report.csv").get_data(as_text=True)
    assert "010-****-2345" in text and "010-8901-2345" not in text and "윤*호" in text
    shown = page(viewer.get(f"/jobs/{job_id}"))
    assert shown.select_one("#controls") is None


def test_every_control_is_audited(app, sender):
    job_id = _job_id(_post(sender, _list_of(10)))
    for act in ("start", "pause", "resume", "cancel"):
        assert sender.post(f"/jobs/{job_id}/{act}").status_code == 303, act
    assert [e.action for e in audit_events(app, "job_started", "job_paused", "job_resumed",
                                           "job_cancelled")] == [
        "job_started", "job_paused", "job_resumed", "job_cancelled"]


def test_an_expired_form_comes_back_with_what_was_typed(csrf_app):
    client = sign_in(csrf_app, "sender")
    answer = client.post("/jobs/new?lang=ko", data={
        "csrf_token": "stale", "sender": SENDER, "text": "5월 안내입니다",
        "file": (io.BytesIO(CP949_LIST), "고객.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 400
    shown = page(answer)
    assert shown.select_one("#text").text.strip() == "5월 안내입니다"
    assert shown.select_one(".flash.error") is not None
    with csrf_app.app_context():
        assert bulk.listing()[0] == 0  # nothing kept


def test_a_batch_of_unknown_outcome_is_shown_with_its_send_to_mark(app, backend):
    from tests.test_bulk_recovery import died_holding_a_batch

    backend.accounts["demo"].credits = 10_000
    job_id, send_id = died_holding_a_batch(app, phones(2000), logged="pending")
    with app.app_context():
        bulk.pick_up()
        bulk.run(job_id, "w2")
    admin = sign_in(app, "admin")
    shown = page(admin.get(f"/jobs/{job_id}?lang=ko"))
    assert shown.select_one("#fig-unknown").text == "999"
    assert "999" in shown.select_one("#unknown-note").text
    assert [a["href"] for a in shown.select("#unknown-sends a")] == [f"/sends/{send_id}"]
    assert admin.get(f"/jobs/{job_id}.json").get_json()["unknown_send_ids"] == [send_id]


def test_a_list_with_no_row_to_send_is_checked_but_cannot_start(app, sender):
    rows = [("전화번호", "이름"), ("010-12", "가"), ("없음", "나")]
    job_id = _job_id(_post(sender, csv_bytes(rows), text="안내"))
    shown = page(sender.get(f"/jobs/{job_id}/check?lang=ko"))
    assert shown.select_one("#count-recipients").text == "0"
    assert shown.select_one("#nobody") is not None
    assert shown.select_one("#start-button").has_attr("disabled")
    refused = sender.post(f"/jobs/{job_id}/start?lang=ko", follow_redirects=True)
    assert page(refused).select_one(".flash.error") is not None
    with app.app_context():
        assert bulk.get(job_id).state == "checking"


def test_an_advertisement_is_built_by_the_law_or_refused_naming_what_is_missing(backend):
    from tests.support import build_app

    tomorrow = (datetime.now(KST) + timedelta(days=1)).strftime("%Y-%m-%d")
    plain = sign_in(build_app(backend), "sender")
    refused = _post(plain, CP949_LIST, text="5월 할인 안내", advertising="y",
                    send_date=tomorrow, send_time="10:00")
    assert refused.status_code == 400
    assert "SMSFORM_AD_SENDER_NAME" in page(refused).select_one(".message-problem").text
    app = build_app(backend, SMSFORM_AD_SENDER_NAME="하늘꽃집",
                    SMSFORM_AD_OPTOUT_NUMBER="080-123-4567")
    client = sign_in(app, "sender")
    job_id = _job_id(_post(client, CP949_LIST, text="5월 할인 안내", advertising="y",
                           send_date=tomorrow, send_time="10:00"))
    shown = page(client.get(f"/jobs/{job_id}/check?lang=ko"))
    assert shown.select_one("#advertising") is not None
    arrives = shown.select_one("#preview-list pre").text
    assert arrives.startswith("(광고)하늘꽃집") or arrives.startswith("(광고) 하늘꽃집")
    assert "080-123-4567" in arrives
    again = _job_id(client.post(f"/jobs/{job_id}/columns",
                                data={"phone_column": "휴대폰", "name_column": "이름"}))
    text = page(client.get(f"/jobs/{again}/check")).select_one("#preview-list pre").text
    assert text == arrives and text.count("(광고)") == 1  # read again: built once, not twice


def test_a_batchs_send_in_the_log_links_to_its_job(app, sender, backend):
    backend.accounts["demo"].credits = 5000
    job_id = _job_id(_post(sender, _list_of(1200)))
    sender.post(f"/jobs/{job_id}/start")
    _run(app, job_id)
    with app.app_context():
        send_id = bulk.batches(job_id)[1].send_id
    shown = page(sender.get(f"/sends/{send_id}?lang=ko"))
    link = shown.select_one("#job-link")
    assert link["href"] == f"/jobs/{job_id}" and "묶음 2" in link.text


def test_the_check_page_asks_the_credit_once_a_minute_at_most(app, sender, backend):
    job_id = _job_id(_post(sender, CP949_LIST))
    balance_calls = lambda: len([c for c in backend.calls if c.path == "/sms_remain.php"])  # noqa: E731
    before = balance_calls()
    for _ in range(3):
        assert sender.get(f"/jobs/{job_id}/check").status_code == 200
    assert balance_calls() - before == 1  # the first view asks; the next two use its answer


def test_the_progress_page_and_its_json_read_the_job_on_one_connection(app, sender, backend):
    from sqlalchemy import event

    from smsform.extensions import db

    backend.accounts["demo"].credits = 5000
    job_id = _job_id(_post(sender, _list_of(1500)))
    sender.post(f"/jobs/{job_id}/start")
    _run(app, job_id)
    sender.get(f"/jobs/{job_id}")  # the signed-in person's own reads settled
    taken: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda *args: taken.append("checkout"))
    figures = sender.get(f"/jobs/{job_id}.json").get_json()
    assert figures["delivery"]["waiting"] == 1500  # its delivery counted too
    answer = taken[:]
    taken.clear()
    assert page(sender.get(f"/jobs/{job_id}")).select_one("#fig-accepted").text == "1,500"
    # the person's session (one), then the figures and the delivery on one connection
    # (two before); the page reads the job for its facts first and hands it on (it was
    # read again: 3 and 4 connections before)
    assert (len(answer), len(taken)) == (2, 3)
