"""A job's next batch made ready beside the call before it (read, built and judged in the
row copy's thread), claimed with its intent on the way from that call's answer to its own
request, and that answer's outcome written beside its call: one write between two calls,
and every safeguard of a batch claimed on its own kept (the stop rules, a worker stopping,
a pause, an opt-out recorded meanwhile, a key taken). On a SQLite file and on PostgreSQL,
where the work beside a call runs in a thread of its own."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import event, select

from cafe24.errors import ConnectFailed
from cafe24.schedule import KST
from smsform.extensions import db
from smsform.models import Send
from smsform.services import (
    bulk,
    compliance,
    gateway,
    hot_writes,
    optouts,
    sending,
    sendlog,
    tokens,
)
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


def _writes_by_step(app, monkeypatch) -> list[tuple[str, bool, str]]:
    """What the run does, in order: each gateway call's start (``call``) and each
    statement that writes the send log or a batch (``write``: whether in the main
    thread, its first words)."""
    steps: list[tuple[str, bool, str]] = []
    call = sending._call

    def calling(*args, **kwargs):
        steps.append(("call", True, ""))
        return call(*args, **kwargs)

    monkeypatch.setattr(sending, "_call", calling)

    def write(sql: str) -> None:
        words = " ".join(sql.split()[:3])
        if words.startswith(("INSERT INTO sends", "UPDATE sends", "UPDATE job_batches",
                             "WITH claimed")):
            steps.append(("write", threading.current_thread() is threading.main_thread(),
                          words))

    execute = hot_writes.HotWrite.execute

    def hot(self, connection, values):  # on SQLite: the driver's cursor, no Core event
        if connection.dialect.name == "sqlite":
            write(str(self.statement.compile(dialect=connection.dialect)))
        return execute(self, connection, values)

    monkeypatch.setattr(hot_writes.HotWrite, "execute", hot)
    first = hot_writes.DriverStatement.first

    def driver(self, connection, values):  # the driver's cursor too
        write(str(self.statement.compile(dialect=connection.dialect)))
        return first(self, connection, values)

    monkeypatch.setattr(hot_writes.DriverStatement, "first", driver)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda connection, cursor, sql, *rest: write(sql))
    return steps


def test_between_an_answer_and_the_next_request_only_the_next_claim_and_intent_are_written(
        backend, db_url, monkeypatch):
    app = _app(backend, db_url)
    numbers = phones(15)
    job_id = make_job(app, numbers, per_batch=3)
    steps = _writes_by_step(app, monkeypatch)
    _run(app, job_id)
    assert sent_numbers(backend) == numbers
    assert _states(app, job_id) == [BatchState.ACCEPTED] * 5
    calls = [i for i, step in enumerate(steps) if step[0] == "call"]
    assert len(calls) == 5
    postgres = db_url.startswith("postgresql")
    for before, after in zip(calls, calls[1:], strict=False):
        main = [words for kind, in_main, words in steps[before + 1:after] if in_main]
        # one statement on PostgreSQL (the claim and the intent), one transaction here
        assert main == (["WITH claimed AS"] if postgres else
                        ["UPDATE job_batches SET", "INSERT INTO sends"])
    # each outcome but the last one's is written beside the next call, after it began
    beside = [i for i, (kind, in_main, words) in enumerate(steps)
              if kind == "write" and not in_main and words == "UPDATE sends SET"]
    assert len(beside) == 4
    assert all(calls[n + 1] < i for n, i in enumerate(beside))
    with app.app_context():
        results = db.session.scalars(select(Send.result).where(Send.job_id == job_id)).all()
    assert results == [Result.SUCCESS] * 5


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
    assert "not claimed with its intent (IntegrityError)" in caplog.text


def test_an_outcome_handed_to_a_call_that_never_leaves_is_still_written(
        backend, db_url, monkeypatch):
    app = _app(backend, db_url)
    numbers = phones(9)
    job_id = make_job(app, numbers, per_batch=3)
    with app.app_context():
        client_type = type(gateway.client())
    send = client_type.send
    calls = []

    def refused_second(self, request, *args, **kwargs):  # no connection: `sent` never runs
        calls.append(1)
        if len(calls) == 2:
            raise ConnectFailed("connection refused")
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(client_type, "send", refused_second)
    _run(app, job_id)
    with app.app_context():
        batches = bulk.batches(job_id)
        results = dict(db.session.execute(select(Send.batch, Send.result).where(
            Send.job_id == job_id)).all())
    # the first batch's outcome went with the second's call; the second never left
    assert [(b.state, results[b.number]) for b in batches] == [
        (BatchState.ACCEPTED, Result.SUCCESS), (BatchState.NOT_SENT, Result.NOT_SENT),
        (BatchState.ACCEPTED, Result.SUCCESS)]
    assert sent_numbers(backend) == numbers[:3] + numbers[6:]


def test_on_postgresql_the_claims_go_on_one_kept_connection_their_statement_prepared(
        backend, postgres_url, monkeypatch):
    app = _app(backend, postgres_url)
    job_id = make_job(app, phones(24), per_batch=3)
    seen = []
    first = hot_writes.DriverStatement.first

    def recorded(self, connection, values):
        row = first(self, connection, values)
        driver = connection.connection.driver_connection
        seen.append((id(driver), driver.autocommit, bool(driver._prepared._names)))
        return row

    monkeypatch.setattr(hot_writes.DriverStatement, "first", recorded)
    _run(app, job_id)
    assert _states(app, job_id) == [BatchState.ACCEPTED] * 8
    assert len(seen) == 7 and len({driver for driver, _a, _p in seen}) == 1
    assert all(autocommit for _d, autocommit, _p in seen)
    # psycopg prepares a statement run five times (a rollback would drop it again)
    assert [prepared for _d, _a, prepared in seen] == [False] * 5 + [True] * 2
