"""Reading a 100,000-row recipient list: CP949 CSV, UTF-8 CSV and .xlsx (issue 15's 2 s
and 200 MB goal for the read, the check and the de-duplication).

Run by hand: .venv/bin/python bench/lists.py [-n 100000] [--repeat 3]
Each format is read by ``services.lists.read_file`` in a child process of its own, so its
peak memory growth (``ru_maxrss`` after the read less before it, the file's bytes already
in memory) is its own. One row in 50 repeats an earlier number and one in 100 is not a
number, so the duplicate and refusal paths run too. The .xlsx is written as the tests
write one (inline strings; Excel's own shared strings read as fast through calamine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsform.services import lists  # noqa: E402
from tests.lists_support import csv_bytes, xlsx  # noqa: E402

GRADES = ("VIP", "일반", "신규")


def rows(count: int) -> list[tuple[object, ...]]:
    """A header and ``count`` rows: 이름, 휴대폰, 등급, 메모."""
    out: list[tuple[object, ...]] = [("이름", "휴대폰", "등급", "메모")]
    for i in range(count):
        number = f"010-{2000 + (i // 10000):04d}-{i % 10000:04d}"
        if i % 50 == 49:
            number = f"010-{2000:04d}-{(i // 50) % 10000:04d}"  # an earlier row's number
        if i % 100 == 99:
            number = "없음"
        out.append((f"고객{i:06d}", number, GRADES[i % 3], f"{i}번째 고객님"))
    return out


def _read(kind: str, data: bytes, queue: multiprocessing.Queue) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = lists.read_file(data, f"list.{kind}", lists.Limits(max_rows=10**7,
                                                                  max_bytes=10**9))
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((elapsed, (after - before) / 1024, len(report.rows), len(report.refused),
               len(report.duplicates)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="rows (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best shown)")
    args = parser.parse_args()
    table = rows(args.n)
    files = {"csv (CP949)": ("csv", csv_bytes(table, "cp949")),
             "csv (UTF-8 BOM)": ("csv", csv_bytes(table, "utf-8-sig")),
             "xlsx": ("xlsx", xlsx(table))}
    context = multiprocessing.get_context("fork")
    print(f"{args.n:,} rows; best of {args.repeat} runs, each in its own process")
    print(f"{'format':<16} {'size':>9} {'seconds':>8} {'peak +MB':>9}  kept / refused / dup")
    for label, (kind, data) in files.items():
        results = []
        for _ in range(args.repeat):
            queue: multiprocessing.Queue = context.Queue()
            child = context.Process(target=_read, args=(kind, data, queue))
            child.start()
            results.append(queue.get())
            child.join()
        elapsed, grown, kept, refused, duplicates = min(results)
        print(f"{label:<16} {len(data) / 1e6:>7.1f}MB {elapsed:>8.3f} {grown:>9.1f}  "
              f"{kept:,} / {refused:,} / {duplicates:,}")


if __name__ == "__main__":
    main()
