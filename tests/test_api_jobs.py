"""The token API's bulk jobs, /api/v1/jobs, against the simulator: a job made from JSON or
a file, run by ``bulk.run`` as the worker runs it, read back with its recipients,
cancelled; the 422s; an Idempotency-Key repeated; the roles; and ``POST /api/v1/messages``
past 999 recipients pointing to the jobs."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime, timedelta

import pytest

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.services import api_tokens, bulk, contacts, lists
from smsform.services.audit import CLI_ACTOR
from smsform.services.visibility import mask_name
from tests.api_support import bearer, sends, token_user
from tests.bulk_support import ACTOR, checked, phones, sent_numbers
from tests.lists_support import csv_bytes
from tests.support import send_calls

SENDER = DEMO_SENDERS[0]
MESSAGES = "/api/v1/messages"
JOBS = "/api/v1/jobs"
PROBLEM = "application/problem+json"


def numbers(count: int, start: int = 0) -> list[str]:
    """``count`` distinct mobile numbers."""
    return [f"010-{(start + i) // 10000 + 1000:04d}-{(start + i) % 10000:04d}"
            for i in range(count)]


@pytest.fixture
def token(app) -> str:
    """A sender's token."""
    return token_user(app, "sender", "alice")


def job_body(**overrides) -> dict:
    """A JSON job of three named recipients with a coupon each."""
    return {"from": SENDER, "text": "{name}님, 쿠폰 {쿠폰}을 드립니다.", "to": [
        {"phone": "010-2222-0001", "name": "홍길동", "fields": {"쿠폰": "A1"}},
        {"phone": "010-2222-0002", "name": "김철수", "fields": {"쿠폰": "A1"}},
        {"phone": "010-2222-0003", "name": "이영희", "fields": {"쿠폰": "B2"}}], **overrides}


def create(client, token: str, body=None, **headers):
    return client.post(JOBS, json=job_body() if body is None else body,
                       headers=bearer(token, **headers))


def run(app, job_id: int) -> None:
    """The worker's part: run the job's batches."""
    with app.app_context():
        bulk.run(job_id, "test-worker")


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["code"] == code
    return body


def spend_one(client, token: str) -> None:
    """One SMS sent: the credit left becomes known (the send's answer says it)."""
    response = client.post(MESSAGES, headers=bearer(token), json={
        "from": SENDER, "to": ["010-7777-0001"], "text": "안녕하세요"})
    assert response.status_code == 201


def job_count(app) -> int:
    with app.app_context():
        return len(bulk.jobs_of(None, limit=1000)[0])


# --- making a job ----------------------------------------------------------------------


def test_a_json_job_is_made_started_run_and_read_back(app, client, backend, token):
    response = create(client, token)
    assert response.status_code == 202, response.get_json()
    made = response.get_json()
    assert response.headers["Location"] == f"{JOBS}/{made['id']}"
    assert (made["state"], made["source"], made["user"], made["from"]) == (
        "running", "api", "alice", SENDER)
    assert made["counts"] == {"rows": 3, "recipients": 3, "refused": 0, "duplicates": 0,
                              "opted_out": 0, "batches": 2, "sms": 3, "lms": 0,
                              "forecast": 3}
    assert made["problems"] == [] and made["problems_total"] == 0
    assert send_calls(backend) == []  # the worker sends, not the request
    run(app, made["id"])
    job = client.get(made and response.headers["Location"], headers=bearer(token)).get_json()
    assert job["state"] == "done" and job["cost"] == 3
    assert job["batches"] == {"total": 2, "done": 2, "waiting": 0, "accepted": 2,
                              "refused": 0, "not_sent": 0, "unknown": 0, "cancelled": 0}
    assert job["recipients"]["accepted"] == 3 and job["recipients"]["total"] == 3
    # One call per merged text (A1 twice, B2 once), {name} through destination.
    calls = send_calls(backend)
    assert len(calls) == 2 and sorted(sent_numbers(backend)) == [
        "010-2222-0001", "010-2222-0002", "010-2222-0003"]
    texts = {c.fields["msg"] for c in calls}
    assert texts == {"{name}님, 쿠폰 A1을 드립니다.", "{name}님, 쿠폰 B2을 드립니다."}
    assert {row.source for row in sends(app)} == {"bulk"}
    page = client.get(f"{JOBS}/{made['id']}/recipients", headers=bearer(token)).get_json()
    assert [(r["phone"], r["name"], r["outcome"]) for r in page["items"]] == [
        ("010-2222-0001", "홍길동", "accepted"), ("010-2222-0002", "김철수", "accepted"),
        ("010-2222-0003", "이영희", "accepted")]
    assert page["next_cursor"] is None


def test_rows_left_out_are_reported_and_the_rest_sent(app, client, token):
    body = {"from": SENDER, "text": "안내", "to": [
        "010-2222-0001", "not a number", "01022220001", "010-2222-0002"]}
    made = create(client, token, body).get_json()
    assert made["counts"]["recipients"] == 2
    assert (made["counts"]["refused"], made["counts"]["duplicates"]) == (1, 1)
    assert [(p["row"], p["code"], p["value"]) for p in made["problems"]] == [
        (2, "invalid_phone", "not a number"), (3, "duplicate", "01022220001")]
    assert made["problems"][1]["first_row"] == 1 and made["problems_total"] == 2
    assert made["problems"][0]["reason"]


def test_a_multipart_cp949_file_becomes_a_job(app, client, backend, token):
    data = csv_bytes([("이름", "휴대폰", "지점"), ("홍길동", "010-3333-0001", "강남"),
                      ("김철수", "010-3333-0002", "종로"), ("박민수", "0103333", "강남")],
                     encoding="cp949")
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "{name}님, {지점}점 안내입니다.", "test": "true",
        "file": (io.BytesIO(data), "고객.csv")}, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    made = response.get_json()
    assert made["test"] is True and made["counts"]["recipients"] == 2
    assert made["counts"]["forecast"] == 0
    assert [(p["row"], p["code"]) for p in made["problems"]] == [(4, "invalid_phone")]
    run(app, made["id"])
    assert {c.fields["msg"] for c in send_calls(backend)} == {
        "{name}님, 강남점 안내입니다.", "{name}님, 종로점 안내입니다."}
    assert all(c.fields.get("testflag") == "Y" for c in send_calls(backend))
    job = client.get(f"{JOBS}/{made['id']}", headers=bearer(token)).get_json()
    assert (job["state"], job["cost"]) == ("done", 0)


def test_multipart_columns_may_be_chosen(client, token):
    data = csv_bytes([("A", "B"), ("010-3333-0001", "010-3333-0002")])
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "안내", "phone_column": "B", "name_column": "",
        "file": (io.BytesIO(data), "a.csv")}, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["counts"]["recipients"] == 1


def test_a_list_past_one_mebibyte_is_taken_on_this_route_only(app, client, token):
    rows = [("전화번호", "메모"), *((n, "메모" * 200) for n in numbers(1500))]
    data = csv_bytes(rows)
    assert len(data) > 1024 * 1024
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "안내", "test": "true",
        "file": (io.BytesIO(data), "big.csv")}, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["counts"]["batches"] == 2
    many = [{"phone": n, "name": "고객", "fields": {"메모": "x" * 40}} for n in numbers(12_000)]
    raw = json.dumps({"from": SENDER, "text": "{name}님", "test": True, "to": many})
    assert len(raw) > 1024 * 1024
    response = client.post(JOBS, data=raw, content_type="application/json",
                           headers=bearer(token))
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["counts"]["recipients"] == 12_000
    # Every other route keeps its limit.
    big = json.dumps({"from": SENDER, "to": numbers(10), "text": "x" * (2 * 1024 * 1024)})
    refused = client.post(MESSAGES, data=big, content_type="application/json",
                          headers=bearer(token))
    assert refused.status_code == 413


def test_a_list_past_the_list_limit_is_refused(app, client, token):
    settings = app.extensions["smsform.settings"]
    app.extensions["smsform.settings"] = dataclasses.replace(settings, list_max_bytes=10_000)
    data = csv_bytes([("전화번호",), *((n,) for n in numbers(2000))])  # 30 kB
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "안내", "file": (io.BytesIO(data), "a.csv")},
        content_type="multipart/form-data")
    body = assert_problem(response, 422, "list_unreadable")
    assert (body["reason"], body["limit"]) == ("too_large", 10_000)
    # Far past it (and the form's room beside the file), the body is not read: 413.
    data = csv_bytes([("전화번호",), *((n,) for n in numbers(30_000))])  # 450 kB
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "안내", "file": (io.BytesIO(data), "a.csv")},
        content_type="multipart/form-data")
    assert_problem(response, 413, "request_entity_too_large")
    assert job_count(app) == 0


def test_a_scheduled_job_waits_and_is_cancelled(app, client, backend, token):
    later = (datetime.now(KST) + timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                            microsecond=0)
    made = create(client, token, job_body(send_at=later.strftime("%Y-%m-%dT%H:%M"))
                  ).get_json()
    assert made["state"] == "scheduled"
    assert made["send_at"] == later.isoformat()
    run(app, made["id"])  # a worker woken early sends nothing
    assert send_calls(backend) == []
    cancelled = client.post(f"{JOBS}/{made['id']}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200, cancelled.get_json()
    body = cancelled.get_json()
    assert body["state"] == "cancelled" and body["cancelled_at"]
    assert (body["went_batches"], body["stopped_batches"], body["stopped_recipients"]) == (
        0, 2, 3)
    assert body["batches"]["cancelled"] == 2
    again = client.post(f"{JOBS}/{made['id']}/cancel", headers=bearer(token))
    assert_problem(again, 409, "final")
    run(app, made["id"])
    assert send_calls(backend) == []


# --- what is refused -------------------------------------------------------------------


def test_a_list_with_nothing_to_send_is_422_with_its_row_report(app, client, backend, token):
    response = create(client, token, {"from": SENDER, "text": "안내",
                                      "to": ["nope", "010-12"]})
    body = assert_problem(response, 422, "nothing_to_send")
    assert [p["code"] for p in body["problems"]] == ["invalid_phone", "invalid_phone"]
    assert body["counts"]["recipients"] == 0 and body["problems_total"] == 2
    assert job_count(app) == 0 and send_calls(backend) == []


def test_a_message_that_cannot_be_sent_is_422_beside_its_field(app, client, token):
    body = assert_problem(create(client, token, job_body(text="{등급} 고객님"),
                                 **{"Accept-Language": "en"}), 422, "message_invalid")
    assert "text" in body["errors"] and "등급" in body["errors"]["text"][0]
    no_names = assert_problem(create(client, token, {"from": SENDER, "text": "{name}님",
                                                     "to": ["010-2222-0001"]}),
                              422, "message_invalid")
    assert list(no_names["errors"]) == ["text"]
    assert job_count(app) == 0


def test_a_job_the_credit_cannot_pay_for_is_422_with_the_shortfall(app, client, backend,
                                                                   token):
    backend.accounts["demo"].credits = 3
    spend_one(client, token)  # the credit known: 2
    body = assert_problem(create(client, token), 422, "credit_short")
    assert (body["needed"], body["credit"], body["shortfall"]) == (3, 2, 1)
    assert job_count(app) == 0 and len(send_calls(backend)) == 1
    # A test job costs nothing.
    assert create(client, token, job_body(test=True)).status_code == 202


def test_a_file_that_is_no_list_is_422(app, client, token):
    response = client.post(JOBS, headers=bearer(token), data={
        "from": SENDER, "text": "안내", "file": (io.BytesIO(b"\x00\x01\x02" * 100), "a.csv")},
        content_type="multipart/form-data")
    body = assert_problem(response, 422, "list_unreadable")
    assert body["reason"] == "not_text" and "file" in body["errors"]
    empty = create(client, token, {"from": SENDER, "text": "안내", "to": []})
    assert_problem(empty, 400, "invalid")


@pytest.mark.parametrize(("data", "field"), [
    ({"from": SENDER, "text": "안내"}, "file"),
    ({"from": SENDER, "text": "안내", "test": "maybe", "file": "x"}, "test"),
    ({"from": SENDER, "text": "안내", "colour": "red", "file": "x"}, "colour"),
    ({"text": "안내", "file": "x"}, "from"),
])
def test_a_form_that_is_wrong_is_400_beside_its_field(app, client, token, data, field):
    if data.get("file") == "x":
        data = {**data, "file": (io.BytesIO(b"phone\n010-3333-0001\n"), "a.csv")}
    response = client.post(JOBS, headers=bearer(token), data=data,
                           content_type="multipart/form-data")
    body = assert_problem(response, 400, "invalid")
    assert field in body["errors"]
    assert job_count(app) == 0


def test_a_member_given_twice_is_refused_as_messages_refuses_it(app, client, token):
    raw = f'{{"from": "{SENDER}", "to": ["010-2222-0001"], "text": "a", "text": "b"}}'
    response = client.post(JOBS, data=raw, content_type="application/json",
                           headers=bearer(token))
    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["text"]
    fields = {"from": SENDER, "text": "{쿠폰}", "to": [{"phone": "010-2222-0001",
                                                        "fields": {"name": "x"}}]}
    assert_problem(create(client, token, fields), 400, "invalid")
    assert job_count(app) == 0


# --- the Idempotency-Key ---------------------------------------------------------------


def test_a_repeated_idempotency_key_answers_the_same_job(app, client, backend, token):
    first = create(client, token, **{"Idempotency-Key": "orders-0301"})
    again = create(client, token, **{"Idempotency-Key": "orders-0301"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert job_count(app) == 1
    run(app, first.get_json()["id"])
    replay = create(client, token, **{"Idempotency-Key": "orders-0301"}).get_json()
    assert replay["state"] == "done"  # the job as it is now
    assert len(send_calls(backend)) == 2 and job_count(app) == 1
    other = create(client, token, job_body(text="다른 글"), **{"Idempotency-Key": "orders-0301"})
    body = assert_problem(other, 422, "idempotency_key_reused")
    assert body["id"] == first.get_json()["id"] and job_count(app) == 1
    # Keys are their user's own.
    bob = token_user(app, "sender", "bob")
    assert create(client, bob, **{"Idempotency-Key": "orders-0301"}).get_json()["id"] != \
        first.get_json()["id"]
    assert_problem(create(client, token, **{"Idempotency-Key": "x" * 41}), 400,
                   "invalid_idempotency_key")


def test_a_key_whose_job_could_not_start_may_be_used_again(app, client, backend, token):
    backend.accounts["demo"].credits = 3
    spend_one(client, token)
    assert_problem(create(client, token, **{"Idempotency-Key": "k1"}), 422, "credit_short")
    backend.accounts["demo"].credits = 101
    spend_one(client, token)  # the credit known: 100
    assert create(client, token, **{"Idempotency-Key": "k1"}).status_code == 202
    assert job_count(app) == 1


# --- reading, roles --------------------------------------------------------------------


def test_jobs_are_listed_for_their_user_newest_first(app, client, token):
    made = [create(client, token).get_json()["id"] for _ in range(3)]
    bob = token_user(app, "sender", "bob")
    create(client, bob)
    page = client.get(f"{JOBS}?limit=2", headers=bearer(token)).get_json()
    assert [j["id"] for j in page["items"]] == made[:0:-1]
    rest = client.get(f"{JOBS}?limit=2&cursor={page['next_cursor']}",
                      headers=bearer(token)).get_json()
    assert [j["id"] for j in rest["items"]] == [made[0]] and rest["next_cursor"] is None
    admin = token_user(app, "admin", "root")
    assert len(client.get(JOBS, headers=bearer(admin)).get_json()["items"]) == 4


def test_another_senders_job_is_not_found(app, client, token):
    job_id = create(client, token).get_json()["id"]
    bob = token_user(app, "sender", "bob")
    for path in (f"{JOBS}/{job_id}", f"{JOBS}/{job_id}/recipients"):
        assert_problem(client.get(path, headers=bearer(bob)), 404, "not_found")
    assert_problem(client.post(f"{JOBS}/{job_id}/cancel", headers=bearer(bob)), 404,
                   "not_found")
    assert_problem(client.get(f"{JOBS}/99999", headers=bearer(token)), 404, "not_found")


def test_a_viewer_reads_every_job_masked_and_may_not_make_or_cancel(app, client, token):
    job_id = create(client, token).get_json()["id"]
    viewer = token_user(app, "viewer", "vera")
    assert_problem(create(client, viewer), 403, "forbidden")
    assert_problem(client.post(f"{JOBS}/{job_id}/cancel", headers=bearer(viewer)), 403,
                   "forbidden")
    assert client.get(f"{JOBS}/{job_id}", headers=bearer(viewer)).status_code == 200
    items = client.get(f"{JOBS}/{job_id}/recipients", headers=bearer(viewer)
                       ).get_json()["items"]
    assert [(r["phone"], r["name"]) for r in items] == [
        ("010-****-0001", mask_name("홍길동")), ("010-****-0002", mask_name("김철수")),
        ("010-****-0003", mask_name("이영희"))]


def test_a_read_only_token_may_read_but_not_make_or_cancel(app, client, token):
    job_id = create(client, token).get_json()["id"]
    with app.app_context():
        from smsform.services import accounts
        reader = api_tokens.create(accounts.find_user("alice"), "ro", by=CLI_ACTOR,
                                   read_only=True).token
    assert_problem(create(client, reader), 403, "read_only_token")
    assert_problem(client.post(f"{JOBS}/{job_id}/cancel", headers=bearer(reader)), 403,
                   "read_only_token")
    assert client.get(f"{JOBS}/{job_id}", headers=bearer(reader)).status_code == 200


def test_recipients_are_paged(app, client, token):
    body = {"from": SENDER, "text": "안내", "to": numbers(25)}
    job_id = create(client, token, body).get_json()["id"]
    first = client.get(f"{JOBS}/{job_id}/recipients?limit=10", headers=bearer(token)
                       ).get_json()
    assert [r["position"] for r in first["items"]] == list(range(10))
    assert first["next_cursor"] == 10
    last = client.get(f"{JOBS}/{job_id}/recipients?limit=10&cursor=20",
                      headers=bearer(token)).get_json()
    assert [r["phone"] for r in last["items"]] == numbers(25)[20:]
    assert last["next_cursor"] is None
    assert {r["outcome"] for r in last["items"]} == {"waiting"}
    assert_problem(client.get(f"{JOBS}/{job_id}/recipients?limit=5000",
                              headers=bearer(token)), 400, "invalid")


def test_no_token_no_jobs(client):
    assert_problem(client.get(JOBS), 401, "unauthorized")
    assert_problem(client.post(JOBS, json=job_body()), 401, "unauthorized")


# --- POST /api/v1/messages past 999 ------------------------------------------------------


def test_a_send_past_999_recipients_answers_422_pointing_to_the_jobs(app, client, backend,
                                                                     token):
    response = client.post(MESSAGES, headers=bearer(token, **{"Accept-Language": "en"}),
                           json={"from": SENDER, "to": numbers(1000), "text": "안내"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert (body["code"], body["limit"], body["count"], body["jobs"]) == (
        "too_many_recipients", 999, 1000, JOBS)
    assert JOBS in body["detail"] and "to" in body["errors"]
    assert send_calls(backend) == [] and sends(app) == []


def test_999_recipients_still_go_as_one_send(client, backend, token):
    # 1,000 items, one of them a number given twice: 999 numbers.
    to = [*numbers(999), numbers(1)[0]]
    response = client.post(MESSAGES, headers=bearer(token),
                           json={"from": SENDER, "to": to, "text": "안내", "test": True})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["recipients"] == 999
    assert len(send_calls(backend)) == 1


def test_a_group_that_takes_a_send_past_999_answers_422_too(app, client, backend, token):
    with app.app_context():
        report = lists.read_file(csv_bytes([("전화번호",), *((n,) for n in numbers(1000))]),
                                 "a.csv")
        contacts.import_report(report, group="큰", by=CLI_ACTOR)
        group = contacts.find_group("큰").id
    response = client.post(MESSAGES, headers=bearer(token), json={
        "from": SENDER, "groups": [group], "text": "안내"})
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["limit"], body["jobs"]) == ("too_many_recipients", 999, JOBS)
    assert "count" not in body
    assert send_calls(backend) == [] and sends(app) == []


def test_a_job_key_is_held_by_one_job(app):
    with app.app_context():
        key = bulk.JobKey(1, "orders-2026-03-01", "digest")
        first = bulk.create(checked(phones(3)), ACTOR, source="api", key=key)
        with pytest.raises(bulk.BulkRefused) as again:
            bulk.create(checked(phones(3)), ACTOR, source="api", key=key)
        assert (again.value.code, again.value.params["id"]) == ("key_taken", first)
        assert bulk.keyed(key) == (first, "digest")
        # Another user's same key is another key.
        assert bulk.keyed(bulk.JobKey(2, "orders-2026-03-01", "digest")) is None
        other = bulk.create(checked(phones(3)), ACTOR, source="api",
                            key=bulk.JobKey(2, "orders-2026-03-01", "x"))
        assert other != first


def test_jobs_are_listed_newest_first_a_page_at_a_time_and_a_checking_job_discarded(app):
    with app.app_context():
        made = [bulk.create(checked(phones(2)), ACTOR, source="api") for _ in range(5)]
        page, following = bulk.jobs_of(None, limit=2)
        assert [j.id for j in page] == made[:-3:-1] and following == made[3]
        page, following = bulk.jobs_of(None, before=following, limit=2)
        assert [j.id for j in page] == [made[2], made[1]]
        page, following = bulk.jobs_of(None, before=following, limit=2)
        assert [j.id for j in page] == [made[0]] and following is None
        assert bulk.jobs_of(12345)[0] == []
        assert bulk.discard(made[0]) is True
        assert bulk.get(made[0]) is None and bulk.recipients(made[0]) == []
        bulk.start(made[1], None, "cli")
        assert bulk.discard(made[1]) is False and bulk.get(made[1]) is not None


def test_a_message_the_law_refuses_is_422_with_the_laws_code(app, client, token):
    # Advertising sends are not set up here: the law's refusal, as POST /messages gives it.
    body = assert_problem(create(client, token, job_body(advertising=True)), 422,
                          "ad_setting_missing")
    assert body["setting"] and body["counts"]["recipients"] == 3
    assert job_count(app) == 0
