"""A job's delivery (issue 16's job side) and "retry the failed": the job page's delivery
counts, the API's job and recipients with their delivery, the failed recipients' CSV (a
list the bulk page reads back), and a retry job from a job or from one send, made after a
check page and never sent twice (services.retry, views/bulk.py, views/sends.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.models import Job, JobRecipient
from smsform.services import accounts, api_tokens, bulk, delivery, retry
from smsform.services.audit import CLI_ACTOR
from smsform.services.lists import Limits
from smsform.services.retry import Origin, RetryRefused
from smsform.services.sending import Actor
from tests.api_support import bearer
from tests.bulk_support import sent_numbers
from tests.lists_support import csv_bytes
from tests.support import build_app, page, send_calls, sign_in, valid_send
from tests.test_compliance_edges import NAME, OPTOUT_NUMBER

SENDER = DEMO_SENDERS[0]
#: The simulator fails numbers ending in 0000 and 9999 (with a refund).
FAILING = ["010-3000-0000", "010-3001-9999"]


@pytest.fixture
def sender(app):
    return sign_in(app, "sender")


def token_of(app, username: str) -> dict[str, str]:
    """The Authorization header of a new token of an existing user."""
    with app.app_context():
        return bearer(api_tokens.create(accounts.find_user(username), "t", by=CLI_ACTOR).token)


def _csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def _job_id(answer) -> int:
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    return int(answer.headers["Location"].split("/")[2])


def _post_list(client, rows, text: str = "{name}님, {등급} 혜택을 확인하세요.") -> int:
    form = {"sender": SENDER, "text": text, "kind": "auto",
            "file": (io.BytesIO(csv_bytes(rows, encoding="cp949")), "고객.csv")}
    return _job_id(client.post("/jobs/new?lang=ko", data=form,
                               content_type="multipart/form-data"))


def _run_and_sync(app, client, job_id: int) -> None:
    assert client.post(f"/jobs/{job_id}/start").status_code == 303
    with app.app_context():
        bulk.run(job_id, "test-worker")
        delivery.sync(windows=delivery.Windows(pace=0))


ROWS = [("이름", "휴대폰", "등급"), ("윤지호", "010-8901-2345", "VIP"),
        ("장예준", FAILING[0], "일반"), ("임수아", "010-9012-3456", "신규"),
        ("한은우", FAILING[1], "VIP")]


@pytest.fixture
def synced(app, sender, clock):
    """A job of four (two fail at the gateway), run and synced: its id."""
    job_id = _post_list(sender, ROWS)
    _run_and_sync(app, sender, job_id)
    return job_id


def test_the_job_page_counts_its_recipients_by_delivery(app, sender, synced):
    shown = page(sender.get(f"/jobs/{synced}?lang=ko"))
    figures = {key: shown.select_one(f"#fig-{key}").text for key in (
        "delivered", "failed", "waiting", "no-report")}
    assert figures == {"delivered": "2", "failed": "2", "waiting": "0", "no-report": "0"}
    body = sender.get(f"/jobs/{synced}.json").get_json()
    assert body["delivery"] == {"waiting": 0, "delivered": 2, "failed": 2, "no_report": 0}
    assert shown.select_one("#failed-csv")["href"] == f"/jobs/{synced}/failed.csv"
    assert shown.select_one("#retry-form")["action"] == f"/jobs/{synced}/retry"


def test_before_the_sync_the_job_s_recipients_wait_and_a_test_job_has_no_delivery(
        app, sender, clock):
    job_id = _post_list(sender, ROWS)
    assert sender.post(f"/jobs/{job_id}/start").status_code == 303
    with app.app_context():
        bulk.run(job_id, "test-worker")
        assert bulk.delivery_counts(job_id) == {"waiting": 4}
    shown = page(sender.get(f"/jobs/{job_id}?lang=ko"))
    assert shown.select_one("#fig-waiting").text == "4"
    assert shown.select_one("#retry-form") is None  # nothing failed (yet)
    test_form = {"sender": SENDER, "text": "안내", "kind": "auto", "test": "y",
                 "paste": "010-8901-2345\n010-3000-0000"}
    test_job = _job_id(sender.post("/jobs/new", data=test_form))
    assert sender.post(f"/jobs/{test_job}/start").status_code == 303
    with app.app_context():
        bulk.run(test_job, "test-worker")
        delivery.sync(windows=delivery.Windows(pace=0))
    assert sender.get(f"/jobs/{test_job}.json").get_json()["delivery"] is None
    assert page(sender.get(f"/jobs/{test_job}")).select_one("#delivery") is None


def test_the_job_s_counts_follow_each_sync_run_while_its_page_is_polled(
        app, sender, backend, clock):
    backend.settle_after = timedelta(days=30)  # the gateway never settles them
    job_id = _post_list(sender, ROWS)
    _run_and_sync(app, sender, job_id)
    assert sender.get(f"/jobs/{job_id}.json").get_json()["delivery"]["waiting"] == 4
    with app.app_context():
        delivery.sync(now=datetime.now(UTC) + timedelta(hours=25),
                      windows=delivery.Windows(pace=0))
    body = sender.get(f"/jobs/{job_id}.json").get_json()
    assert body["delivery"] == {"waiting": 0, "delivered": 0, "failed": 0, "no_report": 4}
    assert body["text"]["delivery_no_report"] == "4"


def test_the_report_and_the_failed_csv_carry_each_recipient_s_delivery(app, sender, synced):
    report = _csv(sender.get(f"/jobs/{synced}/report.csv?lang=ko"))
    delivered = {row[0]: row[5] for row in report[1:]}
    assert delivered == {"010-8901-2345": "전달", FAILING[0]: "실패",
                         "010-9012-3456": "전달", FAILING[1]: "실패"}
    failed = _csv(sender.get(f"/jobs/{synced}/failed.csv?lang=ko"))
    assert failed[0] == ["전화번호", "이름", "등급", "실패 시각", "코드", "뜻", "환불 시각"]
    # In the job's order: its batches, one per merged text (the VIP text first).
    assert [row[:3] for row in failed[1:]] == [[FAILING[1], "한은우", "VIP"],
                                             [FAILING[0], "장예준", "일반"]]
    assert [row[4] for row in failed[1:]] == ["3207", "3208"]  # the simulator's SMS codes
    assert all(row[5] and row[6] for row in failed[1:])  # a meaning and a refund time
    # The CSV is a list the bulk page reads back: number, name and the merged column.
    again = sender.post("/jobs/new?lang=ko", data={
        "sender": SENDER, "text": "{name}님, {등급} 혜택을 다시 안내드립니다.", "kind": "auto",
        "file": (io.BytesIO("\n".join(",".join(r) for r in failed).encode()), "failed.csv")},
        content_type="multipart/form-data")
    checked = page(sender.get(f"/jobs/{_job_id(again)}/check?lang=ko"))
    assert checked.select_one("#count-recipients").text == "2"
    previews = [li.select_one("pre").text for li in checked.select("#preview-list li")]
    assert previews == ["한은우님, VIP 혜택을 다시 안내드립니다.",
                        "장예준님, 일반 혜택을 다시 안내드립니다."]


def test_a_viewer_reads_the_failed_numbers_masked_and_cannot_retry(app, synced):
    viewer = sign_in(app, "viewer")
    failed = _csv(viewer.get(f"/jobs/{synced}/failed.csv"))
    assert [row[0] for row in failed[1:]] == ["010-****-9999", "010-****-0000"]
    assert "장예준" not in str(failed)
    assert page(viewer.get(f"/jobs/{synced}")).select_one("#retry-form") is None
    assert viewer.post(f"/jobs/{synced}/retry").status_code == 403


def test_the_api_gives_the_job_s_delivery_and_filters_its_failed_recipients(
        app, sender, synced):
    token = token_of(app, "sender-user")
    job = sender.get(f"/api/v1/jobs/{synced}", headers=token).get_json()
    assert job["delivery"] == {"delivered": 2, "failed": 2, "waiting": 0, "no_report": 0}
    listed = sender.get("/api/v1/jobs", headers=token).get_json()["items"][0]
    assert listed["id"] == synced and listed["delivery"] is None  # not in the list
    page_ = sender.get(f"/api/v1/jobs/{synced}/recipients", headers=token).get_json()
    by_phone = {r["phone"]: r["delivery"] for r in page_["items"]}
    assert by_phone["010-8901-2345"]["state"] == "delivered"
    assert by_phone[FAILING[0]]["state"] == "failed"
    assert by_phone[FAILING[0]]["code"] == "3208"
    assert by_phone[FAILING[0]]["refunded_at"] is not None
    failed = sender.get(f"/api/v1/jobs/{synced}/recipients?delivery=failed",
                        headers=token).get_json()
    assert [r["phone"] for r in failed["items"]] == FAILING[::-1]  # the job's order
    bad = sender.get(f"/api/v1/jobs/{synced}/recipients?delivery=lost", headers=token)
    assert bad.status_code == 400


# --- retry the failed --------------------------------------------------------------------


def test_retrying_a_job_makes_a_checked_job_of_its_failed_recipients_only(
        app, sender, backend, synced):
    calls = len(send_calls(backend))
    answer = sender.post(f"/jobs/{synced}/retry?lang=ko")
    retry_id = _job_id(answer)
    assert answer.headers["Location"] == f"/jobs/{retry_id}/check"
    assert len(send_calls(backend)) == calls  # nothing sent before the person starts it
    checked = page(sender.get(f"/jobs/{retry_id}/check?lang=ko"))
    assert checked.select_one("#count-recipients").text == "2"
    assert checked.select_one("#retry-of a")["href"] == f"/jobs/{synced}"
    previews = [li.select_one("pre").text for li in checked.select("#preview-list li")]
    assert previews == ["한은우님, VIP 혜택을 확인하세요.", "장예준님, 일반 혜택을 확인하세요."]
    # A second click while it is being checked finds the same job, never a second one.
    assert _job_id(sender.post(f"/jobs/{synced}/retry")) == retry_id
    assert sender.post(f"/jobs/{retry_id}/start").status_code == 303
    with app.app_context():
        bulk.run(retry_id, "test-worker")
    assert sorted(sent_numbers(backend)[-2:]) == sorted(FAILING)
    # Once it has sent, the original's failures are not retried again from there.
    refused = sender.post(f"/jobs/{synced}/retry?lang=ko")
    assert refused.status_code == 303 and refused.headers["Location"] == f"/jobs/{synced}"
    shown = page(sender.get(f"/jobs/{synced}?lang=ko"))
    assert shown.select_one("#retry-stands a")["href"] == f"/jobs/{retry_id}"
    with app.app_context():
        assert retry.pending(Origin(job_id=synced)) == retry_id
        jobs = db.session.execute(select(Job.id).where(Job.retry_of_job == synced)).all()
    assert len(jobs) == 1
    api_job = sender.get(f"/api/v1/jobs/{retry_id}",
                         headers=token_of(app, "sender-user")).get_json()
    assert api_job["retry_of"] == f"job:{synced}"


def test_a_retry_cancelled_before_it_went_may_be_made_again(app, sender, synced):
    first = _job_id(sender.post(f"/jobs/{synced}/retry"))
    assert sender.post(f"/jobs/{first}/cancel").status_code == 303
    second = _job_id(sender.post(f"/jobs/{synced}/retry"))
    assert second != first


def test_retrying_one_send_keeps_its_text_and_names_for_the_failed_recipient(
        app, sender, backend, clock):
    sent = sender.post("/smssend", data=valid_send(
        rphone="", destination=f"010-2222-3333|홍길동,{FAILING[0]}|김철수",
        msg="{name}님 안녕하세요"))
    assert sent.status_code in (200, 303)
    with app.app_context():
        delivery.sync(windows=delivery.Windows(pace=0))
    shown = page(sender.get("/sends/1?lang=ko"))
    assert shown.select_one("#retry-form")["action"] == "/sends/1/retry"
    retry_id = _job_id(sender.post("/sends/1/retry"))
    checked = page(sender.get(f"/jobs/{retry_id}/check?lang=ko"))
    assert checked.select_one("#retry-of a")["href"] == "/sends/1"
    previews = [li.select_one("pre").text for li in checked.select("#preview-list li")]
    assert previews == ["김철수님 안녕하세요"]
    with app.app_context():
        people = db.session.execute(select(JobRecipient.phone, JobRecipient.name).where(
            JobRecipient.job_id == retry_id)).all()
    assert [tuple(p) for p in people] == [("01030000000", "김철수")]


def test_nothing_failed_and_someone_else_s_send_are_refused(app, sender, clock):
    sender.post("/smssend", data=valid_send(rphone="010-2222-3333"))
    with app.app_context():
        delivery.sync(windows=delivery.Windows(pace=0))
    assert page(sender.get("/sends/1")).select_one("#retry-form") is None
    refused = sender.post("/sends/1/retry?lang=ko")
    assert refused.status_code == 303 and refused.headers["Location"] == "/sends/1"
    assert "전달에 실패한 수신자가 없습니다" in sender.get("/sends/1?lang=ko").get_data(
        as_text=True)
    other = sign_in(app, "sender", "other-sender")
    assert other.post("/sends/1/retry").status_code == 403
    assert sender.post("/sends/999/retry").status_code == 404
    with app.app_context():
        with pytest.raises(RetryRefused) as caught:
            retry.prepare(Origin(send_id=1), Actor(None, "cli", "cli"), None, Limits())
    assert caught.value.code == "nothing_failed"


def test_an_advertisement_s_retry_keeps_its_label_once_and_is_judged_again(backend, clock):
    # The law's judge reads noon whatever the hour of the run (the gateway's clock and the
    # send log keep the real time, so the sync matches the send as it went).
    noon = clock.now.replace(hour=12)
    app = build_app(backend, SMSFORM_AD_SENDER_NAME=NAME,
                    SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=lambda: noon)
    sender = sign_in(app, "sender")
    sent = sender.post("/smssend", data=valid_send(
        rphone=f"010-2222-3333,{FAILING[0]}", msg="이번 주 특가 안내", advertising="Y"))
    assert sent.status_code in (200, 303)
    with app.app_context():
        delivery.sync(now=clock.now + timedelta(minutes=1), windows=delivery.Windows(pace=0))
    retry_id = _job_id(sender.post("/sends/1/retry"))
    checked = page(sender.get(f"/jobs/{retry_id}/check?lang=ko"))
    preview = checked.select_one("#preview-list li pre").text
    assert preview.startswith(f"(광고){NAME}") and preview.count("(광고)") == 1
    assert checked.select_one("#advertising") is not None  # judged as an advertisement


def test_a_job_and_its_batch_s_send_are_not_both_retried(app, sender, synced):
    with app.app_context():
        batch_send = bulk.batches(synced)[0].send_id
    from_job = _job_id(sender.post(f"/jobs/{synced}/retry"))
    refused = sender.post(f"/sends/{batch_send}/retry?lang=ko")
    assert refused.status_code == 303 and refused.headers["Location"] == f"/sends/{batch_send}"
    assert sender.post(f"/jobs/{from_job}/cancel").status_code == 303
    from_send = _job_id(sender.post(f"/sends/{batch_send}/retry"))
    assert from_send != from_job
    again = sender.post(f"/jobs/{synced}/retry")
    assert again.headers["Location"] == f"/jobs/{synced}"  # refused: the send's retry stands
