"""The token API's bulk jobs, /api/v1/jobs, against the simulator: a job made from JSON or
a file, run by ``bulk.run`` as the worker runs it, read back with its recipients,
cancelled; the 422s; an Idempotency-Key repeated; and ``POST /api/v1/messages`` past 999
recipients pointing to the jobs."""

from __future__ import annotations

import pytest

from simulator import DEMO_SENDERS
from smsform.services import bulk, contacts, lists
from smsform.services.audit import CLI_ACTOR
from tests.api_support import bearer, sends, token_user
from tests.bulk_support import ACTOR, checked, phones
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
