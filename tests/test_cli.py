"""Shell commands: creating staff accounts and the simulator's options."""

from __future__ import annotations

import pytest

from extensions import db
from models import User
from tests.conftest import make_user
from tests.fixtures import *  # noqa: F403 - fixtures

PASSWORD = "a-long-password"


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
    assert user.check_password(PASSWORD)


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
    assert "user exists" in result.output
    user = _user(app, "kim")
    assert (user.role, user.check_password("first-password")) == ("viewer", True)


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
    assert _user(app, "kim").check_password(PASSWORD)


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
