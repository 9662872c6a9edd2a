"""Fixtures for the simulator: its state and a real loopback server around it."""

from __future__ import annotations

from datetime import datetime

import pytest

from cafe24.message import KST
from simulator import demo_backend as make_demo_backend
from simulator.backend import GatewayBackend
from simulator.server import SimulatorServer
from tests.support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A backend clock frozen at 2024-05-01 12:00 KST until advanced."""
    return ManualClock(datetime(2024, 5, 1, 12, 0, tzinfo=KST))


@pytest.fixture
def demo_backend(clock) -> GatewayBackend:
    """The simulator's state with the demo account (3 senders, 1,000 credits)."""
    return make_demo_backend(clock=clock, stall_seconds=1.0)


@pytest.fixture
def socket_server(demo_backend):
    """The simulator listening on 127.0.0.1 on a free port."""
    server = SimulatorServer(demo_backend).start()
    yield server
    server.stop()
