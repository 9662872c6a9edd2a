"""Fixtures for the simulator: its state and a real loopback server around it."""

from __future__ import annotations

from datetime import datetime

import pytest

from cafe24.schedule import KST
from tests.support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A backend clock frozen at 2024-05-01 12:00 KST until advanced."""
    return ManualClock(datetime(2024, 5, 1, 12, 0, tzinfo=KST))
