"""Fixtures for the simulator: its state and a real loopback server around it."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from cafe24.message import KST
from simulator import demo_backend as make_demo_backend
from simulator.backend import GatewayBackend
from simulator.server import SimulatorServer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def loopback_only_network(monkeypatch):
    """Fail loudly if anything tries to resolve or reach a host other than 127.0.0.1."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            raise AssertionError(f"test tried to reach {name!r}: only 127.0.0.1 is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


class ManualClock:
    """A clock for the backend that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by ``timedelta(**kwargs)`` and return the new time."""
        self.now += timedelta(**kwargs)
        return self.now


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
