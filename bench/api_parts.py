"""Where an API send's own time goes: its SQLite statements inside a send, and the worker's
CPU against its floor's.

Run by hand: .venv/bin/python bench/api_parts.py [statements|worker|both] [-n 2000]

- ``statements`` (in-process, as bench/api.py's third picture): every statement the send
  path runs on SQLite, timed around the driver's own call (a ``sqlite3.Connection``
  subclass handed to SQLAlchemy's driver, so the figure is SQLite's work in the send's
  company: its caches as the rest of the request leaves them), by kind, with its share of
  the whole send. No goal: a map for the next round.
- ``worker`` (processes, as bench/api.py's first picture: the goal's): the app and its
  floor each in a gunicorn ``gthread`` worker of its own, alternating blocks of 100 sends;
  for each, the wall time a send takes, the worker's CPU a send (``/proc``, the kernel's
  ticks), and its context switches a send. Shows whether the app's own time over the floor
  is its own CPU (A − F in CPU against A − F in wall time) or waiting.

Both print differences and shares taken in one run; figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import collections
import gc
import io
import json
import logging
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api as bench_api  # noqa: E402
from form_cycle import cpu_seconds, process_tree  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from simulator import demo_backend  # noqa: E402

BLOCK = 100
_FROM = re.compile(r"\sFROM\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_SPENT: dict[str, list[float]] = collections.defaultdict(list)


def _kind(sql: str) -> str:
    """A statement's kind and table: ``INSERT sends``, ``SELECT optouts``, ``COMMIT``."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb in ("INSERT", "DELETE") and len(words) > 2:
        return f"{verb} {words[2]}"
    if verb == "UPDATE" and len(words) > 1:
        return f"{verb} {words[1]}"
    if verb == "SELECT":
        found = _FROM.search(sql)
        return f"SELECT {found[1]}" if found else "SELECT"
    return verb


class _TimedCursor(sqlite3.Cursor):
    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        start = time.perf_counter()
        try:
            return super().execute(sql, *args)
        finally:
            _SPENT[_kind(sql)].append(time.perf_counter() - start)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        start = time.perf_counter()
        try:
            return super().executemany(sql, *args)
        finally:
            _SPENT[f"{_kind(sql)} (many)"].append(time.perf_counter() - start)


class _TimedConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _TimedCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def commit(self) -> None:
        start = time.perf_counter()
        try:
            super().commit()
        finally:
            _SPENT["COMMIT"].append(time.perf_counter() - start)


def _timed_connections() -> None:
    """Every SQLite connection opened from now on times its statements (``_SPENT``)."""
    connect = sqlite3.connect

    def timed_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=_TimedConnection, **kwargs)

    sqlite3.connect = timed_connect  # type: ignore[assignment]
    sqlite3.dbapi2.connect = timed_connect  # type: ignore[assignment]  # SQLAlchemy's


def statements(n: int) -> None:
    """Each SQLite statement's time inside an in-process API send, by kind."""
    _timed_connections()
    backend = demo_backend()
    backend.accounts["demo"].credits = 10**9
    with tempfile.TemporaryDirectory() as folder:
        app, token = bench_api.build(f"sqlite:///{folder}/parts.db",
                                     {"SIMULATOR_BACKEND": backend})
        environ = EnvironBuilder(path="/api/v1/messages", method="POST", json=bench_api.BODY,
                                 headers={"Authorization": f"Bearer {token}"}).get_environ()
        body = environ["wsgi.input"].read()

        def send() -> None:
            copy = dict(environ)
            copy["wsgi.input"] = io.BytesIO(body)
            b"".join(app(copy, lambda *_args: None))

        for _ in range(300):
            send()
        _SPENT.clear()
        backend.reset()
        gc.collect()
        gc.disable()
        sends: list[float] = []
        for i in range(n):
            start = time.perf_counter()
            send()
            sends.append(time.perf_counter() - start)
            if i % 500 == 499:
                backend.reset()
        gc.enable()
    whole = statistics.fmean(sends) * n
    spent = sum(sum(times) for times in _SPENT.values())
    print(f"in-process: {n} API sends, p50 {statistics.median(sends) * 1e6:.0f} µs, mean "
          f"{statistics.fmean(sends) * 1e6:.0f} µs (GC off); SQLite's statements by kind:")
    print(f"  {'statement':<36} {'a send':>6} {'p50 µs':>8} {'mean µs':>8} {'µs a send':>10}")
    for kind, times in sorted(_SPENT.items(), key=lambda item: -sum(item[1])):
        print(f"  {kind:<36} {len(times) / n:6.2f} {statistics.median(times) * 1e6:8.1f} "
              f"{statistics.fmean(times) * 1e6:8.1f} {sum(times) / n * 1e6:10.1f}")
    print(f"  SQLite in all: {spent / n * 1e6:.0f} µs a send, {spent / whole:.0%} of the send "
          "(the gateway call included)")


def _switches(pid: int) -> tuple[int, int]:
    voluntary = involuntary = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        for line in Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                voluntary += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches"):
                involuntary += int(line.split()[1])
    return voluntary, involuntary


def worker(n: int) -> None:
    """The app's and the floor's gunicorn workers: wall time, CPU and switches a send."""
    from relay import _simulator_child, _start

    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        sim_process, sim = _start(_simulator_child)
        host, port = sim.recv()
        simulator_url = f"http://{host}:{port}"
        app_process, web = _start(bench_api._gunicorn_child, bench_api._api_app,  # noqa: SLF001
                                  f"sqlite:///{folder}/parts.db", simulator_url)
        token = web.recv()
        payload = json.dumps(bench_api.BODY).encode()
        via_api = bench_api.poster(f"http://127.0.0.1:{web.recv()}/api/v1/messages", token,
                                   payload)
        floor_process, floor_web = _start(bench_api._gunicorn_child, bench_api._floor,  # noqa: SLF001
                                          via_api().content, simulator_url)
        via_floor = bench_api.poster(
            f"http://127.0.0.1:{floor_web.recv()}/api/v1/messages", token, payload)
        sides: dict[str, tuple[Callable[[], object], int]] = {}
        try:
            time.sleep(0.5)  # gunicorn's master forks its worker
            # each master's one worker (process_tree: the master, then its descendants)
            sides = {"api": (via_api, process_tree(app_process.pid)[1]),
                     "floor": (via_floor, process_tree(floor_process.pid)[1])}
            for post, _pid in sides.values():
                for _ in range(BLOCK):
                    post()
            walls: dict[str, list[float]] = {name: [] for name in sides}
            cpu: dict[str, float] = dict.fromkeys(sides, 0.0)
            switches: dict[str, list[int]] = {name: [0, 0] for name in sides}
            for _ in range(max(1, n // BLOCK)):
                for name, (post, pid) in sides.items():
                    sim.send("reset")
                    sim.recv()
                    cpu_before, (vol, invol) = cpu_seconds([pid]), _switches(pid)
                    for _ in range(BLOCK):
                        start = time.perf_counter()
                        post()
                        walls[name].append(time.perf_counter() - start)
                    cpu[name] += cpu_seconds([pid]) - cpu_before
                    vol_after, invol_after = _switches(pid)
                    switches[name][0] += vol_after - vol
                    switches[name][1] += invol_after - invol
        finally:
            app_process.terminate()
            floor_process.terminate()
            sim.send("stop")
            for process in (app_process, floor_process, sim_process):
                process.join(timeout=10)
    count = max(1, n // BLOCK) * BLOCK
    print(f"processes (gunicorn gthread): {count} sends a side, alternating blocks of {BLOCK}")
    figures = {}
    for name in walls:
        wall = statistics.median(walls[name]) * 1e3
        figures[name] = (wall, cpu[name] / count * 1e3)
        print(f"  {name:<6} wall p50 {wall:6.3f} ms  worker CPU {figures[name][1]:6.3f} ms a "
              f"send  switches a send: {switches[name][0] / count:4.1f} voluntary, "
              f"{switches[name][1] / count:4.2f} involuntary")
    wall_gap = figures["api"][0] - figures["floor"][0]
    cpu_gap = figures["api"][1] - figures["floor"][1]
    print(f"  A - F: {wall_gap:.3f} ms of wall time, {cpu_gap:.3f} ms of the worker's CPU "
          f"({cpu_gap / wall_gap:.0%} of it; the CPU figure counts the kernel's ticks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="both",
                        choices=("statements", "worker", "both"))
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    print(f"Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}")
    if args.part in ("worker", "both"):
        worker(args.n)
    if args.part in ("statements", "both"):
        statements(args.n)


if __name__ == "__main__":
    main()
