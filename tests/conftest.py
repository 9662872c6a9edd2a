"""App-wide fixtures: an app on a fresh in-memory database and the in-process simulator,
the states of the demo account that tests need, and signed-in clients.

Every test module gets them without importing anything; plain helpers (``build_app``,
``sign_in``, ``page``, ...) are imported from tests.support. The databases (``db_url``:
a test once on a SQLite file and once on a throwaway PostgreSQL) come from tests/db.py.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cafe24.schedule import KST
from simulator import DEMO_SENDERS, GatewayBackend
from simulator import demo_backend as demo_backend_factory
from simulator.server import SimulatorServer
from tests.support import (
    ADMIN,
    LOOPBACK,
    UNREACHABLE_KEY,
    ManualClock,
    ScriptedBackend,
    build_app,
    make_user,
    sign_in,
)

pytest_plugins = ["tests.db"]


@pytest.fixture(autouse=True)
def loopback_only_network(monkeypatch):
    """Fail loudly if anything tries to resolve a host other than 127.0.0.1 (every test)."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            raise AssertionError(f"test tried to reach {name!r}: only 127.0.0.1 is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _instance_state() -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in INSTANCE.iterdir()} if INSTANCE.exists() else {}


@pytest.fixture(autouse=True, scope="session")
def instance_folder_untouched():
    """No test writes into the checkout's instance/ (a developer's database and key)."""
    before = _instance_state()
    yield
    assert _instance_state() == before, "a test wrote into instance/"


# -- the simulator ---------------------------------------------------------------------


@pytest.fixture
def backend() -> GatewayBackend:
    """The simulator behind the app: demo account, senders and 1,000 credits."""
    return demo_backend_factory()


@pytest.fixture
def clock(backend: GatewayBackend) -> ManualClock:
    """The simulator's clock, frozen at this minute (KST); sent messages settle at once."""
    frozen = ManualClock(datetime.now(KST).replace(second=0, microsecond=0))
    backend.clock = frozen
    backend.settle_after = timedelta(0)
    return frozen


@pytest.fixture
def demo_backend(clock) -> GatewayBackend:
    """The demo account on a simulator that keeps the folder's ``clock`` (the library's and
    the simulator's tests each set their own)."""
    return demo_backend_factory(clock=clock, stall_seconds=1.0)


@pytest.fixture
def socket_server(demo_backend: GatewayBackend):
    """The simulator listening on 127.0.0.1 on a free port."""
    server = SimulatorServer(demo_backend).start()
    yield server
    server.stop()


@pytest.fixture
def single_sender(backend: GatewayBackend) -> str:
    """The demo account with exactly one approved sender number."""
    backend.accounts["demo"].senders = ["02-123-4567"]
    return "02-123-4567"


@pytest.fixture
def no_sms_senders(backend: GatewayBackend) -> None:
    """The demo account with no approved sender numbers."""
    backend.accounts["demo"].senders = []


@pytest.fixture
def no_credit_account(backend: GatewayBackend) -> None:
    """The demo account with no credit left."""
    backend.accounts["demo"].credits = 0


@pytest.fixture
def wrong_key_account(backend: GatewayBackend) -> None:
    """The demo account's key changed at Cafe24, so the app's key no longer authenticates."""
    backend.accounts["demo"].secure_key = "a-newer-key"


@pytest.fixture
def scripted_backend() -> ScriptedBackend:
    """A demo-account simulator whose send answer the test sets."""
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    return backend


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the app and its clients -------------------------------------------------------------


@pytest.fixture
def app(backend: GatewayBackend) -> Flask:
    """An app on SQLite in memory whose gateway is the in-process simulator."""
    return build_app(backend)


@pytest.fixture
def csrf_app(backend: GatewayBackend) -> Flask:
    """The app with CSRF protection on, as in production."""
    return build_app(backend, WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-less client with no one signed in."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """The app's CLI runner."""
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out as a test user."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = ADMIN[0], password: str = ADMIN[1]):
        """POST the sign-in form."""
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        """POST sign-out."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign-in helper bound to ``client``."""
    return AuthActions(client)


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """A client signed in as an administrator (through the /login form)."""
    make_user(app, *ADMIN, role="admin")
    auth.login()
    return client


@pytest.fixture
def viewer_client(app: Flask) -> FlaskClient:
    """A client signed in as a viewer (may look, may not send)."""
    return sign_in(app, "viewer")


@pytest.fixture
def sender_client(app: Flask) -> FlaskClient:
    """A client signed in as a sender."""
    return sign_in(app, "sender")


@pytest.fixture
def scripted_client(scripted_backend: ScriptedBackend) -> FlaskClient:
    """An administrator's client of an app on the scripted simulator."""
    return sign_in(build_app(scripted_backend))


@pytest.fixture
def unreachable_gateway_client(closed_port: int) -> FlaskClient:
    """An administrator's client of an app configured for a gateway that refuses connections."""
    app = build_app(
        None,
        CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
        CAFE24_SMS_USER_ID="shop",
        CAFE24_SMS_SECURE_KEY=UNREACHABLE_KEY,
        CAFE24_SMS_CONNECT_TIMEOUT="1",
    )
    return sign_in(app)
