"""Plain helpers shared by the test folders (no fixtures here: those live in conftest files)."""

from __future__ import annotations

from datetime import datetime, timedelta

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ManualClock:
    """A clock for the simulator that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by ``timedelta(**kwargs)`` and return the new time."""
        self.now += timedelta(**kwargs)
        return self.now
