"""App-wide fixtures: an app on a fresh in-memory database and the in-process simulator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from simulator import GatewayBackend
from simulator import demo_backend as demo_backend_factory
from simulator.server import SimulatorServer
from smsform.extensions import db
from smsform.services import accounts
from tests.support import LOOPBACK

ADMIN = ("admin", "correct-horse-battery")


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


@pytest.fixture
def backend() -> GatewayBackend:
    """The simulator behind the app: demo account, senders and 1,000 credits."""
    return demo_backend_factory()


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


def create_tables(app: Flask) -> Flask:
    """Make ``app``'s tables straight from the models: faster than running the migrations,
    and the same schema (tests/test_migrations.py compares the two)."""
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(backend: GatewayBackend) -> Flask:
    """An app on SQLite in memory whose gateway is the in-process simulator."""
    return create_tables(create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "SIMULATOR_BACKEND": backend,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
    }))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-less client with no one signed in."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """The app's CLI runner."""
    return app.test_cli_runner()


def make_user(app: Flask, username: str, password: str, role: str) -> None:
    """Create a staff account through the accounts service (the rules every account obeys)."""
    with app.app_context():  # the app context also picks the test's hash method
        accounts.create_user(username, password, role)


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
    """A client signed in as an administrator."""
    make_user(app, *ADMIN, role="admin")
    auth.login()
    return client


# `db_url`: a test once on a SQLite file and once on a throwaway PostgreSQL (tests/db.py).
from tests.db import db_url, new_db_url, postgres_cluster, postgres_url  # noqa: E402, F401
