"""The bulk jobs' worker: Huey, its queue, its two tasks, and ``flask --app app worker``.

The queue is ``SMSFORM_QUEUE``: a SQLite file (``instance/queue.sqlite3`` by default: no
extra service on one machine), Redis (``redis://...``: workers on several machines, with
PostgreSQL) or memory (``memory://``, one process: the tests). The database is the truth:
a queue message only wakes a worker (``run_job``), and ``pick_up`` runs every minute and
when the worker starts, so a lost message, a killed worker or an emptied queue never loses
a job (services.bulk). Nothing here decides anything: both tasks call the service.

``init_app`` gives the service its wake-up (``bulk.WAKE``); the queue itself is opened
only when first used, so a web process that never starts a job never touches it.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

import click
from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from smsform import logs
from smsform.services import bulk, delivery

log = logs.get("worker")
#: The app's extension key of its Huey (made on first use).
HUEY = "smsform.huey"
#: Huey's name for the queue (one per app: Redis keys, SQLite's table rows).
QUEUE_NAME = "smsform"
_lock = threading.Lock()
#: Set when this process's consumer stops: a running job ends after its current batch.
STOPPING = threading.Event()


def worker_id() -> str:
    """Who holds a job's lease: this machine, process and thread (``host:pid:thread``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _make(app: Flask) -> Huey:
    url = app.extensions["smsform.settings"].queue_url
    scheme = url.partition("://")[0].lower()
    if scheme == "sqlite":
        huey: Huey = SqliteHuey(QUEUE_NAME, filename=url.partition(":///")[2], results=False)
    elif scheme == "memory":
        huey = MemoryHuey(QUEUE_NAME, results=False)
    else:
        huey = RedisHuey(QUEUE_NAME, url=url, results=False)

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        """Run one job for this worker thread (the service holds its lease)."""
        with app.app_context():
            bulk.run(job_id, worker_id(), stop=STOPPING.is_set)

    @huey.periodic_task(crontab(minute="*"), name="pick_up")
    def pick_up() -> None:
        """Start what is due, settle what a dead worker left, and run what needs a worker."""
        with app.app_context():
            for job_id in bulk.pick_up():
                run_job(job_id)

    @huey.periodic_task(crontab(minute="*"), name="delivery_sync")
    def delivery_sync() -> None:
        """Read the gateway's result list when the last sync is SMSFORM_DELIVERY_EVERY
        minutes old (services.delivery)."""
        with app.app_context():
            delivery.sync_if_due()

    app.extensions[f"{HUEY}.tasks"] = {"run_job": run_job, "pick_up": pick_up,
                                       "delivery_sync": delivery_sync}
    return huey


def queue(app: Flask | None = None) -> Huey:
    """The app's Huey (opened on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        huey = app.extensions.get(HUEY)
        if huey is None:
            huey = app.extensions[HUEY] = _make(app)
    return huey


def tasks(app: Flask | None = None) -> dict[str, Any]:
    """The two tasks, by name (``run_job``, ``pick_up``)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    queue(app)
    return app.extensions[f"{HUEY}.tasks"]


def wake(job_id: int) -> None:
    """Put a ``run_job`` message on the queue (bulk.wake calls it and survives a queue
    that is down: the minute task is the net)."""
    tasks()["run_job"](job_id)


def init_app(app: Flask) -> None:
    """Give the bulk service its wake-up and register ``flask --app app worker``."""
    app.extensions[bulk.WAKE] = wake
    app.cli.add_command(worker_command)


class _Consumer(Consumer):
    """Huey's consumer, stopping gracefully on SIGINT (Ctrl-C) and SIGTERM alike (systemd,
    honcho): a running job ends after the batch in flight, which is recorded; a second
    signal changes nothing (honcho sends SIGTERM right after the terminal's SIGINT)."""

    def _set_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._stop_gracefully)

    def _stop_gracefully(self, signum: int, _frame: Any) -> None:
        STOPPING.set()
        self._signum, self._restart, self._graceful = signum, False, True


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 32),
              help="Jobs run at once by this worker.")
def worker_command(threads: int) -> None:
    """Run the bulk jobs' worker until Ctrl-C (or SIGTERM): it sends the jobs' batches and,
    every minute, picks up what is due or was left by a stopped worker."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = queue(app)
    log.warning("worker %s: queue %s, %d thread(s)", worker_id(),
                type(huey).__name__, threads)
    tasks(app)["pick_up"]()  # at once: a restarted worker goes on without waiting a minute
    # Idle threads look at the queue at least every 2 s (Huey's default backs off to 10 s).
    _Consumer(huey, workers=threads, worker_type="thread", periodic=True, max_delay=2.0,
              check_worker_health=True).run()
    log.warning("worker %s stopped", worker_id())
