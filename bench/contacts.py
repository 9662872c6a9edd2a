"""The address book at scale (issue 14): 1,000,000 contacts in a SQLite file, one group of
100,000 of them; a search page and a group's first page under 50 ms, and the group of
100,000 resolved into recipients under 1 s.

Run by hand: .venv/bin/python bench/contacts.py [--contacts 1000000] [--group 100000]
             [--db /tmp/smsform-contacts-bench.db] [--refill] [-n 20]
The database is made by the migrations and filled once with plain bulk inserts (kept for
the next run; --refill builds it again). Pages are measured through the app's test client
signed in as a sender (the whole request: routing, the session, the queries, the template);
the resolution is ``services.contacts.recipients_of`` with no limit (what a bulk job will
ask of a group), and ``add_to_request`` at the send form's limit of 999 for comparison.
Each figure is the median of -n runs (the worst is printed too).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from simulator import demo_backend  # noqa: E402
from smsform import database  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import User  # noqa: E402
from smsform.services import accounts, contacts  # noqa: E402

PAGE_GOAL_MS = 50.0
RESOLVE_GOAL_MS = 1000.0
BATCH = 50_000
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "지우", "하준", "서윤", "은우", "지호", "수아", "예준",
         "하은", "시우", "지민", "유준", "채원", "주원", "지유", "건우", "윤서", "현우"]
GRADES = ("VIP", "일반", "신규", "휴면")


def _phone(i: int) -> str:
    return f"010-{1000 + i // 10000:04d}-{i % 10000:04d}"


def _fill(path: Path, count: int, group_size: int) -> None:
    """contacts 1..count (names spread over the alphabet of surnames), groups 'VIP'
    (every tenth contact, up to group_size) and 'small' (100 contacts)."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    rows = []
    for i in range(count):
        phone = _phone(i)
        digits = phone.replace("-", "")
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)]
        rows.append((phone, digits, digits[-4:], name, "",
                     json.dumps({"등급": GRADES[i % 4]}, ensure_ascii=False), now, now))
        if len(rows) == BATCH:
            connection.executemany(
                "INSERT INTO contacts (phone, digits, tail, name, memo, fields, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    if rows:
        connection.executemany(
            "INSERT INTO contacts (phone, digits, tail, name, memo, fields, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.execute("INSERT INTO contact_groups (id, name, created_at) VALUES (1, 'VIP', ?)",
                       (now,))
    connection.execute("INSERT INTO contact_groups (id, name, created_at) "
                       "VALUES (2, 'small', ?)", (now,))
    step = max(1, count // group_size)
    connection.executemany("INSERT INTO contact_members (group_id, contact_id) VALUES (1, ?)",
                           ((i,) for i in range(1, count + 1, step)))
    connection.executemany("INSERT INTO contact_members (group_id, contact_id) VALUES (2, ?)",
                           ((i,) for i in range(5, 5 + 100 * 997, 997)))
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def _timed(step, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--group", type=int, default=100_000, help="the big group's size")
    parser.add_argument("--db", type=Path,
                        default=Path(tempfile.gettempdir()) / "smsform-contacts-bench.db")
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("-n", type=int, default=20, help="runs of each page (median)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    fresh = args.refill or not args.db.exists()
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db}",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "SIMULATOR_BACKEND": demo_backend(),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        database.upgrade()
        if fresh:
            started = time.perf_counter()
            _fill(args.db, args.contacts, args.group)
            print(f"filled {args.contacts:,} contacts in {time.perf_counter() - started:.1f} s")
        if db.session.execute(db.select(User).filter_by(username="bench")).first() is None:
            accounts.create_user("bench", "a-long-enough-password", "sender")
        user_id = db.session.execute(db.select(User.id).filter_by(username="bench")).scalar_one()
        total = db.session.execute(db.text("SELECT count(*) FROM contacts")).scalar_one()
        in_group = contacts.get_group(1).count
    print(f"{total:,} contacts; group VIP holds {in_group:,}; median of {args.n} runs")

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
        session["_seen"] = int(time.time())
        session["_fresh"] = True
    pages = {
        "first page, no search": "/contacts",
        "search by name (김민)": "/contacts?q=김민",
        "search by number 010-1234-5": "/contacts?q=010-1234-5",
        "search by last four digits 5678": "/contacts?q=5678",
        "search, nothing found": "/contacts?q=없는이름",
        "group VIP, first page": "/contacts?group=1",
        "group VIP, a later page": "/contacts?group=1&after=500001",
        "page 2 of a name search": None,
    }
    failed = False
    print(f"{'page':<36} {'median ms':>10} {'worst ms':>9}")
    for label, url in pages.items():
        if url is None:
            with app.app_context():
                after = contacts.search(contacts.Search(q="김민")).next_after
            url = f"/contacts?q=김민&after={after}"
        assert client.get(url).status_code == 200, url

        def get(url: str = url) -> None:
            client.get(url).close()

        median, worst = _timed(get, args.n)
        failed |= median > PAGE_GOAL_MS
        print(f"{label:<36} {median:>10.1f} {worst:>9.1f}")

    with app.app_context():
        def resolve() -> None:
            chosen = contacts.recipients_of([1], limit=None)
            assert len(chosen.recipients) == in_group
            db.session.rollback()

        median, worst = _timed(resolve, max(3, args.n // 4))
        failed |= median > RESOLVE_GOAL_MS
        print(f"{'resolve group VIP (' + format(in_group, ',') + ')':<36} {median:>10.1f} "
              f"{worst:>9.1f}")

        from cafe24.calls import SendRequest

        def form_limit() -> None:
            contacts.add_to_request(SendRequest("안내", "010-1234-5678"), (2,), ())
            db.session.rollback()

        median, worst = _timed(form_limit, args.n)
        print(f"{'add group small (100) to a send':<36} {median:>10.1f} {worst:>9.1f}")
    print("goals: each page under 50 ms, the group of 100,000 resolved under 1 s:",
          "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
