"""A bulk job's life against the simulator: start (and its refusals), pause, resume and
cancel of a running and of a scheduled job, each stop rule, a content refusal that does not
stop, a late scheduled job, the night, and the audit of each step."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cafe24.schedule import KST
from smsform.extensions import db
from smsform.models import AuditEvent, utcnow
from smsform.services import bulk, gateway
from smsform.states import BatchState, JobPause, JobState
from tests.bulk_support import answering_backend, make_job, phones, sent_numbers, states
from tests.support import ManualClock, build_app, make_user, send_calls


@pytest.fixture
def answering():
    return answering_backend()


@pytest.fixture
def app(answering, db_url):
    """The app on SQLite and on PostgreSQL (``db_url``), its gateway ``answering``."""
    return build_app(answering, SQLALCHEMY_DATABASE_URI=db_url)


def run(app, job_id, *, between=None):
    """Run the job as a worker would (``between``: called in each pause between batches)."""
    with app.app_context():
        bulk.run(job_id, "w1", sleep=between or (lambda _s: None))


def figures(app, job_id) -> bulk.Progress:
    with app.app_context():
        return bulk.progress(job_id)


def actions(app) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [(e.action, e.actor, e.target) for e in db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.id))]


def started(app, numbers, **kwargs) -> int:
    job_id = make_job(app, numbers, **kwargs)
    with app.app_context():
        bulk.start(job_id, None, "cli")
    return job_id


# -- start ---------------------------------------------------------------------------


def test_a_start_is_refused_when_the_credit_known_cannot_pay_and_says_how_much_is_missing(
        app, answering):
    answering.accounts["demo"].credits = 1500
    job_id = make_job(app, phones(2000))
    with app.app_context():
        gateway.gateway().remaining()  # the credit is known (as the check page asked it)
        with pytest.raises(bulk.BulkRefused) as refused:
            bulk.start(job_id, None, "cli")
        assert bulk.get(job_id).state == JobState.CHECKING
    assert refused.value.code == "credit_short"
    assert refused.value.params == {"needed": 2000, "credit": 1500, "shortfall": 500}
    assert send_calls(answering) == []


def test_a_test_job_costs_nothing_and_starts_on_any_credit(app, answering):
    answering.accounts["demo"].credits = 0
    job_id = make_job(app, phones(1200), test=True)
    with app.app_context():
        gateway.gateway().remaining()
        bulk.start(job_id, None, "cli")
    run(app, job_id)
    assert [c.fields.get("testflag") for c in send_calls(answering)] == ["Y", "Y"]
    assert figures(app, job_id).state == JobState.DONE


def test_a_job_starts_once_and_its_upload_is_dropped(app):
    job_id = make_job(app, phones(3))
    with app.app_context():
        progress = bulk.start(job_id, None, "cli")
        with pytest.raises(bulk.BulkRefused) as again:
            bulk.start(job_id, None, "cli")
        assert bulk.upload(job_id) is None
    assert progress.state == JobState.RUNNING and again.value.code == "not_checking"
    assert actions(app) == [("job_started", "cli", str(job_id))]


def test_senders_control_their_own_jobs_admins_every_job_viewers_none(app):
    for name, role in (("kim", "sender"), ("lee", "sender"), ("boss", "admin"),
                       ("look", "viewer")):
        make_user(app, name, "a-long-enough-password", role)
    with app.app_context():
        ids = {u.username: u.id for u in db.session.scalars(select(bulk.User))}
    from smsform.services import sending
    from tests.bulk_support import checked
    with app.app_context():
        job_id = bulk.create(checked(phones(3)), sending.Actor(ids["kim"], "kim", "web"),
                             source="web")
        for who in ("lee", "look"):
            with pytest.raises(bulk.BulkRefused) as refused:
                bulk.start(job_id, ids[who], who)
            assert refused.value.code == "not_allowed"
        bulk.start(job_id, ids["kim"], "kim")
        bulk.pause(job_id, ids["boss"], "boss")
        assert bulk.get(job_id).pause_reason == JobPause.PERSON


# -- pause, resume, cancel of a running job --------------------------------------------


def test_a_running_job_paused_between_batches_sends_the_rest_only_when_resumed(app, answering):
    numbers = phones(2500)
    job_id = started(app, numbers, pace_ms=1)
    with app.app_context():
        pause = lambda _s: bulk.pause(job_id, None, "cli")  # noqa: E731
    run(app, job_id, between=pause)
    paused = figures(app, job_id)
    assert (paused.state, paused.pause_reason) == (JobState.PAUSED, JobPause.PERSON)
    assert paused.batches == {BatchState.ACCEPTED: 1, BatchState.WAITING: 2}
    assert len(send_calls(answering)) == 1
    run(app, job_id)  # a worker woken while it is paused sends nothing
    assert len(send_calls(answering)) == 1
    with app.app_context():
        bulk.resume(job_id, None, "cli")
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE
    assert sorted(sent_numbers(answering)) == sorted(numbers)
    assert [a[0] for a in actions(app)] == ["job_started", "job_paused", "job_resumed"]


def test_cancelling_a_running_job_stops_the_batches_not_handed_over_and_says_how_many_went(
        app, answering):
    job_id = started(app, phones(2500), pace_ms=1)
    said = {}

    def cancel(_seconds):
        with app.app_context():
            said["cancel"] = bulk.cancel(job_id, None, "cli")

    run(app, job_id, between=cancel)
    cancelled = said["cancel"]
    assert (cancelled.went_batches, cancelled.went_recipients) == (1, 999)
    assert (cancelled.stopped_batches, cancelled.stopped_recipients) == (2, 1501)
    assert cancelled.progress.state == JobState.CANCELLED
    assert [s for _n, s, _c in states(app, job_id)] == [
        BatchState.ACCEPTED, BatchState.CANCELLED, BatchState.CANCELLED]
    assert len(send_calls(answering)) == 1
    with app.app_context(), pytest.raises(bulk.BulkRefused) as again:
        bulk.cancel(job_id, None, "cli")
    assert again.value.code == "final"


# -- a scheduled job -------------------------------------------------------------------


def test_a_scheduled_job_waits_for_its_time_then_the_minute_task_starts_it(app, answering):
    at = utcnow() + timedelta(hours=2)
    job_id = started(app, phones(10), send_at=at)
    assert figures(app, job_id).state == JobState.SCHEDULED
    run(app, job_id)
    with app.app_context():
        assert bulk.pick_up(now=at - timedelta(minutes=1)) == []
    assert send_calls(answering) == []
    with app.app_context():
        assert bulk.pick_up(now=at + timedelta(minutes=1)) == [job_id]
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE and len(send_calls(answering)) == 1


def test_a_scheduled_job_paused_and_resumed_stays_scheduled_and_can_be_cancelled(app,
                                                                                answering):
    at = utcnow() + timedelta(hours=2)
    job_id = started(app, phones(1500), send_at=at)
    with app.app_context():
        assert bulk.pause(job_id, None, "cli").state == JobState.PAUSED
        assert bulk.pick_up(now=at + timedelta(minutes=1)) == []  # paused: not started
        assert bulk.resume(job_id, None, "cli", now=utcnow()).state == JobState.SCHEDULED
        cancelled = bulk.cancel(job_id, None, "cli")
    assert (cancelled.went_batches, cancelled.stopped_batches) == (0, 2)
    with app.app_context():
        assert bulk.pick_up(now=at + timedelta(minutes=1)) == []
    assert send_calls(answering) == []


def test_a_scheduled_job_found_more_than_the_setting_late_waits_for_a_person(answering, db_url):
    app = build_app(answering, SMSFORM_BULK_LATE_AFTER="30", SQLALCHEMY_DATABASE_URI=db_url)
    at = utcnow() + timedelta(minutes=5)
    job_id = started(app, phones(5), send_at=at)
    with app.app_context():
        assert bulk.pick_up(now=at + timedelta(minutes=31)) == []
        late = bulk.progress(job_id)
        assert (late.state, late.pause_reason) == (JobState.PAUSED, JobPause.LATE)
        assert bulk.start(job_id, None, "cli", now=at + timedelta(minutes=40)).state == (
            JobState.RUNNING)
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE
    assert [a[:2] for a in actions(app)] == [("job_started", "cli"), ("job_paused", "bulk"),
                                             ("job_started", "cli")]


def test_a_scheduled_job_a_little_late_starts_by_itself(answering, db_url):
    app = build_app(answering, SMSFORM_BULK_LATE_AFTER="30", SQLALCHEMY_DATABASE_URI=db_url)
    at = utcnow() + timedelta(minutes=5)
    job_id = started(app, phones(5), send_at=at)
    with app.app_context():
        assert bulk.pick_up(now=at + timedelta(minutes=29)) == [job_id]


# -- the stop rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "reason"), [
    ("-102,", JobPause.AUTH), ("-201,0", JobPause.CREDIT), ("-114,", JobPause.SENDER),
    ("-105,", JobPause.BLOCKED)])
def test_a_refusal_that_would_repeat_pauses_the_job_after_that_batch(app, answering, answer,
                                                                     reason):
    numbers = phones(2500)
    job_id = started(app, numbers)
    answering.answers = [None, answer]
    run(app, job_id)
    paused = figures(app, job_id)
    code = answer.split(",")[0]
    assert (paused.state, paused.pause_reason) == (JobState.PAUSED, reason)
    assert states(app, job_id) == [(1, BatchState.ACCEPTED, "success"),
                                   (2, BatchState.REFUSED, code), (3, BatchState.WAITING, None)]
    assert len(send_calls(answering)) == 2
    with app.app_context():
        bulk.resume(job_id, None, "cli")  # the cause fixed: the refused batch goes again
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE
    assert [s for _n, s, _c in states(app, job_id)] == [BatchState.ACCEPTED] * 3
    sent = sent_numbers(answering)
    assert sorted(sent) == sorted(numbers)  # the refused call's numbers are not counted
    with app.app_context():
        paused_by = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "job_paused")).one()
    assert paused_by.actor == "bulk" and f'"code": "{code}"' in paused_by.detail


def test_a_batch_refused_for_its_own_content_is_marked_and_the_job_goes_on(app, answering):
    job_id = started(app, phones(2500))
    answering.answers = [None, "0004,"]
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE
    assert states(app, job_id) == [(1, BatchState.ACCEPTED, "success"),
                                   (2, BatchState.REFUSED, "0004"),
                                   (3, BatchState.ACCEPTED, "success")]


def test_the_apps_own_credit_check_pauses_the_job_before_a_call_it_cannot_pay(app, answering):
    answering.accounts["demo"].credits = 1500
    job_id = started(app, phones(2500))  # the credit is not known yet: the start lets it go
    run(app, job_id)
    paused = figures(app, job_id)
    assert (paused.state, paused.pause_reason) == (JobState.PAUSED, JobPause.CREDIT)
    assert states(app, job_id)[1] == (2, BatchState.NOT_SENT, "credit_short")
    assert len(send_calls(answering)) == 1  # the second batch never reached the gateway
    with app.app_context(), pytest.raises(bulk.BulkRefused) as short:
        bulk.resume(job_id, None, "cli")
    assert short.value.code == "credit_short" and figures(app, job_id).state == JobState.PAUSED
    answering.accounts["demo"].credits = 10_000
    with app.app_context():
        bulk.resume(job_id, None, "cli")
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE


def test_three_transport_failures_in_a_row_pause_the_job(app, answering):
    job_id = started(app, phones(5000))
    answering.inject("drop", "drop", "drop")
    run(app, job_id)
    paused = figures(app, job_id)
    assert (paused.state, paused.pause_reason) == (JobState.PAUSED, JobPause.TRANSPORT)
    assert [s for _n, s, _c in states(app, job_id)] == [BatchState.UNKNOWN] * 3 + [
        BatchState.WAITING] * 3
    with app.app_context():
        bulk.resume(job_id, None, "cli")
    run(app, job_id)
    done = figures(app, job_id)
    assert done.state == JobState.DONE and len(send_calls(answering)) == 6  # none again
    assert done.batches == {BatchState.UNKNOWN: 3, BatchState.ACCEPTED: 3}
    assert len(done.unknown_send_ids) == 3


def test_two_transport_failures_then_an_answer_do_not_pause(app, answering):
    job_id = started(app, phones(5000))
    answering.inject("drop", "drop")
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE


# -- the night (advertisements) ----------------------------------------------------------

AD_SETTINGS = {"SMSFORM_AD_SENDER_NAME": "스마트상사", "SMSFORM_AD_OPTOUT_NUMBER": "080-123-4567"}
AD_TEXT = "(광고)스마트상사\n겨울 할인\n무료수신거부 080-123-4567"


def test_an_advertisement_reaching_21_00_pauses_and_goes_on_by_itself_at_08_00(answering, db_url):
    clock = ManualClock(datetime(2026, 12, 7, 20, 58, tzinfo=KST))
    app = build_app(answering, SMSFORM_CLOCK=clock, SQLALCHEMY_DATABASE_URI=db_url,
                    **AD_SETTINGS)
    job_id = started(app, phones(2500), text=AD_TEXT, advertising=True, pace_ms=1)
    run(app, job_id, between=lambda _s: clock.advance(minutes=1))
    night = figures(app, job_id)
    assert (night.state, night.pause_reason) == (JobState.PAUSED, JobPause.NIGHT)
    assert night.resume_at == datetime(2026, 12, 7, 23, 0)  # 08:00 KST the next day, in UTC
    assert night.batches == {BatchState.ACCEPTED: 2, BatchState.WAITING: 1}
    with app.app_context():
        assert bulk.pick_up(now=datetime(2026, 12, 8, 7, 59, tzinfo=KST)) == []
        clock.now = datetime(2026, 12, 8, 8, 0, tzinfo=KST)
        assert bulk.pick_up() == [job_id]
    run(app, job_id)
    assert figures(app, job_id).state == JobState.DONE and len(send_calls(answering)) == 3


def test_an_advertisement_cannot_start_at_night_nor_be_scheduled_into_it(answering, db_url):
    clock = ManualClock(datetime(2026, 12, 7, 22, 0, tzinfo=KST))
    app = build_app(answering, SMSFORM_CLOCK=clock, SQLALCHEMY_DATABASE_URI=db_url,
                    **AD_SETTINGS)
    now_job = make_job(app, phones(3), text=AD_TEXT, advertising=True)
    later = make_job(app, phones(3), text=AD_TEXT, advertising=True,
                     send_at=datetime(2026, 12, 8, 14, 0))  # 23:00 KST
    for job_id in (now_job, later):
        with app.app_context(), pytest.raises(bulk.BulkRefused) as refused:
            bulk.start(job_id, None, "cli")
        assert refused.value.code == "night"
        assert refused.value.params == {"resumes": "2026-12-08 08:00"} or job_id == later
