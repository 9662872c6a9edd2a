"""Fixtures and helpers for the app's tests (import with ``from tests.fixtures import *``).

Only names that tests use as fixtures or helpers are exported; everything reaches the
gateway through the in-process simulator or a socket on 127.0.0.1, never the network.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from simulator.backend import GatewayBackend
from smsform.extensions import db
from smsform.models import User
from tests.conftest import create_tables, make_user
from tests.support import ManualClock

__all__ = [
    "ManualClock", "ScriptedBackend", "build_app", "field_errors", "page",
    "send_calls", "sign_in", "valid_send",
    "clock", "single_sender", "no_sms_senders", "no_credit_account",
    "wrong_key_account", "viewer_client", "sender_client", "csrf_app", "scripted_backend",
    "scripted_client", "closed_port", "unreachable_gateway_client",
]

UNREACHABLE_KEY = "unreachable-secure-key"


def build_app(backend: GatewayBackend | None = None, **config) -> Flask:
    """An app on a fresh in-memory database, on ``backend`` unless the config names a gateway."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "SIMULATOR_BACKEND": backend,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    settings.update(config)
    return create_tables(create_app(settings))


def sign_in(app: Flask, role: str = "admin", username: str | None = None) -> FlaskClient:
    """A client of ``app`` signed in as a new user with ``role`` (through the session)."""
    name = username or f"{role}-user"
    make_user(app, name, "a-long-enough-password", role)
    with app.app_context():
        user_id = db.session.execute(db.select(User.id).filter_by(username=name)).scalar_one()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"  # what login_user keeps: id and session version
        session["_seen"] = int(time.time())  # what sign-in notes for the idle timeout
        session["_fresh"] = True
    return client


def page(response) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def field_errors(soup: BeautifulSoup, field: str) -> list[str]:
    """The problems listed beside ``field`` (its ``.field-errors`` list), as text."""
    errors = soup.select_one(f"ul.field-errors#{field}-error")
    if errors is None:
        return []
    container = errors.find_parent(["div", "fieldset", "details", "form"])
    assert container.select_one(f"#{field}") is not None, f"{field}'s errors are not beside it"
    described = soup.select_one(f"#{field}")["aria-describedby"].split()
    assert f"{field}-error" in described, f"#{field} does not point at its errors"
    return [li.get_text(strip=True) for li in errors.select("li")]


def send_calls(backend: GatewayBackend) -> list:
    """The requests that reached the simulator's send path."""
    return [c for c in backend.calls if c.path == "/sms_sender.php"]


def valid_send(**overrides: str) -> dict[str, str]:
    """A send form that passes every check: an SMS from the first demo sender to one number."""
    data = {
        "sphone": DEMO_SENDERS[0], "sphone1": "010", "sphone2": "1234", "sphone3": "5678",
        "rphone": "010-2222-3333", "msg": "안녕하세요", "smsType": "", "subject": "",
        "destination": "", "rdate": "", "rtime": "", "returnurl": "", "testflag": "",
        "nointeractive": "", "repeatFlag": "", "repeatNum": "", "repeatTime": "",
    }
    data.update(overrides)
    return data



class ScriptedBackend(GatewayBackend):
    """The simulator, except that sends get the answer a test chooses (``answer``)."""

    answer: str | None = None

    def send(self, f: dict[str, str]) -> str:
        """Answer ``answer`` when set (after authentication), else apply the real rules."""
        if self.answer is None:
            return super().send(f)
        return self.answer



@pytest.fixture
def clock(backend: GatewayBackend) -> ManualClock:
    """The simulator's clock, frozen at this minute (KST); sent messages settle at once."""
    frozen = ManualClock(datetime.now(KST).replace(second=0, microsecond=0))
    backend.clock = frozen
    backend.settle_after = timedelta(0)
    return frozen


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
def viewer_client(app: Flask) -> FlaskClient:
    """A client signed in as a viewer (may look, may not send)."""
    return sign_in(app, "viewer")


@pytest.fixture
def sender_client(app: Flask) -> FlaskClient:
    """A client signed in as a sender."""
    return sign_in(app, "sender")


@pytest.fixture
def csrf_app(backend: GatewayBackend) -> Flask:
    """The app with CSRF protection on, as in production."""
    return build_app(backend, WTF_CSRF_ENABLED=True)


@pytest.fixture
def scripted_backend() -> ScriptedBackend:
    """A demo-account simulator whose send answer the test sets."""
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    return backend


@pytest.fixture
def scripted_client(scripted_backend: ScriptedBackend) -> FlaskClient:
    """An administrator's client of an app on the scripted simulator."""
    return sign_in(build_app(scripted_backend))


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

