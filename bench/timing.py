"""What every bench script times with (run from bench/, so ``from timing import timed``)."""

from __future__ import annotations

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
