"""Bulk jobs (issue 15): a 100,000-row list read, checked and de-duplicated
(``lists.read_file`` + ``bulk_check.check``) in under 2 s with under 200 MB of peak memory
growth, as a CP949 CSV and as an .xlsx of the same rows.

Run by hand: .venv/bin/python bench/bulk.py [-n 100000] [--repeat 3]
The list is bench/lists.py's (이름, 휴대폰, 등급, 메모; one row in 50 repeats a number,
one in 100 is not a number), on a SQLite file whose opt-out list holds 1,000 of its
numbers. Two texts: ``{name}`` alone (the gateway merges it: the rows share batches) and
``{name}`` with ``{등급}`` (the app merges the grade: three texts, each its own batches).
Time is the best of ``--repeat`` runs without tracing (wall clock: read, check, total;
and the process's CPU time, which other work on a shared machine changes less); the peak
memory growth is tracemalloc's peak over one more run (tracing slows the run, so it is not
timed), the file's bytes already in memory. Figures: docs/performance.md ("Bulk jobs").
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bench.lists import rows  # noqa: E402
from simulator import DEMO_SENDERS, demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import OptOut, utcnow  # noqa: E402
from smsform.services import bulk_check, lists  # noqa: E402
from tests.lists_support import csv_bytes, xlsx  # noqa: E402
from tests.support import build_app  # noqa: E402

GOAL_SECONDS, GOAL_MB = 2.0, 200
TEXTS = {"{name}": "{name}님, 12월 정기 점검 안내입니다.",
         "{name} + {등급}": "{name}님은 {등급} 고객이십니다. 12월 혜택을 확인하세요."}
#: A weekday morning in Korea (an advertisement would be allowed; these are notices).
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
LIMITS = lists.Limits(max_rows=10**7, max_bytes=10**9)


def read_and_check(data: bytes, name: str, text: str) -> bulk_check.Checked:
    """The read and the check, as the upload page and the API run them."""
    report = lists.read_file(data, name, LIMITS)
    return bulk_check.check(report, bulk_check.Draft(DEMO_SENDERS[0], text), now=NOW)


def timed(data: bytes, name: str, text: str,
          repeat: int) -> tuple[float, float, float, float, bulk_check.Checked]:
    """The best total of ``repeat`` runs (and that run's read, check and CPU time), the
    last result."""
    best = (float("inf"), 0.0, 0.0, 0.0)
    checked = None
    for _ in range(repeat):
        gc.collect()
        cpu = time.process_time()
        started = time.perf_counter()
        report = lists.read_file(data, name, LIMITS)
        read_at = time.perf_counter()
        checked = bulk_check.check(report, bulk_check.Draft(DEMO_SENDERS[0], text), now=NOW)
        done = time.perf_counter()
        best = min(best, (done - started, read_at - started, done - read_at,
                          time.process_time() - cpu))
    assert checked is not None
    return (*best, checked)


def peak_mb(data: bytes, name: str, text: str) -> float:
    """tracemalloc's peak over one run, in MB (what the run allocated at most at once)."""
    gc.collect()
    tracemalloc.start()
    checked = read_and_check(data, name, text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del checked
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="rows (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best shown)")
    args = parser.parse_args()
    table = rows(args.n)
    files = {"CSV (CP949)": ("list.csv", csv_bytes(table, "cp949")),
             ".xlsx": ("list.xlsx", xlsx(table))}
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(demo_backend(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/b.db")
        with app.app_context():
            listed = dict.fromkeys(str(row[1]).replace("-", "") for row in table[1:3001:3]
                                   if str(row[1]).startswith("010"))
            db.session.execute(insert(OptOut), [
                {"phone": phone, "created_at": utcnow(), "via": "hand", "by_name": "bench"}
                for phone in list(listed)[:1000]])
            db.session.commit()
            print(f"{args.n:,} rows; read + check, best of {args.repeat}; "
                  f"goal < {GOAL_SECONDS:.0f} s and < {GOAL_MB} MB peak growth")
            print(f"{'file':<12} {'text':<16} {'read':>6} {'check':>6} {'total':>6} "
                  f"{'cpu':>6} {'peak MB':>8}  recipients / refused / dup / opted out; calls")
            failed = False
            for label, (name, data) in files.items():
                for text_label, text in TEXTS.items():
                    seconds, reading, checking, cpu, checked = timed(data, name, text,
                                                                     args.repeat)
                    peak = peak_mb(data, name, text)
                    ok = seconds < GOAL_SECONDS and peak < GOAL_MB
                    failed |= not ok
                    print(f"{label:<12} {text_label:<16} {reading:>6.3f} {checking:>6.3f} "
                          f"{seconds:>6.3f} {cpu:>6.3f} {peak:>8.1f}  "
                          f"{checked.recipients:,} / {checked.refused:,} / "
                          f"{checked.duplicates:,} / {checked.opted_out:,}; "
                          f"{checked.calls:,}  {'PASS' if ok else 'FAIL'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
