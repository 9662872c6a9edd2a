"""Plain helpers shared by the test folders (no fixtures here: those live in conftest files).

``build_app`` is the one way tests make the app; the rest sign in, read pages and describe
the sends that reached the simulator. Everything reaches the gateway through the
in-process simulator or a socket on 127.0.0.1, never the network.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from simulator import DEMO_SENDERS
from simulator.backend import GatewayBackend
from smsform import database
from smsform.extensions import db
from smsform.models import User
from smsform.services import accounts

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOCAL_HOST = "127.0.0.1"
ADMIN = ("admin", "correct-horse-battery")
UNREACHABLE_KEY = "unreachable-secure-key"

# What every test app starts from; build_app's keywords override any of it.
TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "SMSFORM_QUEUE": "memory://",  # the bulk worker's queue: never a file in instance/
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
}


def build_app(backend: GatewayBackend | None = None, *,
              tables: Literal["models", "migrations"] | None = "models", **config: Any) -> Flask:
    """The app as every test makes it: ``create_app`` on TEST_SETTINGS updated by
    ``config`` (any setting, e.g. ``SQLALCHEMY_DATABASE_URI``, ``WTF_CSRF_ENABLED=True``),
    sending to ``backend`` (``None``: the gateway the config names, else the app's own demo
    simulator). ``tables``: ``"models"`` makes them from the models (fast, and the same
    schema: tests/test_migrations.py compares the two), ``"migrations"`` runs the real
    migrations as ``make run`` does, ``None`` leaves the database as it is."""
    app = create_app({**TEST_SETTINGS, "SIMULATOR_BACKEND": backend, **config})
    if tables == "models":
        with app.app_context():
            db.create_all()
    elif tables == "migrations":
        with app.app_context():
            database.upgrade()
    return app


def make_user(app: Flask, username: str, password: str, role: str) -> None:
    """Create a staff account through the accounts service (the rules every account obeys)."""
    with app.app_context():  # the app context also picks the test's hash method
        accounts.create_user(username, password, role)


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



@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1, a thread per request, in a background
    thread; yield its base URL (``http://127.0.0.1:PORT``)."""
    server = make_server(LOCAL_HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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


# --- the vendor PHP sample's send, byte for byte (the simulator's and the relay's tests) ----

SAMPLE_BOUNDARY = "---------------------abc123"


def b64(value: str, charset: str = "utf-8") -> str:
    """A field as the samples write it: Base64 of its bytes in ``charset``."""
    return base64.b64encode(value.encode(charset)).decode("ascii")


def php_sample_request(host: str, port: int, path: str, fields: dict[str, str]) -> bytes:
    """The vendor PHP sample's request: HTTP/1.0, '/' after the path, a comma before
    ``boundary``, an extra boundary line after every part and no closing boundary."""
    data = ""
    for name, value in fields.items():
        data += f"--{SAMPLE_BOUNDARY}\r\n"
        data += f'Content-Disposition: form-data; name="{name}"\r\n'
        data += f"\r\n{value}\r\n"
        data += f"--{SAMPLE_BOUNDARY}\r\n"
    header = f"POST {path}/ HTTP/1.0\r\n"
    header += f"Host: {host}:{port}\r\n"
    header += f"Content-type: multipart/form-data, boundary={SAMPLE_BOUNDARY}\r\n"
    header += f"Content-length: {len(data.encode('ascii'))}\r\n\r\n"
    return (header + data).encode("ascii")


def php_sample_send_fields(user_id: str, secure: str, /, **overrides: str) -> dict[str, str]:
    """What the PHP sample posts: every field Base64, destination in its own alphabet."""
    fields = {
        "user_id": b64(user_id), "secure": b64(secure),
        "msg": b64("안녕하세요 {name}님"), "rphone": "",
        "destination": b64("010-2222-3333|홍길동,010-3333-4444|김철수").translate(
            str.maketrans("+/", "-,")),
        "sphone1": b64("010"), "sphone2": b64("1234"), "sphone3": b64("5678"),
        "rdate": "", "rtime": "", "mode": b64("1"), "returnurl": b64("http://shop/ok"),
        "testflag": "", "nointeractive": b64("1"), "repeatFlag": "", "repeatNum": "",
        "repeatTime": "", "smsType": b64("S"), "subject": "",
    }
    fields.update(overrides)
    return fields


class TextWork:
    """Counts the characters composed (``cafe24.text.compose``, under every count, merge and
    check of text) while it is installed: the work a request costs, on any machine's speed.
    Install with ``TextWork(monkeypatch)``."""

    def __init__(self, monkeypatch) -> None:
        from cafe24 import text

        self.chars = 0
        compose = text.compose

        def counted(value: str) -> str:
            self.chars += len(value)
            return compose(value)

        monkeypatch.setattr(text, "compose", counted)
