"""A batch left ``sending`` by a worker that died: with no send log row nothing went, so it
goes again (once); with a row still pending past the unknown window it is ``unknown`` and
never sent again; with an answered row it takes that row's result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from smsform.extensions import db
from smsform.models import Job, JobBatch, Send, User, utcnow
from smsform.services import bulk, sendlog, tokens
from smsform.states import BatchState, JobState, Result
from tests.bulk_support import make_job, phones, sent_numbers, states
from tests.support import build_app, make_user, send_calls

DEAD = "elsewhere:1:1"  # a worker of another machine: only its lease's end frees the job


@pytest.fixture
def app(backend, db_url):
    """The app on SQLite and on PostgreSQL (``db_url``)."""
    return build_app(backend, SQLALCHEMY_DATABASE_URI=db_url)


def died_holding_a_batch(app, numbers, *, logged: str | None) -> tuple[int, int | None]:
    """A running job whose worker claimed batch 1 and died (its lease since expired);
    ``logged``: the send log row it had written (None: none, ``pending``: the intent only,
    ``success``: the outcome too)."""
    job_id = make_job(app, numbers)
    send_id = None
    with app.app_context():
        bulk.start(job_id, None, "cli")
        batch = bulk.claim_batch(job_id, DEAD)
        assert batch is not None and batch.number == 1
        if logged is not None:
            request = bulk._request(bulk.get(job_id), batch)
            claim = sendlog.record_intent(
                request, user_id=None, actor="cli", source="bulk", address=None,
                send_key=tokens.batch_key(f"{job_id}:1"), digest=sendlog.request_hash(request),
                job=(job_id, 1))
            send_id = claim.send_id
            if logged == "success":
                sendlog.record_outcome(send_id, result=Result.SUCCESS, code="success",
                                       cost=batch.forecast, remaining=5, answer="success,5",
                                       detail="", duration_ms=1, release_key=False,
                                       user_id=None, sender=None)
            else:
                past = utcnow() - sendlog.unknown_after() - timedelta(seconds=1)
                db.session.execute(update(Send).where(Send.id == send_id)
                                   .values(created_at=past))
                db.session.execute(update(JobBatch).values(claimed_at=past))
        db.session.execute(update(Job).where(Job.id == job_id).values(
            worker=DEAD, lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    return job_id, send_id


def test_a_batch_left_sending_with_no_send_log_row_goes_again_once(app, backend):
    backend.accounts["demo"].credits = 10_000
    numbers = phones(2000)
    job_id, _ = died_holding_a_batch(app, numbers, logged=None)
    with app.app_context():
        assert bulk.pick_up() == [job_id]
        assert states(app, job_id)[0] == (1, BatchState.WAITING, None)
        bulk.run(job_id, "w2")
        assert bulk.progress(job_id).state == JobState.DONE
    sent = sent_numbers(backend)
    assert sorted(sent) == sorted(numbers) and len(send_calls(backend)) == 3


def test_a_batch_in_flight_past_the_unknown_window_is_unknown_and_never_sent_again(app,
                                                                                  backend):
    backend.accounts["demo"].credits = 10_000
    numbers = phones(2000)
    job_id, send_id = died_holding_a_batch(app, numbers, logged="pending")
    with app.app_context():
        assert bulk.pick_up() == [job_id]
        bulk.run(job_id, "w2")
        progress = bulk.progress(job_id)
    assert states(app, job_id) == [(1, BatchState.UNKNOWN, Result.UNKNOWN),
                                   (2, BatchState.ACCEPTED, "success"),
                                   (3, BatchState.ACCEPTED, "success")]
    assert progress.state == JobState.DONE and progress.unknown_send_ids == (send_id,)
    assert progress.recipients[BatchState.UNKNOWN] == 999
    assert progress.at_most - progress.used == 999  # it may have cost its forecast
    sent = sent_numbers(backend)
    assert sorted(sent) == sorted(numbers[999:])  # batch 1 never went again
    assert not set(sent) & set(numbers[:999])


def test_a_batch_in_flight_within_the_unknown_window_waits(app, backend):
    job_id, _ = died_holding_a_batch(app, phones(5), logged="pending")
    with app.app_context():
        db.session.execute(update(Send).values(created_at=utcnow()))
        db.session.commit()
        bulk.pick_up()
    assert states(app, job_id) == [(1, BatchState.SENDING, None)]
    assert send_calls(backend) == []


def test_a_batch_whose_outcome_was_logged_takes_it(app, backend):
    numbers = phones(1500)
    job_id, send_id = died_holding_a_batch(app, numbers, logged="success")
    with app.app_context():
        bulk.pick_up()
        bulk.run(job_id, "w2")
        batches = bulk.batches(job_id)
    assert [(b.state, b.send_id, b.cost) for b in batches][0] == (
        BatchState.ACCEPTED, send_id, 999)
    assert sorted(sent_numbers(backend)) == sorted(numbers[999:])


def test_a_worker_holding_a_live_lease_is_left_alone(app, backend):
    job_id, _ = died_holding_a_batch(app, phones(5), logged=None)
    with app.app_context():
        db.session.execute(update(Job).values(lease_until=utcnow() + timedelta(minutes=1)))
        db.session.commit()
        assert bulk.pick_up() == []
        bulk.run(job_id, "w2")  # another worker: the job is held
    assert states(app, job_id) == [(1, BatchState.SENDING, None)]
    assert send_calls(backend) == []


def test_an_administrators_mark_of_the_unknown_batchs_send_settles_what_the_job_cost(app,
                                                                                  backend):
    backend.accounts["demo"].credits = 10_000
    job_id, send_id = died_holding_a_batch(app, phones(1500), logged="pending")
    make_user(app, "boss", "a-long-enough-password", "admin")
    with app.app_context():
        bulk.pick_up()
        bulk.run(job_id, "w2")
        before = bulk.progress(job_id)
        boss = db.session.scalars(select(User).where(User.username == "boss")).one()
        sendlog.mark(send_id, "sent", user_id=boss.id, actor="boss", address=None)
        after = bulk.progress(job_id)
    assert (before.used, before.at_most) == (501, 1500)
    assert (after.used, after.at_most) == (1500, 1500)
    assert after.batches[BatchState.UNKNOWN] == 1  # still unknown, with its mark beside it
