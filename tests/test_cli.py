"""Shell commands: creating staff accounts and the simulator's options."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from smsform.extensions import db
from smsform.models import User
from tests.support import make_user

PASSWORD = "a-long-password"


def _password_ok(user, password: str) -> bool:
    """True when ``password`` opens ``user``'s stored hash."""
    return check_password_hash(user.password_hash, password)


def _user(app, username: str) -> User | None:
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()


@pytest.mark.parametrize("role", ["admin", "sender", "viewer"])
def test_user_create_makes_a_hashed_account(app, runner, role):
    result = runner.invoke(args=["user", "create", "kim", "--role", role],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert f"created {role} kim" in result.output
    user = _user(app, "kim")
    assert user.role == role
    assert PASSWORD not in user.password_hash
    assert _password_ok(user, PASSWORD)


def test_user_create_defaults_to_sender(app, runner):
    result = runner.invoke(args=["user", "create", "lee"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert _user(app, "lee").role == "sender"


def test_created_user_can_sign_in(app, runner, client):
    runner.invoke(args=["user", "create", "kim", "--role", "admin"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")
    response = client.post("/login", data={"username": "kim", "password": PASSWORD})
    assert response.status_code == 302


def test_user_create_refuses_a_duplicate(app, runner):
    make_user(app, "kim", "first-password", "viewer")
    result = runner.invoke(args=["user", "create", "kim", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert "exists already" in result.output
    user = _user(app, "kim")
    assert (user.role, _password_ok(user, "first-password")) == ("viewer", True)


@pytest.mark.parametrize("password", ["short", "123456789"])
def test_user_create_refuses_a_short_password(app, runner, password):
    result = runner.invoke(args=["user", "create", "kim"], input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert _user(app, "kim") is None


def test_user_create_asks_again_when_the_passwords_differ(app, runner):
    result = runner.invoke(args=["user", "create", "kim"],
                           input=f"{PASSWORD}\nother-password\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert _password_ok(_user(app, "kim"), PASSWORD)


def test_user_create_refuses_an_unknown_role(app, runner):
    result = runner.invoke(args=["user", "create", "kim", "--role", "root"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert _user(app, "kim") is None


def test_simulator_command_lists_its_options(runner):
    result = runner.invoke(args=["simulator", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--user-id", "--secure-key", "--sender", "--credits"):
        assert option in result.output


ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post_raw(port: int, request: bytes) -> bytes:
    """Send raw bytes and read until the server closes, as the vendor's PHP sample does."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(8192):
            answer += chunk
    return answer


@pytest.mark.slow  # `flask simulator` in a process of its own
def test_the_simulator_command_serves_a_php_style_client(tmp_path):
    port = _free_port()
    # Settings of its own, so the command writes nothing into the checkout's instance/.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": "cli-test",
           "DATABASE_URL": "sqlite://"}
    for name in [k for k in env if k.startswith("CAFE24_SMS_")]:
        del env[name]
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "simulator", "--host", "127.0.0.1",
         "--port", str(port), "--user-id", "shop", "--secure-key", "shop-key",
         "--sender", "02-123-4567", "--credits", "5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        fields = {"user_id": "shop", "secure": "shop-key", "msg": "안녕하세요",
                  "rphone": "010-2222-3333", "sphone1": "02", "sphone2": "123",
                  "sphone3": "4567", "mode": "1"}
        boundary = b"---------------------0123456789"
        body = b"".join(
            b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + k.encode()
            + b"\"\r\n\r\n" + base64.b64encode(v.encode()) + b"\r\n--" + boundary + b"\r\n"
            for k, v in fields.items())
        head = (b"POST /sms_sender.php/ HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                b"Content-type: multipart/form-data, boundary=" + boundary + b"\r\n"
                b"Content-length: " + str(len(body)).encode() + b"\r\n\r\n")
        answer = _post_raw(port, head + body)
        assert answer.split(b"\r\n\r\n", 1)[1] == b"success,4"
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}" in output
    assert "shop-key" not in output  # the key is never printed


# --- user list / role / disable / enable / password, each audited with actor "cli" -------

def _events(app, action: str) -> list:
    from smsform.models import AuditEvent

    with app.app_context():
        return list(db.session.execute(
            db.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).scalars())


def _signed_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    assert client.post("/login", data={"username": username,
                                       "password": password}).status_code == 302
    return client


def _signed_out(client) -> bool:
    response = client.get("/smsresult")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_user_create_is_audited_and_need_not_change_the_password(app, runner):
    runner.invoke(args=["user", "create", "kim", "--role", "viewer"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")
    assert _user(app, "kim").must_change_password is False
    [event] = _events(app, "user_created")
    assert (event.actor, event.actor_id, event.target, event.address) == ("cli", None, "kim",
                                                                          None)


def test_user_list_shows_role_state_and_last_sign_in(app, runner):
    make_user(app, "kim", PASSWORD, "viewer")
    make_user(app, "lee", PASSWORD, "admin")
    _signed_in(app, "lee")
    runner.invoke(args=["user", "disable", "kim"])
    result = runner.invoke(args=["user", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert lines["kim"][:4] == ["kim", "viewer", "disabled", "never"]
    assert lines["lee"][:3] == ["lee", "admin", "active"]
    assert lines["lee"][3].startswith("20")  # a KST date


def test_user_role_changes_the_role_ends_sessions_and_is_audited(app, runner):
    make_user(app, "kim", PASSWORD, "sender")
    session = _signed_in(app, "kim")
    result = runner.invoke(args=["user", "role", "kim", "viewer"])
    assert result.exit_code == 0, result.output
    assert "sender -> viewer" in result.output
    assert _user(app, "kim").role == "viewer"
    assert _signed_out(session)
    [event] = _events(app, "user_role_changed")
    assert (event.actor, event.target) == ("cli", "kim")
    assert '"from": "sender"' in event.detail and '"to": "viewer"' in event.detail


@pytest.mark.parametrize("role", ["root", "ADMIN", ""])
def test_user_role_refuses_an_unknown_role_in_korean_then_english(app, runner, role):
    make_user(app, "kim", PASSWORD, "sender")
    result = runner.invoke(args=["user", "role", "kim", role])
    assert result.exit_code == 1
    assert "알 수 없는 역할입니다" in result.output
    assert "(Unknown role:" in result.output
    assert result.output.index("알 수 없는") < result.output.index("Unknown")
    assert _user(app, "kim").role == "sender"
    assert _events(app, "user_role_changed") == []


@pytest.mark.parametrize("command", [["role", "nobody", "viewer"], ["disable", "nobody"],
                                     ["enable", "nobody"], ["password", "nobody"]])
def test_user_commands_refuse_an_unknown_user(app, runner, command):
    result = runner.invoke(args=["user", *command], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert "There is no user nobody." in result.output  # after the Korean, once merged
    assert "password" not in result.output.lower()  # not asked for one


def test_user_disable_and_enable(app, runner):
    make_user(app, "kim", PASSWORD, "sender")
    session = _signed_in(app, "kim")
    result = runner.invoke(args=["user", "disable", "kim"])
    assert (result.exit_code, result.output.strip()) == (0, "disabled kim")
    assert _user(app, "kim").active is False
    assert _signed_out(session)
    assert runner.invoke(args=["user", "disable", "kim"]).output.strip() == (
        "kim was already disabled")
    result = runner.invoke(args=["user", "enable", "kim"])
    assert (result.exit_code, result.output.strip()) == (0, "enabled kim")
    _signed_in(app, "kim")
    assert [(e.actor, e.target) for e in _events(app, "user_disabled")] == [("cli", "kim")]
    assert [(e.actor, e.target) for e in _events(app, "user_enabled")] == [("cli", "kim")]


def test_user_disable_refuses_the_last_active_admin(app, runner):
    make_user(app, "boss", PASSWORD, "admin")
    result = runner.invoke(args=["user", "disable", "boss"])
    assert result.exit_code == 1
    assert "last active administrator" in result.output
    assert _user(app, "boss").active is True
    result = runner.invoke(args=["user", "role", "boss", "viewer"])
    assert result.exit_code == 1
    assert _user(app, "boss").role == "admin"


def test_user_password_sets_a_password_its_owner_typed(app, runner):
    make_user(app, "kim", PASSWORD, "sender")
    session = _signed_in(app, "kim")
    new = "another-long-password"
    result = runner.invoke(args=["user", "password", "kim"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    stored = _user(app, "kim")
    assert _password_ok(stored, new) and stored.must_change_password is False
    assert _signed_out(session)
    fresh = _signed_in(app, "kim", new)
    assert fresh.get("/smsresult").status_code == 200  # not sent to /account
    [event] = _events(app, "user_password_reset")
    assert (event.actor, event.target) == ("cli", "kim")
    assert '"must_change_password": false' in event.detail


def test_user_password_asks_again_when_the_two_differ_and_refuses_a_short_one(app, runner):
    make_user(app, "kim", PASSWORD, "sender")
    result = runner.invoke(args=["user", "password", "kim"], input="short\nshort\n")
    assert result.exit_code == 1
    assert "10자 이상" in result.output and "at least 10 characters" in result.output
    assert _password_ok(_user(app, "kim"), PASSWORD)
    new = "another-long-password"
    result = runner.invoke(args=["user", "password", "kim"],
                           input=f"{new}\nsomething-else\n{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert _password_ok(_user(app, "kim"), new)
