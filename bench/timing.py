"""What every bench script times with (run from bench/, so ``from timing import timed``)."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Call ``fn`` n times; the seconds of each call."""
    out, perf = [], time.perf_counter
    for _ in range(n):
        start = perf()
        fn()
        out.append(perf() - start)
    return out


def stats(seconds: list[float]) -> tuple[float, float, float]:
    """Mean, median (the upper middle) and p95 of ``seconds``, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return statistics.fmean(ms), ms[len(ms) // 2], ms[int(len(ms) * 0.95)]


def summary(name: str, seconds: list[float], width: int = 34, indent: str = "") -> float:
    """Print ``name`` with the mean, p50 and p95 in ms; return the p50."""
    mean, p50, p95 = stats(seconds)
    print(f"{indent}{name:<{width}} mean {mean:7.3f} ms  p50 {p50:7.3f}  p95 {p95:7.3f}")
    return p50


def on_database(args: argparse.Namespace, attribute: str,
                measure: Callable[[argparse.Namespace], int]) -> int:
    """``measure(args)``; with ``args.postgres``, on a throwaway PostgreSQL cluster (as the
    tests start one, tests/db.py) whose database's URL goes in ``args.<attribute>``."""
    if not args.postgres:
        return measure(args)
    from tests.db import find_bindir, start_cluster

    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL is not installed")
        return 1
    cluster = start_cluster(bindir)
    setattr(args, attribute, cluster.url(cluster.create_database()))
    try:
        return measure(args)
    finally:
        cluster.stop()
