"""The opt-out list's step on a send's path: ``services.optouts.opted_out`` (one indexed
``phone IN (...)`` look-up a send), for one number and for 999, on an empty list and on
one of 100,000 numbers; and the whole judge (``compliance.judge``) of a plain one-number
send, which now includes it.

Run by hand: .venv/bin/python bench/optouts.py [-n 2000]
A SQLite file in a temporary folder, as a deployment on one machine has it; nothing is
sent. Figures: docs/optouts.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from cafe24.calls import SendRequest  # noqa: E402
from simulator import demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import OptOut, utcnow  # noqa: E402
from smsform.services import compliance, optouts  # noqa: E402
from tests.support import build_app  # noqa: E402

LISTED = 100_000


def per_call(step: Callable[[], object], count: int) -> float:
    """Microseconds per call of ``step``, after one warm-up call."""
    step()
    start = time.perf_counter()
    for _ in range(count):
        step()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    """Fill the list, time the look-ups, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="calls per one-number figure")
    count = parser.parse_args().n
    one = ["010-2222-3333"]
    many = [f"010-{5000 + i // 10000:04d}-{i % 10000:04d}" for i in range(999)]
    plain = SendRequest(msg="주문하신 상품이 발송되었습니다", sender="02-123-4567",
                        recipients=tuple(one))
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(demo_backend(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/b.db")
        with app.app_context():
            for label in ("empty list", f"{LISTED:,} listed"):
                single = per_call(lambda: optouts.opted_out(one), count)
                batch = per_call(lambda: optouts.opted_out(many), count // 20)
                judged = per_call(lambda: compliance.judge(plain), count)
                print(f"{label:>16}: 1 number {single:6.1f} us | 999 numbers {batch:7.1f} us"
                      f" | judge of a plain send {judged:6.1f} us")
                if label == "empty list":
                    now = utcnow()
                    with db.engine.begin() as connection:
                        connection.execute(insert(OptOut.__table__), [
                            {"phone": f"010{i:08d}", "created_at": now, "via": "file",
                             "by_name": "bench"} for i in range(LISTED)])


if __name__ == "__main__":
    main()
