"""services.bulk.run: a started job's batches through the send service to the simulator,
each once; the send log rows carry the job and batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smsform.extensions import db
from smsform.models import Send
from smsform.services import bulk, bulk_check, lists
from smsform.services.visibility import Reader
from smsform.states import BatchState, JobState
from tests.bulk_support import ACTOR, SENDER, make_job, phones, sent_numbers
from tests.lists_support import csv_bytes
from tests.support import build_app, send_calls


@pytest.fixture
def rich(backend):
    """The demo account with credit for large jobs."""
    backend.accounts["demo"].credits = 1_000_000
    return backend


@pytest.mark.parametrize(("count", "calls"), [(998, 1), (999, 1), (1000, 2), (1001, 2),
                                              (1999, 3), (2000, 3)])
def test_a_job_sends_each_number_once_in_calls_of_at_most_999(app, rich, count, calls):
    numbers = phones(count)
    job_id = make_job(app, numbers)
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
        progress = bulk.progress(job_id)
        logged = db.session.execute(select(Send.job_id, Send.batch, Send.source,
                                           Send.recipient_count)).all()
        planned = bulk.batches(job_id)
    made = send_calls(rich)
    assert len(made) == calls
    assert all(len(c.fields["rphone"].split(",")) <= 999 for c in made)
    sent = sent_numbers(rich)
    assert sorted(sent) == sorted(numbers) and len(set(sent)) == count
    assert progress.state == JobState.DONE and progress.percent == 100
    assert progress.batches == {BatchState.ACCEPTED: calls}
    assert sorted(logged) == [(job_id, b.number, "bulk", b.recipient_count) for b in planned]
    assert all(b.send_id is not None and b.cost == b.recipient_count for b in planned)


def test_app_merged_texts_go_in_their_own_batches_each_to_its_own_recipients(app, rich):
    numbers = phones(2100)
    texts = [f"{'VIP' if i % 3 == 0 else '일반'} 고객님 안내" for i in range(2100)]
    job_id = make_job(app, numbers, texts=texts)
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
    got = {}
    for call in send_calls(rich):
        for number in call.fields["rphone"].split(","):
            assert number not in got
            got[number] = call.fields["msg"]
    assert got == dict(zip(numbers, texts, strict=True))  # each its own text, once
    assert len(send_calls(rich)) == 3  # 700 VIP (one call) and 1,400 others (two)


def test_a_named_batch_goes_as_one_call_through_destination(app, rich):
    numbers = phones(999)
    job_id = make_job(app, numbers, text="{name}님 안녕하세요", names=True)
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
    (call,) = send_calls(rich)
    pairs = [part.split("|") for part in call.fields["destination"].split(",")]
    assert pairs[:2] == [[numbers[0], "고객0"], [numbers[1], "고객1"]] and len(pairs) == 999
    assert call.fields["msg"] == "{name}님 안녕하세요"


def test_the_pace_setting_pauses_between_batches_and_a_job_may_choose_its_own(rich):
    app = build_app(rich, SMSFORM_BULK_PACE_MS="250")
    slept: list[float] = []
    paced = make_job(app, phones(2500))
    own = make_job(app, phones(2500, start=5000), pace_ms=40)
    with app.app_context():
        for job_id in (paced, own):
            bulk.start(job_id, None, "cli")
            bulk.run(job_id, "w1", sleep=slept.append)
    assert slept == [0.25, 0.25, 0.04, 0.04]  # between batches, never before the first


def test_the_figures_give_the_measured_pace_and_the_time_left(app, rich):
    job_id = make_job(app, phones(3000), pace_ms=1)
    stop_after = iter([False, False, True])

    def pause_after_two(_seconds):
        if next(stop_after):
            with app.app_context():
                bulk.pause(job_id, None, "cli")

    with app.app_context():
        bulk.start(job_id, None, "cli")
        before = bulk.progress(job_id)
        bulk.run(job_id, "w1", sleep=pause_after_two)
        figures = bulk.progress(job_id)
    assert (before.pace, before.left, before.percent) == (None, None, 0)
    assert figures.batch_done == 3 and figures.percent == 75
    assert figures.used == 2997 and figures.at_most == 2997 and figures.forecast == 3000
    assert figures.recipient_done == 2997 and figures.recipients[BatchState.WAITING] == 3
    assert figures.pace is not None and figures.pace >= 0
    assert figures.left == timedelta(seconds=figures.pace)  # one batch left


def test_recipients_page_in_order_with_outcomes_masked_for_those_who_may_not_see(app, rich):
    numbers = phones(1200)
    job_id = make_job(app, numbers, names=True)
    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
        page = bulk.recipients(job_id, offset=998, limit=3)
        masked = bulk.recipients(job_id, limit=1, reader=Reader(7, "viewer"))
        report = list(bulk.report_rows(job_id))
    assert [(r.position, r.row, r.phone, r.batch, r.outcome) for r in page] == [
        (998, 1000, numbers[998], 1, BatchState.ACCEPTED),
        (999, 1001, numbers[999], 2, BatchState.ACCEPTED),
        (1000, 1002, numbers[1000], 2, BatchState.ACCEPTED)]
    assert page[0].name == "고객998" and page[0].code == "success"
    first = numbers[0].split("-")
    assert (masked[0].phone, masked[0].name) == (f"{first[0]}-****-{first[2]}", "고*0")
    assert [r.phone for r in report] == numbers


@pytest.mark.parametrize(("count", "calls"), [(1000, 2), (1999, 3)])
def test_a_file_read_checked_and_sent_whole_reaches_each_number_once(app, rich, count, calls):
    numbers = phones(count)
    table = [("이름", "휴대폰", "등급"), *((f"고객{i}", n, "VIP" if i % 2 else "일반")
                                         for i, n in enumerate(numbers))]
    table.append(("중복", numbers[0], "VIP"))  # a duplicate row: dropped, never sent
    with app.app_context():
        report = lists.read_file(csv_bytes(table, "cp949"), "list.csv")
        found = bulk_check.check(report, bulk_check.Draft(SENDER, "{name}님 {등급} 혜택"))
        job_id = bulk.create(found, ACTOR, source="cli")
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
        progress = bulk.progress(job_id)
    merged_calls = len(found.batches)
    assert progress.state == JobState.DONE and found.duplicates == 1
    assert len(send_calls(rich)) == merged_calls == calls  # two grades: one text each
    sent = sent_numbers(rich)
    assert sorted(sent) == sorted(numbers) and len(set(sent)) == count
    for call in send_calls(rich):
        grade = "VIP" if "VIP" in call.fields["msg"] else "일반"
        pairs = [p.split("|") for p in call.fields["destination"].split(",")]
        assert len(pairs) <= 999
        assert all((int(name[2:]) % 2 == 1) == (grade == "VIP") for _n, name in pairs)


def test_a_worker_whose_lease_another_took_stops_before_its_next_batch(app, rich):
    from smsform.models import Job, utcnow

    job_id = make_job(app, phones(2500))
    calls = []

    def taken_over() -> bool:  # between the first and the second batch, another worker
        calls.append(1)        # holds a live lease (as after a stall past ours)
        if len(calls) == 2:
            db.session.execute(Job.__table__.update().where(Job.id == job_id).values(
                worker="other", lease_until=utcnow() + timedelta(minutes=5)))
            db.session.commit()
        return False

    with app.app_context():
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1", stop=taken_over)
        job = db.session.get(Job, job_id)
        states = [b.state for b in bulk.batches(job_id)]
    assert states == [BatchState.ACCEPTED, BatchState.WAITING, BatchState.WAITING]
    assert (job.state, job.worker) == (JobState.RUNNING, "other")
    assert len(send_calls(rich)) == 1
