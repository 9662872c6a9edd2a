"""A bulk job's batches go out as written when the job was made (``SendRequest.prepared``,
``job_batches.recipients_field``): the gateway gets the same fields, the send log the same
recipients and rows (copied from the job's in the database), and what can change between
the check and the send is judged again at each batch: the opt-out list above all."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from cafe24.calls import PreparedRecipients, SendRequest
from cafe24.phone import Recipient
from cafe24.schedule import KST
from smsform.extensions import db
from smsform.models import JobBatchPayload, JobRecipient, Send, SendRecipient
from smsform.services import bulk, optouts, sending, sendlog
from smsform.services.audit import CLI_ACTOR
from smsform.states import BatchState, OptOutVia
from tests.bulk_support import ACTOR, make_job, phones, sent_numbers
from tests.support import build_app, page, send_calls, sign_in
from tests.test_compliance_edges import NAME, OPTOUT_NUMBER

NOON = datetime(2026, 12, 8, 12, 0, tzinfo=KST)


def _run(app, job_id: int) -> None:
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "test-worker")


def _logged(app, job_id: int) -> list[tuple]:
    """Each batch send's recipients as the log keeps them: its JSON and its rows."""
    with app.app_context():
        sends = db.session.execute(select(Send.id, sendlog.RECIPIENTS_JSON, Send.recipient_count)
                                   .where(Send.job_id == job_id).order_by(Send.batch)).all()
        rows = {s.id: db.session.execute(
            select(SendRecipient.position, SendRecipient.phone, SendRecipient.name)
            .where(SendRecipient.send_id == s.id).order_by(SendRecipient.position)).all()
            for s in sends}
    return [(json.loads(s.recipients) if s.recipients else None, s.recipient_count,
             [tuple(r) for r in rows[s.id]]) for s in sends]


def test_a_named_batch_is_logged_and_sent_as_its_job_recipients(app, backend):
    backend.accounts["demo"].credits = 5000
    numbers = phones(1500)
    job_id = make_job(app, numbers, text="{name}님 안내", names=True)
    with app.app_context():
        written = db.session.execute(select(JobBatchPayload.recipients_field).where(
            JobBatchPayload.job_id == job_id).order_by(JobBatchPayload.number)
        ).scalars().all()
    assert written[0].startswith(f"{numbers[0]}|고객0,{numbers[1]}|고객1,")
    _run(app, job_id)
    assert sent_numbers(backend) == numbers
    assert [c.fields["destination"] for c in send_calls(backend)] == written
    logged = _logged(app, job_id)
    assert [count for _, count, _ in logged] == [999, 501]
    with app.app_context():  # the rows hold none: the job's payloads keep the same JSON
        assert db.session.execute(select(Send.recipients).where(
            Send.job_id == job_id)).scalars().all() == [None, None]
    first_json, _, first_rows = logged[0]
    assert first_json[:2] == [[numbers[0], "고객0"], [numbers[1], "고객1"]]
    assert first_rows[:2] == [(0, numbers[0].replace("-", ""), "고객0"),
                              (1, numbers[1].replace("-", ""), "고객1")]
    assert [(p, n) for p, _, n in logged[1][2]][-1] == (500, "고객1499")
    assert all(len(rows) == count for _, count, rows in logged)


def test_an_unnamed_batch_sends_rphone_and_keeps_no_names(app, backend):
    numbers = phones(3)
    job_id = make_job(app, numbers, text="공지 드립니다")
    _run(app, job_id)
    (call,) = send_calls(backend)
    assert call.fields["rphone"] == ",".join(numbers) and not call.fields["destination"]
    [(recipients, count, rows)] = _logged(app, job_id)
    assert recipients == [[n, None] for n in numbers] and count == 3
    assert [name for _, _, name in rows] == [None, None, None]


@pytest.fixture
def ad_app(backend, db_url):
    """On SQLite and on PostgreSQL (each asks the opt-out list its own way)."""
    return build_app(backend, SQLALCHEMY_DATABASE_URI=db_url, SMSFORM_AD_SENDER_NAME=NAME,
                     SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=lambda: NOON)


def test_a_number_that_opted_out_after_the_check_is_left_out_of_an_advertising_batch(
        ad_app, backend):
    numbers = phones(5)
    job_id = make_job(ad_app, numbers, text="{name}님, 이번 주 특가", names=True,
                      advertising=True)
    with ad_app.app_context():  # after the job was checked and made
        optouts.add(numbers[2], via=OptOutVia.CLI, by=CLI_ACTOR)
    _run(ad_app, job_id)
    assert sent_numbers(backend) == [n for i, n in enumerate(numbers) if i != 2]
    (call,) = send_calls(backend)
    assert call.fields["msg"].startswith(f"(광고){NAME}")
    [(recipients, count, rows)] = _logged(ad_app, job_id)
    assert count == 4 and numbers[2] not in [r[0] for r in recipients]
    assert numbers[2].replace("-", "") not in [phone for _, phone, _ in rows]
    with ad_app.app_context():
        excluded = db.session.execute(select(Send.excluded, Send.opted_out)).one()
    assert json.loads(excluded.excluded) == [numbers[2]] and excluded.opted_out == 1


def test_another_send_reaching_an_opted_out_number_goes_to_all_of_them(app, backend):
    numbers = phones(3)
    job_id = make_job(app, numbers, text="안내드립니다")
    with app.app_context():
        optouts.add(numbers[0], via=OptOutVia.CLI, by=CLI_ACTOR)
    _run(app, job_id)
    assert sent_numbers(backend) == numbers
    with app.app_context():
        assert db.session.execute(select(Send.opted_out)).scalar() == 1


def test_a_batch_of_a_job_made_before_its_recipients_were_written_out_still_goes(
        app, backend):
    numbers = phones(4)
    job_id = make_job(app, numbers, text="{name}님 안내", names=True)
    with app.app_context():
        db.session.execute(JobBatchPayload.__table__.delete())
        db.session.commit()
    _run(app, job_id)
    assert sent_numbers(backend) == numbers
    [(recipients, count, rows)] = _logged(app, job_id)
    assert recipients == [[n, f"고객{i}"] for i, n in enumerate(numbers)] and len(rows) == 4
    with app.app_context():
        kept = db.session.execute(select(JobRecipient.name).where(
            JobRecipient.job_id == job_id)).scalars().all()
    assert kept == ["고객0", "고객1", "고객2", "고객3"]


def test_a_prepared_request_is_judged_sent_and_hashed_as_the_same_request_unpacked():
    people = (Recipient("010-2222-3333", "홍길동"), Recipient("010-4444-5555", "김수한무거북이"))
    plain = SendRequest(msg="{name}님 " + "가" * 30, sender="02-123-4567", named=people)
    prepared = SendRequest(msg=plain.msg, sender=plain.sender,
                           prepared=PreparedRecipients.of(people, True))
    assert prepared.fields() == plain.fields()
    assert (prepared.kind, prepared.cost, prepared.recipient_count) == (
        plain.kind, plain.cost, plain.recipient_count)
    assert prepared.longest_length == plain.longest_length
    assert prepared.unprepared() == plain
    assert prepared.prepared.digits() == ["01022223333", "01044445555"]
    too_many = SendRequest(msg="안내", sender="02-123-4567", prepared=PreparedRecipients(
        ",".join(phones(1000)), False, 1000))
    assert [p.code for p in too_many.problems()] == ["too_many_recipients"]
    nobody = SendRequest(msg="안내", sender="02-123-4567",
                         prepared=PreparedRecipients("", False, 0))
    assert [p.code for p in nobody.problems()] == ["no_recipients"]


def test_on_a_file_database_the_rows_are_copied_beside_the_call_and_mended_after_a_stop(
        backend, tmp_path):
    from smsform.services import sendlog

    backend.accounts["demo"].credits = 5000
    app = build_app(backend, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/jobs.db")
    numbers = phones(1200)
    job_id = make_job(app, numbers, text="{name}님 안내", names=True)
    _run(app, job_id)
    logged = _logged(app, job_id)
    assert [len(rows) for _, _, rows in logged] == [999, 201]
    assert [phone for _, phone, _ in logged[1][2]] == [n.replace("-", "") for n in
                                                       numbers[999:]]
    with app.app_context():  # as a worker killed during the copy leaves it
        send_id = db.session.execute(select(Send.id).where(Send.batch == 2)).scalar()
        db.session.execute(SendRecipient.__table__.delete().where(
            SendRecipient.send_id == send_id))
        db.session.commit()
        assert sendlog.copy_missing(send_id) is True
        assert sendlog.copy_missing(send_id) is False  # it has its rows now
    assert _logged(app, job_id) == logged


AD_SETTINGS = {"SMSFORM_AD_SENDER_NAME": NAME, "SMSFORM_AD_OPTOUT_NUMBER": OPTOUT_NUMBER}
AD_TEXT = f"(광고){NAME}\n겨울 할인\n무료수신거부 {OPTOUT_NUMBER}"


def test_a_job_batch_is_refused_by_the_night_rule_and_nothing_is_logged_or_sent(backend):
    app = build_app(backend, **AD_SETTINGS)
    job_id = make_job(app, phones(5), text=AD_TEXT, advertising=True)
    with app.app_context():
        job, batch = bulk.get(job_id), bulk.batches(job_id)[0]
        request = bulk._request(job, batch)
        assert request.prepared is not None
        result = sending.submit(sending.SendOrder(
            request=request, actor=ACTOR, key=sending.SendKey.job_batch(job_id, batch.number),
            advertising=True,
            logged_recipients=bulk.payload(job_id, batch.number).recipients_logged,
            now=datetime(2026, 12, 8, 21, 30, tzinfo=KST)))
        assert result.status is sending.Status.INVALID
        assert [p.code for p in result.problems] == ["ad_night"]
        assert db.session.scalars(select(Send)).all() == []
    assert send_calls(backend) == []


def test_an_advertising_batch_every_number_of_which_opted_out_since_is_not_sent(backend):
    app = build_app(backend, SMSFORM_CLOCK=lambda: NOON, **AD_SETTINGS)
    numbers = phones(3)
    job_id = make_job(app, numbers, text=AD_TEXT, advertising=True)
    with app.app_context():
        for number in numbers:
            optouts.add(number, via=OptOutVia.CLI, by=CLI_ACTOR)
    _run(app, job_id)
    assert send_calls(backend) == []
    with app.app_context():
        (batch,) = bulk.batches(job_id)
    assert (batch.state, batch.code) == (BatchState.NOT_SENT, optouts.ALL_OPTED_OUT)


def test_prepared_recipients_are_trusted_only_under_their_job_batchs_key(app, backend):
    job_id = make_job(app, phones(3), text="{name}님", names=True)
    with app.app_context():
        db.session.execute(update(JobBatchPayload).where(
            JobBatchPayload.job_id == job_id).values(
            recipients_field="010-1111-2222|갑,12345|을,010-1111-3333|병"))
        db.session.commit()
        job, batch = bulk.get(job_id), bulk.batches(job_id)[0]
        request = bulk._request(job, batch)
        for key in (None, sending.SendKey.header("k-1")):
            other = sending.submit(sending.SendOrder(request=request, actor=ACTOR, key=key))
            assert other.status is sending.Status.INVALID  # judged one by one: 12345
            assert [p.code for p in other.problems] == ["invalid_phone"]
        own = sending.submit(sending.SendOrder(
            request=request, actor=ACTOR, key=sending.SendKey.job_batch(job_id, 1),
            logged_recipients=bulk.payload(job_id, 1).recipients_logged))
        assert own.status is sending.Status.SUCCESS  # its check's word is taken
    assert len(send_calls(backend)) == 1


def test_a_batch_copied_beside_its_call_is_indexed_for_the_log_search_there(
        backend, tmp_path, monkeypatch):
    from smsform.services import search_index

    # Each batch's rows are indexed beside its own call, whatever INDEX_EVERY says (64
    # batches' at once outlasted the call the next batch waited on).
    backend.accounts["demo"].credits = 5000
    turns = []
    after_send = search_index.after_send
    monkeypatch.setattr(search_index, "after_send", lambda send_id, engine=None, **kw: (
        turns.append(engine is not None), after_send(send_id, engine, **kw)))
    app = build_app(backend, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/jobs.db")
    numbers = phones(1500)
    job_id = make_job(app, numbers)
    _run(app, job_id)
    assert turns == [True, True]  # taken in the copy's thread, not again after the call
    with app.app_context(), db.engine.connect() as connection:
        assert not search_index.behind(connection)  # every row indexed, no search yet


@pytest.mark.parametrize("listed", [1, optouts.SHORT_LIST + 50])
def test_a_batch_is_judged_against_a_short_opt_out_list_and_a_long_one_alike(
        ad_app, backend, listed):
    backend.accounts["demo"].credits = 5000
    numbers = phones(300)
    job_id = make_job(ad_app, numbers, text="{name}님, 이번 주 특가", names=True,
                      advertising=True)
    with ad_app.app_context():  # the batch's 8th number, and others it does not have
        for number in [numbers[7], *phones(listed - 1, start=50_000)]:
            optouts.add(number, via=OptOutVia.CLI, by=CLI_ACTOR)
    _run(ad_app, job_id)
    assert sent_numbers(backend) == [n for i, n in enumerate(numbers) if i != 7]


def test_a_short_opt_out_list_none_of_a_batchs_numbers_is_on_is_read_whole(
        app, backend, monkeypatch):
    from smsform.services import hot_writes

    backend.accounts["demo"].credits = 5000
    numbers = phones(300)
    job_id = make_job(app, numbers, text="안내드립니다")
    with app.app_context():
        optouts.add(phones(1, start=50_000)[0], via=OptOutVia.CLI, by=CLI_ACTOR)
    asked = []
    rows = hot_writes.rows
    monkeypatch.setattr(hot_writes, "rows", lambda connection, sql, params=(): (
        asked.append(sql), rows(connection, sql, params))[1])
    _run(app, job_id)
    assert sent_numbers(backend) == numbers
    # the list read whole (one row), not asked about each of the 300 numbers
    assert [sql for sql in asked if "optouts" in sql] == [optouts._SHORT_LIST]


def test_a_batch_sends_page_lists_its_recipients_from_the_payload_until_purged(app, backend):
    numbers = phones(3)
    job_id = make_job(app, numbers, text="{name}님 안내", names=True)
    _run(app, job_id)
    with app.app_context():
        send_id = db.session.execute(select(Send.id).where(Send.job_id == job_id)).scalar_one()
    admin = sign_in(app)
    shown = page(admin.get(f"/sends/{send_id}")).select("#recipient-list td.name")
    assert [td.get_text() for td in shown] == ["고객0", "고객1", "고객2"]
    with app.app_context():
        db.session.execute(update(Send).where(Send.id == send_id).values(
            created_at=datetime(2020, 1, 1)))
        db.session.commit()
    purged = app.test_cli_runner().invoke(args=["log", "purge", "--before", "2021-01-01"])
    assert purged.exit_code == 0, purged.output
    # The payload still holds the JSON (the job's own record), the purged send shows none.
    assert page(admin.get(f"/sends/{send_id}")).select_one("#recipient-list") is None
    assert [logged for logged, _, _ in _logged(app, job_id)] == [None]


def test_a_kept_helper_thread_outlives_a_failure_of_its_work(caplog):
    # Given back to the idle ones after its work raised, a dead thread took the next
    # call's work and never ran it: that call waited for ever.
    assert sendlog._HELPERS.start(lambda: 1 / 0).wait(5)
    ran: list[int] = []
    assert sendlog._HELPERS.start(lambda: ran.append(1)).wait(5)
    assert ran == [1]
    assert "the work beside a gateway call failed" in caplog.text


def test_the_copy_thread_folds_the_write_ahead_log_every_few_sends(backend, tmp_path):
    # Else the commit that finds the log past SQLite's 1,000 pages does it: an outcome
    # commit, on the way from one batch's answer to the next batch's request.
    backend.accounts["demo"].credits = 10_000
    app = build_app(backend, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/jobs.db")
    checkpoints: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "wal_checkpoint" in statement:
            checkpoints.append(threading.current_thread().name)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        before = db.session.execute(select(func.coalesce(func.max(Send.id), 0))).scalar()
    job_id = make_job(app, phones(8 * 999))
    _run(app, job_id)
    with app.app_context():
        ids = db.session.execute(select(Send.id).where(Send.job_id == job_id)).scalars().all()
    assert len(ids) == 8 and min(ids) > before
    expected = sum(1 for i in ids if not i % sendlog.CHECKPOINT_BESIDE)
    assert expected >= 2 and checkpoints == ["send-beside"] * expected


def test_a_batch_whose_request_never_left_still_logs_its_recipient_rows(tmp_path):
    # The copy starts once the request has been written; a refused connection writes none,
    # so the rows are copied when the outcome is (nothing sent, the rows still true).
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    app = build_app(None, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/jobs.db",
                    CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{port}",
                    CAFE24_SMS_USER_ID="someone", CAFE24_SMS_SECURE_KEY="a-key-of-some-length")
    numbers = phones(5)
    job_id = make_job(app, numbers)
    _run(app, job_id)
    with app.app_context():
        (send,) = db.session.execute(select(Send.id, Send.result).where(
            Send.job_id == job_id)).all()
        phones_logged = db.session.execute(select(SendRecipient.phone).where(
            SendRecipient.send_id == send.id).order_by(SendRecipient.position)).scalars().all()
    assert send.result == "not_sent"
    assert phones_logged == [n.replace("-", "") for n in numbers]


def test_a_checkpoint_that_fails_beside_the_call_leaves_the_copy_done(
        backend, tmp_path, caplog):
    # It is no part of the copy: the rows are not copied again after the call for it.
    backend.accounts["demo"].credits = 10_000
    app = build_app(backend, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/jobs.db")

    def refuse(conn, cursor, statement, *args) -> None:
        if "wal_checkpoint" in statement:
            raise OperationalError(statement, {}, Exception("database is locked"))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", refuse)
    numbers = phones(8 * 999)
    job_id = make_job(app, numbers)
    _run(app, job_id)
    assert "not checkpointed beside a call" in caplog.text
    assert "were not copied" not in caplog.text
    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(SendRecipient).join(
            Send, Send.id == SendRecipient.send_id).where(Send.job_id == job_id)).scalar()
    assert rows == len(numbers)
