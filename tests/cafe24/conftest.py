"""Fixtures for the gateway library: the simulator reached in-process and over a socket."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest

from cafe24.client import Cafe24Client
from cafe24.schedule import KST
from simulator import (
    DEMO_SECURE_KEY,
    DEMO_SENDERS,
    DEMO_USER_ID,
    SIMULATOR_BASE_URL,
    in_process_transport,
)
from tests.support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A backend clock frozen at the real current minute (KST) until advanced."""
    return ManualClock(datetime.now(KST).replace(second=0, microsecond=0))


@pytest.fixture(params=["in_process", "socket"])
def transport_kind(request) -> str:
    """How clients reach the simulator: through WSGITransport or a real socket."""
    return request.param


@pytest.fixture
def client_factory(request, transport_kind, demo_backend):
    """Build clients for any credentials, reaching the simulator the parametrized way."""
    made: list[Cafe24Client] = []

    def build(user_id: str = DEMO_USER_ID, secure_key: str = DEMO_SECURE_KEY,
              **kwargs) -> Cafe24Client:
        kwargs.setdefault("read_timeout", 5.0)
        if transport_kind == "socket":
            server = request.getfixturevalue("socket_server")
            client = Cafe24Client(user_id, secure_key, base_url=server.url, **kwargs)
        else:
            client = Cafe24Client(user_id, secure_key, base_url=SIMULATOR_BASE_URL,
                                  transport=in_process_transport(demo_backend), **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def demo_client(client_factory) -> Cafe24Client:
    """A client of the demo account, in-process or over a socket."""
    return client_factory()


@pytest.fixture
def in_process_client(demo_backend) -> Cafe24Client:
    """A client of the demo account reaching the simulator without a socket."""
    with Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=SIMULATOR_BASE_URL,
                      transport=in_process_transport(demo_backend)) as client:
        yield client


@pytest.fixture
def socket_client(socket_server) -> Cafe24Client:
    """A client of the demo account over a real loopback socket."""
    with Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=socket_server.url,
                      read_timeout=5.0) as client:
        yield client


@pytest.fixture
def impatient_client(client_factory) -> Cafe24Client:
    """A demo client whose read timeout (0.3 s) is shorter than a simulator stall (1 s)."""
    return client_factory(read_timeout=0.3)


@pytest.fixture
def no_credit_account(demo_backend, client_factory) -> Cafe24Client:
    """A client of an account with the demo senders approved and 0 credits."""
    demo_backend.add_account("broke", "broke-key", list(DEMO_SENDERS), 0)
    return client_factory("broke", "broke-key")


@pytest.fixture
def empty_account(demo_backend, client_factory) -> Cafe24Client:
    """A client of an account with credit but no approved sender numbers."""
    demo_backend.add_account("fresh", "fresh-key", [], 100)
    return client_factory("fresh", "fresh-key")


@pytest.fixture
def wrong_key_client(client_factory) -> Cafe24Client:
    """A client of the demo account holding the wrong key."""
    return client_factory(DEMO_USER_ID, "not-the-key")


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
