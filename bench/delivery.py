"""Delivery status (issue 16): 100,000 recipients' statuses synced from the gateway's
result list in at most 2,001 list calls (ceil(100,000 / 50) + 1), with the app's own work
under 1 ms a call and under 200 MB peak.

Run by hand: .venv/bin/python bench/delivery.py [-n 100000] [--lms 0.5] [--runs 3]
    [--database-url postgresql+psycopg://... | --postgres] [--profile FILE]

The simulator runs in a child process of its own (its own GIL) on 127.0.0.1; the app on a
SQLite file in a temporary folder (or ``--database-url``, an empty database it migrates;
``--postgres``, a throwaway cluster as the tests start one).

The set-up sends the recipients through the app, as they would really be logged: batches
of 999 through ``sending.submit`` (the send service every way in uses: the send log's row,
its ``send_recipients``, the gateway call), each ``{name}``-merged, half of them SMS and
half LMS (``--lms``), 1 % of the numbers ending in 0000 or 9999 (the simulator fails them,
with a refund), shuffled across the batches. Seeding the log and the simulator by hand
would be faster but would test our copy of the log's layout, not the log; the sends take
a few seconds. The simulator settles each message 3 s after it was sent; the bench waits
for that, so every listed record is final (3 or 9).

Each run is one ``delivery.sync`` as the worker runs it (pace 0: no pause between calls),
on the same log with every recipient's delivery put back to waiting first. Printed per
run: the list calls (the simulator's count, beside the sync's own) against the bound, the
wall time, and the app's own CPU (this process's ``time.process_time``: the simulator is
another process) per list call, which takes in parsing the pages, the matching and the
writes. One more run under ``tracemalloc`` gives the peak of the Python heap above what
it was before the sync (tracemalloc's own overhead makes that run slower; its time is not
used). Exit status 1 on a FAIL. Figures: docs/performance.md ("Delivery sync").
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select, update  # noqa: E402
from timing import on_database  # noqa: E402

from cafe24.calls import LIST_DISPLAY_MAX, SendRequest  # noqa: E402
from cafe24.phone import Recipient  # noqa: E402
from simulator import DEMO_SECURE_KEY, DEMO_SENDERS, DEMO_USER_ID, GatewayBackend  # noqa: E402
from simulator.server import SimulatorServer  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import DeliverySync, Send, SendRecipient  # noqa: E402
from smsform.services import delivery, sending  # noqa: E402
from tests.bulk_support import phones  # noqa: E402
from tests.support import build_app  # noqa: E402

PER_CALL_GOAL_MS = 1.0
PEAK_GOAL_MB = 200
BATCH = 999
ACTOR = sending.Actor(None, "bench", "cli")
SMS_TEXT = "{name}님, 12월 점검 안내입니다."
LMS_TEXT = "{name}님, " + "12월 정기 점검으로 서비스가 잠시 멈춥니다. 양해 부탁드립니다. " * 4
SETTLE = 3.5  # seconds: the simulator settles a message 3 s after its time


def _simulator(conn: Connection) -> None:
    backend = GatewayBackend()
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), 10**9)
    server = SimulatorServer(backend).start()
    conn.send(server.url)
    while True:
        command = conn.recv()
        if command == "calls":  # the list calls since the last ask
            conn.send(sum(1 for c in backend.calls if c.path == "/sms_list.php"))
            backend.calls.clear()
        elif command == "stored":
            conn.send((len(backend.messages),
                       sum(1 for m in backend.messages if m.fail_code)))
        else:
            server.stop()
            conn.send(True)
            return


def recipients(n: int, rng: random.Random) -> tuple[list[str], int]:
    """``n`` different numbers, 1 % of them (at least 2) ending in 0000 or 9999 (half each),
    shuffled; and how many will fail."""
    failing = max(2, n // 100)
    numbers = phones(n - failing)  # none ends in 0000 or 9999; middles from 1000 up
    numbers += [f"010-{2000 + i // 2:04d}-{'0000' if i % 2 == 0 else '9999'}"
                for i in range(failing)]
    rng.shuffle(numbers)
    return numbers, failing


def send_all(numbers: list[str], lms_share: float) -> tuple[int, dict[str, int]]:
    """Send ``numbers`` in batches of 999 through the send service, the first
    ``lms_share`` of them as LMS (a batch is one kind); the sends made and the recipients
    of each kind."""
    lms_count = round(len(numbers) * lms_share)
    sends, kinds = 0, {"S": 0, "L": 0}
    for first, last, lms in ((0, lms_count, True), (lms_count, len(numbers), False)):
        for start in range(first, last, BATCH):
            named = tuple(Recipient(numbers[i], f"고객{i:06d}")
                          for i in range(start, min(last, start + BATCH)))
            request = SendRequest(msg=LMS_TEXT if lms else SMS_TEXT, sender=DEMO_SENDERS[0],
                                  named=named, lms=lms, subject="점검 안내" if lms else "")
            result = sending.submit(sending.SendOrder(request, ACTOR))
            if result.status is not sending.Status.SUCCESS:
                raise SystemExit(f"the set-up's send failed: {result.status} "
                                 f"{result.problems} {result.detail}")
            sends += 1
            kinds["L" if lms else "S"] += len(named)
    return sends, kinds


def reset() -> None:
    """Every recipient waiting again, every send looked for again (the state before the
    first sync)."""
    r, s = SendRecipient.__table__, Send.__table__
    with db.engine.begin() as connection:
        connection.execute(update(r).values(delivery=None, delivery_at=None,
                                            delivery_code=None, refunded_at=None,
                                            delivery_ambiguous=False))
        connection.execute(update(s).values(delivery_done_at=None, listed_at=None))


def stored_counts() -> dict[str | None, int]:
    r = SendRecipient.__table__
    with db.engine.connect() as connection:
        return dict(connection.execute(
            select(r.c.delivery, func.count()).group_by(r.c.delivery)).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="recipients (default 100,000)")
    parser.add_argument("--lms", type=float, default=0.5,
                        help="the share sent as LMS (default 0.5)")
    parser.add_argument("--runs", type=int, default=3, help="timed syncs (default 3)")
    parser.add_argument("--profile", help="write a cProfile (process CPU) of one more sync "
                        "to this file")
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster (tests/db.py) and use it")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    return on_database(args, "database_url", _measure)


def _measure(args: argparse.Namespace) -> int:
    parent, child = multiprocessing.Pipe()
    simulator = multiprocessing.Process(target=_simulator, args=(child,), daemon=True)
    simulator.start()
    url = parent.recv()
    folder = tempfile.mkdtemp(prefix="bench-delivery-")
    app = build_app(None, tables="migrations",
                    SQLALCHEMY_DATABASE_URI=args.database_url or f"sqlite:///{folder}/d.db",
                    CAFE24_SMS_BASE_URL=url, CAFE24_SMS_USER_ID=DEMO_USER_ID,
                    CAFE24_SMS_SECURE_KEY=DEMO_SECURE_KEY)
    numbers, failing = recipients(args.n, random.Random(16))
    bound = math.ceil(args.n / LIST_DISPLAY_MAX) + 1
    windows = delivery.Windows(pace=0)
    failed = False
    with app.app_context():
        started = time.perf_counter()
        sends, kinds = send_all(numbers, args.lms)
        print(f"set-up: {args.n:,} recipients ({kinds['S']:,} SMS, {kinds['L']:,} LMS, "
              f"{failing:,} to fail) in {sends} sends through sending.submit, "
              f"{time.perf_counter() - started:.1f} s")
        time.sleep(SETTLE)
        parent.send("stored")
        stored, to_fail = parent.recv()
        print(f"the simulator holds {stored:,} records, {to_fail:,} of them to fail")
        parent.send("calls")
        parent.recv()
        figures = []
        for run in range(args.runs):
            reset()
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            report = delivery.sync(windows=windows)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            parent.send("calls")
            calls = parent.recv()
            counts = stored_counts()
            ok = (calls == report.calls <= bound and not report.stopped
                  and report.delivered == args.n - failing and report.failed == failing
                  and counts.get("delivered") == args.n - failing
                  and counts.get("failed") == failing and report.foreign == 0)
            per_call = cpu / max(1, calls) * 1000
            figures.append((per_call, wall, cpu))
            print(f"run {run + 1}: {calls:,} list calls (the sync counted {report.calls:,}; "
                  f"bound {bound:,}; S {report.calls_by_kind.get('S', 0):,}, "
                  f"L {report.calls_by_kind.get('L', 0):,}), {report.listed:,} listed, "
                  f"{report.matched:,} matched, {report.delivered:,} delivered, "
                  f"{report.failed:,} failed, {report.foreign} foreign, "
                  f"{report.ambiguous} ambiguous; wall {wall:.2f} s, app CPU {cpu:.2f} s = "
                  f"{per_call:.3f} ms a call {'ok' if ok else 'WRONG'}")
            failed |= not ok
        if args.profile:
            import cProfile

            reset()
            # Timed by this process's CPU, as the goal counts (not the wall clock, which
            # holds the simulator's turns on the two cores).
            profiler = cProfile.Profile(time.process_time)
            profiler.runctx("delivery.sync(windows=windows)", globals(),
                            {"delivery": delivery, "windows": windows})
            profiler.dump_stats(args.profile)
            parent.send("calls")
            parent.recv()
            print(f"profile of one more sync: {args.profile}")
        reset()
        gc.collect()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        report = delivery.sync(windows=windows)
        peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        parent.send("calls")
        parent.recv()
        with db.engine.connect() as connection:
            runs = connection.execute(select(func.count()).select_from(
                DeliverySync.__table__)).scalar()
    parent.send("stop")
    parent.recv()
    simulator.join(timeout=10)
    best = min(figures)
    calls_ok = all(f[0] for f in figures) and not failed
    print(f"list calls: at most {bound:,} (ceil({args.n:,} / {LIST_DISPLAY_MAX}) + 1) "
          f"{'PASS' if calls_ok else 'FAIL'}")
    ok = best[0] < PER_CALL_GOAL_MS
    failed |= not ok
    print(f"the app's own CPU a list call: best {best[0]:.3f} ms of {len(figures)} runs "
          f"(worst {max(figures)[0]:.3f}; best run {best[2]:.2f} s CPU, {best[1]:.2f} s wall) "
          f"(goal < {PER_CALL_GOAL_MS} ms) {'PASS' if ok else 'FAIL'}")
    ok = peak < PEAK_GOAL_MB
    failed |= not ok
    print(f"peak memory of the sync (tracemalloc, the Python heap above its start): "
          f"{peak:.1f} MB; the process's ru_maxrss {rss_before / 1024:.0f} MB before, "
          f"{rss_after / 1024:.0f} MB after (goal < {PEAK_GOAL_MB} MB) "
          f"{'PASS' if ok else 'FAIL'}")
    print(f"{runs} syncs kept in delivery_syncs; the last wrote {report.delivered:,} "
          f"delivered and {report.failed:,} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
