"""``flask --app app worker`` as a process: killed with ``kill -9`` during a batch's call
and started again (the rest go, none twice, the one in flight ``unknown``), and two
workers on one database (PostgreSQL, with Redis as the queue) sending jobs together with
no batch sent twice. Also the batch claim itself raced by many threads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from simulator import (
    DEMO_SECURE_KEY,
    DEMO_SENDERS,
    DEMO_USER_ID,
    DropConnection,
    GatewayBackend,
)
from simulator.server import SimulatorServer
from smsform.extensions import db
from smsform.models import Job, Send, utcnow
from smsform.services import bulk
from smsform.states import BatchState, JobState, Result
from tests.bulk_support import checked, phones, sent_numbers, states
from tests.db import dialect, free_port
from tests.support import build_app, send_calls

ROOT = Path(__file__).resolve().parent.parent
CONNECT_TIMEOUT, READ_TIMEOUT = "0.5", "1.5"  # the unknown window: 3 x 0.5 + 1.5 + 2 = 5 s
DONE_WITHIN = 90.0


class GateBackend(GatewayBackend):
    """The demo account on a simulator whose send number ``hold`` (1-based) waits until
    ``release`` is set (the worker is killed meanwhile), is carried out, and loses its
    answer (the worst case: sent, and the app never knows); every other send takes
    ``delay`` seconds."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hold: int | None = None
        self.delay = 0.0
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._count = 0
        self._counting = threading.Lock()

    def send(self, f: dict[str, str]):
        """Hold the chosen send, else wait ``delay`` and apply the real rules."""
        with self._counting:
            self._count += 1
            number = self._count
        if number == self.hold:
            self.arrived.set()
            self.release.wait(timeout=120)
            super().send(f)
            raise DropConnection("/sms_sender.php")
        time.sleep(self.delay)
        return super().send(f)


@pytest.fixture
def gate() -> Iterator[tuple[SimulatorServer, GateBackend]]:
    backend = GateBackend()
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), 1_000_000)
    server = SimulatorServer(backend).start()
    yield server, backend
    backend.release.set()
    server.stop()


def worker_env(db_url: str, gateway_url: str, queue: str) -> dict[str, str]:
    """A real deployment's environment for the worker process."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CAFE24_", "SMSFORM_", "FLASK_")) and k not in (
               "DATABASE_URL", "SECRET_KEY")}
    env.update({
        "DATABASE_URL": db_url, "SECRET_KEY": "bulk-process-test", "SMSFORM_QUEUE": queue,
        "CAFE24_SMS_BASE_URL": gateway_url, "CAFE24_SMS_USER_ID": DEMO_USER_ID,
        "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY,
        "CAFE24_SMS_CONNECT_TIMEOUT": CONNECT_TIMEOUT, "CAFE24_SMS_READ_TIMEOUT": READ_TIMEOUT,
        "SMSFORM_LOG_LEVEL": "INFO", "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


class Worker:
    """``flask --app app worker`` in a subprocess, its output in ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT,
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        """SIGKILL: no handler runs, no outcome is written, no lease let go."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def app_on(db_url: str, gateway_url: str, queue: str) -> Flask:
    """The app (as the web process is) on the migrated ``db_url``, its queue ``queue``."""
    return build_app(None, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url,
                     SMSFORM_QUEUE=queue, CAFE24_SMS_BASE_URL=gateway_url,
                     CAFE24_SMS_USER_ID=DEMO_USER_ID, CAFE24_SMS_SECURE_KEY=DEMO_SECURE_KEY,
                     CAFE24_SMS_CONNECT_TIMEOUT=CONNECT_TIMEOUT,
                     CAFE24_SMS_READ_TIMEOUT=READ_TIMEOUT)


def start_job(app: Flask, numbers: list[str], per_batch: int) -> int:
    with app.app_context():
        job_id = bulk.create(checked(numbers, per_batch=per_batch),
                             bulk.sending.Actor(None, "cli", "cli"), source="cli")
        bulk.start(job_id, None, "cli")  # wakes a worker through the queue
    return job_id


def wait_done(app: Flask, job_ids: list[int], workers: list[Worker]) -> None:
    deadline = time.monotonic() + DONE_WITHIN
    while time.monotonic() < deadline:
        with app.app_context():
            found = [bulk.progress(j).state for j in job_ids]
        if all(s == JobState.DONE for s in found):
            return
        time.sleep(0.2)
    pytest.fail(f"jobs not done: {found}\n" + "\n".join(w.output() for w in workers))


@pytest.mark.slow  # starts the worker twice, kills it once
def test_a_worker_killed_during_a_batch_leaves_it_unknown_and_a_new_one_sends_the_rest(
        tmp_path, gate):
    server, backend = gate
    db_url = f"sqlite:///{tmp_path / 'smsform.db'}"
    queue = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = app_on(db_url, server.url, queue)
    numbers = phones(50)
    backend.hold = 3  # the third batch's call is in flight when the worker dies
    job_id = start_job(app, numbers, per_batch=10)
    env = worker_env(db_url, server.url, queue)
    first = Worker(env, tmp_path / "worker1.log").start()
    second = Worker(env, tmp_path / "worker2.log")
    try:
        assert backend.arrived.wait(timeout=60), first.output()
        # the second batch's outcome is written beside this call, once its request has left
        deadline = time.monotonic() + 10
        while states(app, job_id)[1][1] != BatchState.ACCEPTED:
            assert time.monotonic() < deadline, first.output()
            time.sleep(0.01)
        first.kill()
        backend.release.set()  # the gateway carries out the call the worker never heard of
        assert states(app, job_id)[:3] == [(1, BatchState.ACCEPTED, "success"),
                                           (2, BatchState.ACCEPTED, "success"),
                                           (3, BatchState.SENDING, None)]
        time.sleep(5.5)  # past the send log's unknown window
        second.start()
        wait_done(app, [job_id], [first, second])
    finally:
        first.kill()
        second.stop()
    assert [s for _n, s, _c in states(app, job_id)] == [
        BatchState.ACCEPTED, BatchState.ACCEPTED, BatchState.UNKNOWN, BatchState.ACCEPTED,
        BatchState.ACCEPTED]
    calls = send_calls(backend)
    assert len(calls) == 5  # the one in flight never went again
    everyone = [n for c in calls for n in c.fields["rphone"].split(",")]
    assert Counter(everyone) == Counter(numbers)  # each number exactly once
    with app.app_context():
        progress = bulk.progress(job_id)
        in_flight = db.session.get(Send, progress.unknown_send_ids[0])
    assert progress.recipients[BatchState.UNKNOWN] == 10
    assert (in_flight.result, in_flight.job_id, in_flight.batch) == (Result.PENDING, job_id, 3)
    assert "its lease is let go" in second.output()


@pytest.fixture
def redis_queue(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port of 127.0.0.1 (skipped when not installed)."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(host="127.0.0.1", port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def accepted(app: Flask, job_id: int) -> int:
    with app.app_context():
        return bulk.progress(job_id).batches.get(BatchState.ACCEPTED, 0)


def take_over(app: Flask, job_id: int, after: int, workers: list[Worker]) -> None:
    """Once ``after`` batches went, end the job's lease while its worker still sends (as a
    worker stalled past its lease looks) and wake the others: another worker takes the job
    over while the first finishes the batch in flight."""
    deadline = time.monotonic() + DONE_WITHIN
    while accepted(app, job_id) < after:
        if time.monotonic() > deadline:
            pytest.fail("\n".join(w.output() for w in workers))
        time.sleep(0.05)
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == job_id).values(
            lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        for _ in range(3):
            bulk.wake(job_id)


@pytest.mark.slow  # a PostgreSQL cluster, a redis-server and two worker processes
def test_two_workers_on_postgresql_with_redis_send_every_batch_once(
        postgres_url, redis_queue, gate, tmp_path):
    server, backend = gate
    backend.delay = 0.1
    app = app_on(postgres_url, server.url, redis_queue)
    numbers = phones(400)
    env = worker_env(postgres_url, server.url, redis_queue)
    workers = [Worker(env, tmp_path / f"worker{i}.log").start() for i in (1, 2)]
    try:
        job_id = start_job(app, numbers, per_batch=10)  # 40 batches
        with app.app_context():
            for _ in range(3):  # more wake-ups than jobs: every thread tries it
                bulk.wake(job_id)
        take_over(app, job_id, 5, workers)
        take_over(app, job_id, 15, workers)
        take_over(app, job_id, 25, workers)
        wait_done(app, [job_id], workers)
    finally:
        for worker in workers:
            worker.stop()
    assert Counter(sent_numbers(backend)) == Counter(numbers)  # each number once
    assert len(send_calls(backend)) == 40
    with app.app_context():
        per_batch = db.session.execute(select(Send.batch, func.count())
                                       .group_by(Send.batch)).all()
        claimers = {b.claimed_by for b in bulk.batches(job_id)}
    assert len(per_batch) == 40 and {n for _b, n in per_batch} == {1}
    assert len(claimers) >= 2  # the job went on in other workers' hands
    pids = {str(w.process.pid) for w in workers}
    assert {c.split(":")[-2] for c in claimers} <= pids


def test_many_threads_racing_for_one_jobs_batches_take_each_once(db_url, backend):
    app = build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        job_id = bulk.create(checked(phones(300), per_batch=10),
                             bulk.sending.Actor(None, "cli", "cli"), source="cli")
        bulk.start(job_id, None, "cli")
    barrier = threading.Barrier(8)

    def claim_all(worker: int) -> list[int]:
        taken = []
        with app.app_context():
            barrier.wait(timeout=30)
            while (batch := bulk.claim_batch(job_id, f"w{worker}")) is not None:
                taken.append(batch.number)
        return taken

    with ThreadPoolExecutor(8) as pool:
        claimed = list(pool.map(claim_all, range(8)))
    every = sorted(n for taken in claimed for n in taken)
    assert every == list(range(1, 31))  # each batch once, none left
    assert sum(1 for taken in claimed if taken) >= (2 if dialect(db_url) == "postgresql"
                                                   else 1)
