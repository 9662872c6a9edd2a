"""A database that was never created (no ``upgrade-db`` yet), on SQLite and PostgreSQL
(``db_url``): pages, JSON, the API and the shell commands say how to create it (503 on
the web, exit 1 in the shell), and the log says it too; never "busy", never a traceback."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from simulator import GatewayBackend
from tests.support import build_app, page

KOREAN = "데이터베이스가 아직 만들어지지 않았습니다: flask --app app upgrade-db 를 실행하세요"
ENGLISH = "The database has not been created: run flask --app app upgrade-db"
BUSY = ("잠시 후", "Try again", "busy")
# A well-formed token (its shape is checked before the database is asked): the API reads it.
SOME_TOKEN = "smsf_" + "0" * 12 + "_" + "A" * 43
PASSWORD = "a-long-enough-password"


def fresh_app(url: str, backend: GatewayBackend) -> Flask:
    """The app on ``url``, an empty database: no table made, no migration run."""
    return build_app(backend, tables=None, SQLALCHEMY_DATABASE_URI=url)


@pytest.mark.parametrize("path", ["/", "/login", "/setup", "/smsform", "/sends"])
def test_a_page_says_the_database_was_not_created(db_url, backend, caplog, path):
    client = fresh_app(db_url, backend).test_client()
    with caplog.at_level(logging.ERROR, logger="smsform"):
        answer = client.get(path, follow_redirects=True)
    assert answer.status_code == 503
    error = page(answer).select_one("#error")
    assert error is not None and error["data-code"] == "database_not_created"
    message = error.select_one("#error-message").get_text(strip=True)
    assert message == KOREAN
    assert not any(word in message for word in BUSY)
    assert "Retry-After" not in answer.headers  # waiting does not create it
    assert f"{ENGLISH} (GET " in caplog.text


def test_the_page_says_it_in_english_too(db_url, backend):
    answer = fresh_app(db_url, backend).test_client().get("/login?lang=en")
    assert answer.status_code == 503
    assert page(answer).select_one("#error-message").get_text(strip=True) == ENGLISH


def test_json_callers_get_the_code_and_the_sentence(db_url, backend):
    answer = fresh_app(db_url, backend).test_client().get("/setup?format=json")
    assert answer.status_code == 503 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert (body["code"], body["message"]) == ("database_not_created", KOREAN)


def test_the_api_answers_a_problem_saying_it(db_url, backend):
    answer = fresh_app(db_url, backend).test_client().post(
        "/api/v1/messages", headers={"Authorization": f"Bearer {SOME_TOKEN}",
                                     "Accept-Language": "en"},
        json={"from": "010-1234-5678", "to": ["010-2222-3333"], "text": "hello"})
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    body = answer.get_json(force=True)
    assert (body["code"], body["title"], body["detail"]) == (
        "database_not_created", "Database not created", ENGLISH)
    assert "Retry-After" not in answer.headers


def test_once_upgraded_the_same_app_works(db_url, backend):
    app = fresh_app(db_url, backend)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["upgrade-db"]).exit_code == 0
    assert app.test_client().get("/setup").status_code == 200
    result = runner.invoke(args=["user", "list"])
    assert (result.exit_code, result.output.split()[0]) == (0, "USERNAME")


SENDS = ["send", "--user", "kim", "--from", "010-1234-5678", "--to", "010-2222-3333",
         "--text", "hello"]


@pytest.mark.parametrize("args", [
    ["user", "list"], ["user", "create", "kim"], ["user", "disable", "kim"],
    ["user", "password", "kim"], ["token", "list"], ["token", "create", "--user", "kim",
                                                      "--name", "cron"],
    ["token", "revoke", "1", "--user", "kim"], ["log", "purge"], ["log", "purge", "--dry-run"],
    ["relay", "list"], ["simulator-reset"], SENDS,
], ids=lambda args: " ".join(args[:2]))
def test_a_shell_command_says_the_database_was_not_created(db_url, backend, args):
    runner = fresh_app(db_url, backend).test_cli_runner()
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {KOREAN} ({ENGLISH})"  # nothing asked first
