"""GET /jobs/<id> (the progress page) and /jobs/<id>.json (what its script polls) while a
job of 100,000 recipients runs, on a SQLite file (or PostgreSQL with --database).

Run by hand: .venv/bin/python bench/bulk_pages.py [-n 300] [--recipients 100000]
             .venv/bin/python bench/bulk_pages.py --database postgresql+psycopg://u@host/db
             .venv/bin/python bench/bulk_pages.py --postgres   (a throwaway cluster, as the
                                                                tests start one)
The goal (issue 15): each answer under 20 ms while the job runs (judged on the p95).
The job is made by bulk.create (101 batches of at most 999) and started; a worker sends its
batches to a simulator of its own with a pause between them (--pace-ms, 50 by default) the
whole time the pages are asked, through the app's test client signed in as the job's
sender. The worker is a process of its own, as ``flask --app app worker`` is (--worker
thread runs it in this process instead: its GIL then goes beside each answer). The exit
status is 1 on FAIL.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import on_database, stats, summary  # noqa: E402

from simulator import demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import User  # noqa: E402
from smsform.services import bulk, sending  # noqa: E402
from tests.bulk_support import checked, phones  # noqa: E402
from tests.support import build_app, sign_in  # noqa: E402

GOAL_MS = 20.0


def _work(url: str, job_id: int, pace_ms: int, credits: int, stop: Any) -> None:
    """The worker process: the app on the same database, its own simulator, bulk.run."""
    logging.disable(logging.WARNING)
    backend = demo_backend()
    backend.accounts["demo"].credits = credits
    app = build_app(backend, tables=None, SQLALCHEMY_DATABASE_URI=url,
                    SMSFORM_BULK_PACE_MS=str(pace_ms))
    with app.app_context():
        bulk.run(job_id, "bench-worker", stop=stop.is_set)


def _timed(fn: Callable[[], object], n: int) -> tuple[list[float], list[float]]:
    """Wall and this thread's CPU seconds of each of n calls (the CPU leaves out the
    worker thread and the machine's other load; the wall time has both)."""
    walls, cpus = [], []
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.thread_time()
        fn()
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return walls, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="answers of each kind")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--pace-ms", type=int, default=50)
    parser.add_argument("--database", help="a database URL (default: a SQLite file)")
    parser.add_argument("--worker", choices=("process", "thread"), default="process",
                        help="where the job's worker runs (default: a process of its own)")
    parser.add_argument("--judge-cpu", action="store_true",
                        help="judge this thread's CPU time, not the wall time (a busy "
                        "machine; PostgreSQL's own work is then left out)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster (tests/db.py) and use it")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    return on_database(args, "database", _measure)


def _measure(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bulk_pages.db'}"
        backend = demo_backend()
        backend.accounts["demo"].credits = args.recipients * 2
        app = build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=url,
                        SMSFORM_BULK_PACE_MS=str(args.pace_ms))
        client = sign_in(app, "sender", "bench-sender")
        with app.app_context():
            user_id = db.session.execute(db.select(User.id).filter_by(
                username="bench-sender")).scalar_one()
            job_id = bulk.create(checked(phones(args.recipients), names=True),
                                 sending.Actor(user_id, "bench-sender", "bulk"),
                                 source="web")
            bulk.start(job_id, user_id, "bench-sender")
        worker: Any
        if args.worker == "thread":
            stop: Any = threading.Event()

            def work() -> None:
                with app.app_context():
                    bulk.run(job_id, "bench-worker", stop=stop.is_set)

            worker = threading.Thread(target=work, daemon=True)
        else:
            spawn = multiprocessing.get_context("spawn")
            stop = spawn.Event()
            worker = spawn.Process(target=_work, args=(
                url, job_id, args.pace_ms, args.recipients * 2, stop), daemon=True)
        worker.start()
        page = f"/jobs/{job_id}"
        json_url = f"/jobs/{job_id}.json"
        client.get(page)  # templates compiled, connections open
        time.sleep(3)  # the worker process is up and sending
        print(f"job {job_id}: {args.recipients:,} recipients, pace {args.pace_ms} ms, "
              f"{url.partition(':')[0]}, worker in a {args.worker}")
        pages, pages_cpu = _timed(lambda: client.get(page), args.n)
        summary("GET /jobs/<id> (HTML)", pages)
        summary("  its own CPU (this thread)", pages_cpu)
        answers, answers_cpu = _timed(lambda: client.get(json_url), args.n)
        summary("GET /jobs/<id>.json", answers)
        summary("  its own CPU (this thread)", answers_cpu)
        with app.app_context():
            done = bulk.progress(job_id)
        stop.set()
        worker.join(timeout=30)
        print(f"batches done while measured: {done.batch_done} of {done.batch_total} "
              f"({done.state})")
    worst = max(stats(pages)[2], stats(answers)[2])
    if args.judge_cpu:
        worst = max(stats(pages_cpu)[2], stats(answers_cpu)[2])
    verdict = "PASS" if worst < GOAL_MS and done.state == "running" else "FAIL"
    what = "CPU p95" if args.judge_cpu else "p95"
    print(f"{verdict}: {what} {worst:.2f} ms against {GOAL_MS:.0f} ms while the job runs")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
