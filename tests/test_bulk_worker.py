"""smsform.worker: the queue a setting names, a wake-up that never fails a request, and
the minute task that runs what needs a worker."""

from __future__ import annotations

from huey import MemoryHuey, RedisHuey, SqliteHuey

from smsform import worker
from smsform.services import bulk
from smsform.states import JobState
from tests.bulk_support import make_job, phones
from tests.support import build_app, send_calls


def test_the_queue_is_the_one_the_setting_names(backend, tmp_path, closed_port):
    assert isinstance(worker.queue(build_app(backend)), MemoryHuey)  # the tests' own
    path = tmp_path / "queue.sqlite3"
    assert isinstance(worker.queue(build_app(backend, SMSFORM_QUEUE=f"sqlite:///{path}")),
                      SqliteHuey)
    assert isinstance(worker.queue(build_app(
        backend, SMSFORM_QUEUE=f"redis://127.0.0.1:{closed_port}/0")), RedisHuey)


def test_starting_a_job_puts_one_message_on_the_queue(app):
    job_id = make_job(app, phones(3))
    with app.app_context():
        bulk.start(job_id, None, "cli")
    huey = worker.queue(app)
    assert huey.pending_count() == 1
    message = huey.dequeue()
    assert (message.name, message.args) == ("run_job", (job_id,))


def test_a_queue_that_is_down_never_fails_a_start(backend, closed_port, caplog):
    app = build_app(backend, SMSFORM_QUEUE=f"redis://127.0.0.1:{closed_port}/0")
    job_id = make_job(app, phones(3))
    with app.app_context():
        assert bulk.start(job_id, None, "cli").state == JobState.RUNNING
    assert "the queue could not be reached" in caplog.text
    # The minute task finds it all the same.
    with app.app_context():
        assert bulk.pick_up() == [job_id]


def test_the_minute_task_runs_the_jobs_that_need_a_worker(app, backend):
    job_id = make_job(app, phones(3))
    with app.app_context():
        bulk.start(job_id, None, "cli")
    huey = worker.queue(app)
    huey.flush()  # the start's message lost
    worker.tasks(app)["pick_up"].call_local()
    message = huey.dequeue()
    huey.execute(message)
    with app.app_context():
        assert bulk.progress(job_id).state == JobState.DONE
    assert len(send_calls(backend)) == 1
