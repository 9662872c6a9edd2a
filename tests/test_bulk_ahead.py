"""A job's next batch made ready beside the call before it (read, built and judged in the
row copy's thread) and claimed, with its intent, in that call's outcome commit: fewer
commits a batch, and every safeguard of a batch claimed on its own kept (the stop rules,
a worker stopping, a pause, an opt-out recorded meanwhile, a key taken). On a SQLite file
and on PostgreSQL, where the work beside a call runs in a thread of its own."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import event, select

from cafe24.schedule import KST
from smsform.extensions import db
from smsform.models import Send
from smsform.services import bulk, compliance, optouts, sendlog, tokens
from smsform.services.audit import CLI_ACTOR
from smsform.states import BatchState, JobState, OptOutVia, Result
from tests.bulk_support import answering_backend, make_job, phones, sent_numbers
from tests.support import build_app, send_calls
from tests.test_compliance_edges import NAME, OPTOUT_NUMBER

NOON = datetime(2026, 12, 8, 12, 0, tzinfo=KST)
AD_SETTINGS = {"SMSFORM_AD_SENDER_NAME": NAME, "SMSFORM_AD_OPTOUT_NUMBER": OPTOUT_NUMBER}
AD_TEXT = f"(광고){NAME}\n겨울 할인\n무료수신거부 {OPTOUT_NUMBER}"


def _app(backend, db_url, **settings):
    backend.accounts["demo"].credits = 10_000
    return build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url,
                     SMSFORM_CLOCK=lambda: NOON, **settings)


def _run(app, job_id: int, **kwargs) -> None:
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "test-worker", **kwargs)


def _states(app, job_id: int) -> list[str]:
    with app.app_context():
        return [b.state for b in bulk.batches(job_id)]


def _after_each_call(monkeypatch, action) -> None:
    """Call ``action()`` in the main thread once a call has come back and the work beside
    it has ended, before its outcome is written (more than once a call: ``action`` looks
    whether it has done its part)."""
    finish = sendlog.RowCopy.finish_quietly

    def finished(self):
        finish(self)
        action()

    monkeypatch.setattr(sendlog.RowCopy, "finish_quietly", finished)


def test_each_batch_after_the_first_is_claimed_and_logged_in_one_commit_with_the_outcome(
        backend, db_url):
    app = _app(backend, db_url)
    numbers = phones(15)
    job_id = make_job(app, numbers, per_batch=3)
    main = threading.main_thread()
    commits = []
    with app.app_context():
        bulk.start(job_id, None, "cli")
        event.listen(db.engine, "commit", lambda connection: commits.append(
            threading.current_thread() is main))
        bulk.run(job_id, "test-worker")
    assert sent_numbers(backend) == numbers
    assert _states(app, job_id) == [BatchState.ACCEPTED] * 5
    # the lease, the first claim and its intent, then one commit a batch (its outcome with
    # the next one's claim and intent), the look for one more, the job done, the lease
    # let go: 11 (24 when each batch had four: claim, intent, outcome, batch's outcome)
    assert commits.count(True) == 3 + 5 + 3


def test_the_next_batch_is_judged_beside_the_call_before_it(backend, db_url, monkeypatch):
    app = _app(backend, db_url)
    job_id = make_job(app, phones(12), per_batch=3)
    judged_in_main = []
    judge = compliance.judge
    monkeypatch.setattr(compliance, "judge", lambda *args, **kwargs: (
        judged_in_main.append(threading.current_thread() is threading.main_thread()),
        judge(*args, **kwargs))[1])
    _run(app, job_id)
    assert _states(app, job_id) == [BatchState.ACCEPTED] * 4
    # the first in the main thread; each next one while the call before it waited, and
    # one more look for a fifth, none left
    assert judged_in_main == [True, False, False, False]


def test_an_opt_out_recorded_while_the_next_batch_waits_is_left_out_of_it(
        backend, db_url, monkeypatch):
    app = _app(backend, db_url, **AD_SETTINGS)
    numbers = phones(4)
    job_id = make_job(app, numbers, per_batch=3, text=AD_TEXT, advertising=True)

    def opt_out():  # after batch 2 was judged beside batch 1's call
        if len(send_calls(backend)) == 1 and optouts.find(numbers[3]) is None:
            optouts.add(numbers[3], via=OptOutVia.CLI, by=CLI_ACTOR)

    _after_each_call(monkeypatch, opt_out)
    _run(app, job_id)
    assert sent_numbers(backend) == numbers[:3]  # never the number that opted out
    with app.app_context():
        second = bulk.batches(job_id)[1]
    assert (second.state, second.code) == (BatchState.NOT_SENT, optouts.ALL_OPTED_OUT)


def test_a_worker_stopping_during_a_call_claims_no_batch_after_it(backend, db_url):
    app = _app(backend, db_url)
    job_id = make_job(app, phones(9), per_batch=3)
    _run(app, job_id, stop=lambda: len(send_calls(backend)) >= 1)
    assert len(send_calls(backend)) == 1
    assert _states(app, job_id) == [BatchState.ACCEPTED, BatchState.WAITING,
                                    BatchState.WAITING]
    with app.app_context():  # no intent logged for a batch that was not called
        assert db.session.scalars(select(Send.batch).where(Send.job_id == job_id)).all() == [1]


def test_a_pause_during_a_call_leaves_the_next_batch_waiting(backend, db_url, monkeypatch):
    app = _app(backend, db_url)
    job_id = make_job(app, phones(9), per_batch=3)

    def pause():
        if len(send_calls(backend)) == 1 and bulk.get(job_id).state == JobState.RUNNING:
            bulk.pause(job_id, None, "cli")

    _after_each_call(monkeypatch, pause)
    _run(app, job_id)
    assert len(send_calls(backend)) == 1
    assert _states(app, job_id) == [BatchState.ACCEPTED, BatchState.WAITING,
                                    BatchState.WAITING]
    with app.app_context():
        assert bulk.get(job_id).state == JobState.PAUSED
        assert db.session.scalars(select(Send.batch).where(Send.job_id == job_id)).all() == [1]


def test_a_refusal_that_stops_the_job_claims_no_batch_after_it(backend, db_url):
    answering = answering_backend()
    app = _app(answering, db_url)
    job_id = make_job(app, phones(9), per_batch=3)
    answering.answers = ["-102"]
    _run(app, job_id)
    assert len(send_calls(answering)) == 1
    assert _states(app, job_id) == [BatchState.REFUSED, BatchState.WAITING,
                                    BatchState.WAITING]
    with app.app_context():
        assert bulk.get(job_id).pause_reason == "auth"
        assert db.session.scalars(select(Send.batch).where(Send.job_id == job_id)).all() == [1]


def test_a_next_batch_whose_key_is_taken_leaves_the_outcome_before_it_written(
        backend, db_url, caplog):
    app = _app(backend, db_url)
    job_id = make_job(app, phones(6), per_batch=3)
    with app.app_context():  # as another worker's send of batch 2 left it
        job, batch = bulk.get(job_id), bulk.batches(job_id)[1]
        taken = sendlog.record_intent(
            bulk._request(job, batch), user_id=None, actor="other", source="bulk",
            address=None, send_key=tokens.batch_key(f"{job_id}:2"), digest="another",
            job=(job_id, 2), logged=bulk.payload(job_id, 2).recipients_logged)
    _run(app, job_id)
    assert len(send_calls(backend)) == 1  # batch 2 is never sent a second time
    with app.app_context():
        first = bulk.batches(job_id)[0]
        logged = db.session.execute(select(Send.result).where(Send.id == first.send_id)
                                    ).scalar_one()
    assert (first.state, logged) == (BatchState.ACCEPTED, Result.SUCCESS)
    assert _states(app, job_id)[1] == BatchState.SENDING  # left to pick_up, not re-sent
    assert taken.send_id != first.send_id
    assert "the outcome goes alone" in caplog.text
