"""Against a running server, on SQLite and PostgreSQL: one send token or one Idempotency-Key
posted 20 times at once makes exactly one gateway call, and a process killed during the
gateway call leaves an ``unknown`` send that the same token or key never sends again."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from simulator import (
    DEMO_SECURE_KEY,
    DEMO_SENDERS,
    DEMO_USER_ID,
    DropConnection,
    GatewayBackend,
)
from simulator.server import SimulatorServer
from smsform import models
from smsform.extensions import db
from tests.db import free_port
from tests.support import build_app, make_user, send_calls, serve, valid_send

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
USER = ("sender", "a-long-enough-password")
POSTS = 20
JSON = {"Accept": "application/json"}
# Each overlapping post waits this long in the simulator, so the 20 posts arrive while the
# first is still at the gateway (its key is claimed but its outcome not yet written).
GATEWAY_DELAY = 0.5
# The killed process's gateway settings: short, so its send turns `unknown` soon after.
CONNECT_TIMEOUT, READ_TIMEOUT = "0.5", "3"
UNKNOWN_WITHIN = 60.0  # seconds the restarted app may take to call the send unknown
# What a 409 may say of the first send while it is still at the gateway.
STILL_PENDING = (None, "pending", "in_flight")


class SlowBackend(GatewayBackend):
    """The demo account on a simulator whose every send takes ``GATEWAY_DELAY``."""

    def send(self, f: dict[str, str]):
        """Wait, then apply the real rules."""
        time.sleep(GATEWAY_DELAY)
        return super().send(f)


class HeldBackend(GatewayBackend):
    """A gateway that holds each send until ``release`` is set (the app dies meanwhile),
    then carries it out: the worst case, a message sent that the app knows nothing of."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()

    def send(self, f: dict[str, str]):
        """Say a send has arrived, hold it, apply the real rules, and drop the connection
        (its client is gone)."""
        self.arrived.release()
        self.release.wait(timeout=120)
        super().send(f)
        raise DropConnection("/sms_sender.php")


def demo(backend: GatewayBackend) -> GatewayBackend:
    """``backend`` with the demo account, its senders and credit."""
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), 1000)
    return backend


def migrated_app(db_url: str, **config) -> Flask:
    """The app on ``db_url``, brought up by the real migrations, with a sender account."""
    app = build_app(None, tables="migrations", **{
        "SQLALCHEMY_DATABASE_URI": db_url, "WTF_CSRF_ENABLED": True, **config})
    make_user(app, *USER, role="sender")
    return app


def hidden(html: str, name: str) -> str:
    """The value of the page's hidden input ``name``."""
    field = BeautifulSoup(html, "html.parser").select_one(f"input[name={name}]")
    assert field is not None, f"no {name} on the page"
    return field["value"]


def signed_in(base_url: str) -> requests.Session:
    """A session signed in as the sender through /login (with its CSRF token when asked)."""
    session = requests.Session()
    form = session.get(f"{base_url}/login", timeout=10)
    data = {"username": USER[0], "password": USER[1]}
    if 'name="csrf_token"' in form.text:
        data["csrf_token"] = hidden(form.text, "csrf_token")
    answer = session.post(f"{base_url}/login", data=data, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:500]
    return session


def all_at_once(post: Callable[[requests.Session], requests.Response],
                cookies, count: int = POSTS) -> list[requests.Response]:
    """``count`` posts released together, each on its own connection and session."""
    barrier = threading.Barrier(count)

    def one(_: int) -> requests.Response:
        with requests.Session() as session:
            session.cookies.update(cookies)
            barrier.wait(timeout=30)
            return post(session)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def logged_sends(app: Flask) -> list[models.Send]:
    """Every row of the send log."""
    with app.app_context():
        return list(db.session.scalars(select(models.Send)))


def assert_one_sent(responses: list[requests.Response], backend: GatewayBackend,
                    app: Flask) -> None:
    """One 200, the rest 409, one gateway call and one logged send."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (POSTS - 1), statuses
    assert len(send_calls(backend)) == 1
    assert len(logged_sends(app)) == 1


@pytest.fixture
def slow_backend() -> GatewayBackend:
    """The in-process simulator, slow enough for posts to overlap."""
    return demo(SlowBackend())


@pytest.fixture
def live(db_url: str, slow_backend: GatewayBackend) -> Iterator[tuple[str, Flask]]:
    """The app on ``db_url`` served on 127.0.0.1 (CSRF off: the send path is under test)."""
    app = migrated_app(db_url, WTF_CSRF_ENABLED=False, SIMULATOR_BACKEND=slow_backend)
    with serve(app) as base_url:
        yield base_url, app


def test_twenty_posts_of_one_form_send_once(live, slow_backend):
    base_url, app = live
    session = signed_in(base_url)
    token = hidden(session.get(f"{base_url}/smsform", timeout=10).text, "send_token")
    form = valid_send(send_token=token)

    responses = all_at_once(
        lambda s: s.post(f"{base_url}/smssend", data=form, timeout=60), session.cookies)

    assert_one_sent(responses, slow_backend, app)


def test_twenty_posts_with_one_idempotency_key_send_once(live, slow_backend):
    base_url, app = live
    session = signed_in(base_url)
    headers = {**JSON, "Idempotency-Key": "order-20-at-once"}

    responses = all_at_once(
        lambda s: s.post(f"{base_url}/smssend", data=valid_send(), headers=headers,
                         timeout=60), session.cookies)

    assert_one_sent(responses, slow_backend, app)
    for repeat in (r for r in responses if r.status_code == 409):
        assert repeat.headers["Content-Type"].startswith("application/json")
        assert repeat.json()["result"] == "error"


# -- a process killed during the gateway call ---------------------------------------


class AppProcess:
    """``flask --app app run`` in a subprocess on a free port, configured by environment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def start(self) -> AppProcess:
        """Start the app and wait until it answers."""
        port = free_port()
        self.base_url = f"http://{HOST}:{port}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "run", "--host", HOST,
                 "--port", str(port), "--no-reload", "--no-debugger"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the app exited:\n{self.log.read_text(errors='replace')}")
            try:
                requests.get(f"{self.base_url}/login", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        pytest.fail(f"the app did not start:\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no outcome written."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def held_gateway() -> Iterator[tuple[SimulatorServer, HeldBackend]]:
    """A simulator on a socket whose sends wait until the test releases them."""
    backend = demo(HeldBackend())
    server = SimulatorServer(backend).start()
    yield server, backend
    backend.release.set()
    server.stop()


def app_env(db_url: str, gateway_url: str) -> dict[str, str]:
    """The environment of a real deployment on ``db_url`` and the gateway at ``gateway_url``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CAFE24_", "SMSFORM_", "FLASK_")) and k not in (
               "DATABASE_URL", "SECRET_KEY")}
    env.update({
        "DATABASE_URL": db_url,
        "SECRET_KEY": "kill-test-secret",
        "CAFE24_SMS_BASE_URL": gateway_url,
        "CAFE24_SMS_USER_ID": DEMO_USER_ID,
        "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY,
        "CAFE24_SMS_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
        "CAFE24_SMS_READ_TIMEOUT": READ_TIMEOUT,
        "SMSFORM_LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def previous_result(response: requests.Response) -> str | None:
    """What a 409 says of the first send: JSON ``previous.status`` or the page's
    ``#previous-result`` ``data-result`` (None while it is still in flight)."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        previous = response.json().get("previous") or {}
        return previous.get("status")
    shown = BeautifulSoup(response.text, "html.parser").select_one("#previous-result")
    return shown["data-result"] if shown is not None else None


def wait_until_unknown(post: Callable[[], requests.Response], backend: HeldBackend,
                       calls: int) -> requests.Response:
    """Repeat ``post`` until its answer says the outcome is unknown; every answer is a 409
    that never claims success, and no repeat reaches the gateway."""
    deadline = time.monotonic() + UNKNOWN_WITHIN
    while True:
        response = post()
        assert response.status_code == 409, (response.status_code, response.text[:500])
        assert len(send_calls(backend)) == calls, "a repeated key reached the gateway"
        said = previous_result(response)
        if said == "unknown":
            return response
        assert said in STILL_PENDING, f"a send that was cut off is shown as {said!r}"
        assert time.monotonic() < deadline, f"still {said!r} after {UNKNOWN_WITHIN:.0f} s"
        time.sleep(0.5)


@pytest.mark.slow  # two app processes, one of them killed
def test_a_send_killed_at_the_gateway_is_unknown_and_never_sent_again(
        db_url, held_gateway, tmp_path):
    server, backend = held_gateway
    setup = migrated_app(db_url)  # the schema and the account, as `make run` and the CLI do
    env = app_env(db_url, server.url)
    first = AppProcess(env, tmp_path / "app.log").start()
    second = AppProcess(env, tmp_path / "app.log")
    try:
        session = signed_in(first.base_url)
        page = session.get(f"{first.base_url}/smsform", timeout=10).text
        form = valid_send(send_token=hidden(page, "send_token"),
                          csrf_token=hidden(page, "csrf_token"))
        keyed_form = {**form, "send_token": ""}
        keyed = {**JSON, "Idempotency-Key": "order-killed", "X-CSRFToken": form["csrf_token"]}

        def post_form(app: AppProcess) -> requests.Response:
            return session.post(f"{app.base_url}/smssend", data=form, timeout=30)

        def post_keyed(app: AppProcess) -> requests.Response:
            return session.post(f"{app.base_url}/smssend", data=keyed_form, headers=keyed,
                                timeout=30)

        with ThreadPoolExecutor(2) as pool:
            cut_off = [pool.submit(post_form, first), pool.submit(post_keyed, first)]
            for _ in cut_off:  # both sends are at the gateway, their outcomes unwritten
                assert backend.arrived.acquire(timeout=30), "a send never reached the gateway"
            first.kill()
            for future in cut_off:
                with pytest.raises(requests.ConnectionError):
                    future.result(timeout=30)
        assert len(send_calls(backend)) == 2

        second.start()  # the same database, after the crash
        json_answer = wait_until_unknown(lambda: post_keyed(second), backend, calls=2)
        page_answer = wait_until_unknown(lambda: post_form(second), backend, calls=2)
    finally:
        first.kill()
        second.kill()

    shown = BeautifulSoup(page_answer.text, "html.parser")
    assert shown.select_one('a[href$="/smsresult"]') is not None, "no way to check the result"
    assert json_answer.json()["previous"]["status"] == "unknown"
    rows = logged_sends(setup)
    assert len(rows) == 2
    assert {row.result for row in rows} <= {"pending", "unknown"}  # no outcome was written
    assert all(row.finished_at is None for row in rows)


def test_simultaneous_sign_ins_never_exhaust_the_connection_pool(tmp_path):
    """Each sign-in hashes a password (slow by design); none may hold a database connection
    meanwhile, or a few at once (a threaded server) wait on each other for a second one."""
    app = migrated_app(f"sqlite:///{tmp_path / 'pool.db'}",
                       PASSWORD_HASH_METHOD="pbkdf2:sha256:150000",
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "max_overflow": 0,
                                                  "pool_timeout": 5})
    count = 6
    barrier = threading.Barrier(count)

    def sign_in(index: int) -> int:
        with requests.Session() as session:
            form = session.get(f"{base}/login", timeout=10)
            barrier.wait(timeout=30)
            return session.post(f"{base}/login", allow_redirects=False, timeout=60, data={
                "username": USER[0] if index % 2 else f"nobody{index}",
                "password": USER[1] if index % 3 == 0 else "a-wrong-password",
                "csrf_token": hidden(form.text, "csrf_token")}).status_code

    with serve(app) as base, ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(sign_in, range(count)))
    assert sorted(statuses) == sorted(302 if i % 2 and i % 3 == 0 else 401
                                      for i in range(count))
