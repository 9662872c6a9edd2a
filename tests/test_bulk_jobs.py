"""services.bulk: a checked list written as a job (batches, recipients, problems, upload)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

import config
from smsform.extensions import db
from smsform.models import Job, JobBatch, JobProblem, JobRecipient, JobUpload
from smsform.services import bulk
from smsform.services.lists import RowProblem
from smsform.states import BatchState, JobState
from tests.bulk_support import ACTOR, checked, phones
from tests.support import build_app


@pytest.fixture
def both(backend, db_url):
    """The app on SQLite and on PostgreSQL (which writes a job's rows with COPY)."""
    return build_app(backend, SQLALCHEMY_DATABASE_URI=db_url)


def test_create_writes_the_job_its_batches_recipients_problems_and_upload(both):
    app = both
    numbers = phones(2500)
    problem = RowProblem(row=9000, value="010-12", code="invalid_phone")
    with app.app_context():
        job_id = bulk.create(checked(numbers, names=True, problems=[problem]), ACTOR,
                             source="web", file_name="고객.csv", upload=b"phone\n")
        job = db.session.get(Job, job_id)
        batches = db.session.scalars(select(JobBatch).where(JobBatch.job_id == job_id)
                                     .order_by(JobBatch.number)).all()
        recipients = db.session.scalars(select(JobRecipient).where(
            JobRecipient.job_id == job_id).order_by(JobRecipient.position)).all()
        problems = db.session.scalars(select(JobProblem)).all()
        upload = db.session.get(JobUpload, job_id)
    assert job.state == JobState.CHECKING and job.source == "web"
    assert (job.recipient_count, job.batch_count, job.refused_count) == (2500, 3, 1)
    assert json.loads(job.fields) == [] and job.file_name == "고객.csv"
    assert [(b.number, b.first_position, b.recipient_count) for b in batches] == [
        (1, 0, 999), (2, 999, 999), (3, 1998, 502)]
    assert {b.state for b in batches} == {BatchState.WAITING}
    assert [r.position for r in recipients] == list(range(2500))
    assert recipients[0].phone == numbers[0].replace("-", "")  # digits only
    assert recipients[999].batch == 2 and recipients[999].name == "고객999"
    assert [(p.row, p.code) for p in problems] == [(9000, "invalid_phone")]
    assert upload.data == b"phone\n"


def test_a_hundred_thousand_recipients_are_written_in_one_transaction(app):
    with app.app_context():
        job_id = bulk.create(checked(phones(100_000)), ACTOR, source="api")
        count = db.session.scalar(select(func.count()).select_from(JobRecipient)
                                  .where(JobRecipient.job_id == job_id))
        batches = db.session.scalar(select(func.count()).select_from(JobBatch))
    assert (count, batches) == (100_000, 101)


def test_every_name_and_field_is_written_as_it_was_read(both):
    odd = ["탭\t이름", "줄\n바꿈", "역\\슬래시", "따옴표 \"와\" '", "쉼표, 바|", "\\N", ""]
    plan = checked(phones(len(odd)), names=True)
    people = tuple(r._replace(name=name, fields={"메모": name, "n": "\\."})
                   for r, name in zip(plan.batches[0].recipients, odd, strict=True))
    plan.batches[0] = replace(plan.batches[0], recipients=people)
    problems = [RowProblem(row=90, value="\t\\N\n", code="invalid_phone")]
    with both.app_context():
        job_id = bulk.create(replace(plan, problems=problems), ACTOR, source="cli")
        rows = db.session.execute(select(JobRecipient.name, JobRecipient.fields).where(
            JobRecipient.job_id == job_id).order_by(JobRecipient.position)).all()
        kept = db.session.execute(select(JobProblem.value).where(
            JobProblem.job_id == job_id)).scalars().all()
    assert [name for name, _ in rows] == [name or None for name in odd]
    assert [json.loads(fields) for _, fields in rows] == [
        {"메모": name, "n": "\\."} for name in odd]
    assert kept == ["\t\\N\n"]


def _settings(**env: str) -> config.Settings:
    return config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", **env},
                           "/nonexistent")


def test_the_bulk_settings_have_defaults_and_refuse_bad_values():
    default = _settings()
    assert default.queue_url == "sqlite:////nonexistent/queue.sqlite3"
    assert (default.bulk_pace_ms, default.bulk_late_after) == (0, 60)
    chosen = _settings(SMSFORM_QUEUE="redis://:secret@127.0.0.1:6390/2",
                       SMSFORM_BULK_PACE_MS="250", SMSFORM_BULK_LATE_AFTER="15")
    assert chosen.queue_url == "redis://:secret@127.0.0.1:6390/2"
    assert "secret" not in repr(chosen)
    assert (chosen.bulk_pace_ms, chosen.bulk_late_after) == (250, 15)
    for name, value in (("SMSFORM_QUEUE", "amqp://:pw@host"), ("SMSFORM_BULK_PACE_MS", "-1"),
                        ("SMSFORM_BULK_LATE_AFTER", "0")):
        with pytest.raises(config.SettingsError, match=name) as refused:
            _settings(**{name: value})
        assert "pw" not in str(refused.value)
