"""services.bulk.run: a started job's batches through the send service to the simulator,
each once; the send log rows carry the job and batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smsform.extensions import db
from smsform.models import Send
from smsform.services import bulk
from smsform.states import BatchState, JobState
from tests.bulk_support import make_job, phones, sent_numbers
from tests.support import send_calls


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
