"""The shell's bad input: a number, a date or a setting that cannot be read exits 2 naming
the option or variable (in Korean, then English); a name is judged before any password is
asked for. Never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

import config
from app import create_app
from tests.support import build_app, make_user

PASSWORD = "a-long-enough-password"


def refused(result, exit_code: int, *words: str) -> str:
    """The output of a command that ended cleanly (no traceback) with ``exit_code``."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output
    return result.output


def korean_first(output: str, korean: str, english: str) -> None:
    """Both sentences, the Korean one first."""
    assert korean in output and english in output
    assert output.index(korean) < output.index(english)


@pytest.mark.parametrize(("before", "korean", "english"), [
    ("0001-01-01", "2000-01-01부터 2999-12-31 사이", "Choose a date from 2000-01-01 to 2999-12-31"),
    ("9999-12-31", "2000-01-01부터 2999-12-31 사이", "Choose a date from 2000-01-01 to 2999-12-31"),
    ("²", "YYYY-MM-DD 형식", "Write a date as YYYY-MM-DD"),
    ("2026-02-30", "YYYY-MM-DD 형식", "Write a date as YYYY-MM-DD"),
    ("", "YYYY-MM-DD 형식", "Write a date as YYYY-MM-DD"),
])
def test_log_purge_refuses_a_day_it_cannot_use(runner, before, korean, english):
    output = refused(runner.invoke(args=["log", "purge", "--before", before]), 2, "--before")
    korean_first(output, korean, english)


def test_log_purge_takes_the_earliest_day_the_log_filters_take(runner):
    result = runner.invoke(args=["log", "purge", "--before", "2000-01-01", "--dry-run"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "option", "range_"), [
    (["simulator", "--port", "²"], "--port", "0부터 65535까지"),
    (["simulator", "--port", "99999999"], "--port", "0부터 65535까지"),
    (["simulator", "--port", "-1"], "--port", "0부터 65535까지"),
    (["simulator", "--credits", "²"], "--credits", "0부터 1,000,000,000까지"),
    (["simulator", "--credits", "9" * 5000], "--credits", "0부터 1,000,000,000까지"),
    (["relay", "create", "shop", "--sender", "02-123-4567", "--daily-limit", "²"],
     "--daily-limit", "1부터 10,000,000까지"),
    (["relay", "create", "shop", "--sender", "02-123-4567", "--daily-limit", "0"],
     "--daily-limit", "1부터 10,000,000까지"),
])
def test_a_number_option_that_is_not_a_number_in_range_exits_2_naming_it(runner, args, option,
                                                                         range_):
    output = refused(runner.invoke(args=args), 2, f"'{option}'")
    korean_first(output, range_, "Give a whole number from")


@pytest.mark.parametrize(("args", "option", "choices"), [
    (["user", "create", "kim", "--role", "root"], "--role", "admin, sender, viewer"),
    (["send", "--user", "kim", "--from", "02-123-4567", "--to", "010-2222-3333", "--text",
      "hi", "--type", "mms"], "--type", "auto, sms, lms"),
    (["relay", "create", "shop", "--sender", "02-123-4567", "--charset", "latin-1"],
     "--charset", "auto, utf-8, euc-kr"),
])
def test_a_word_option_that_is_not_one_of_its_words_exits_2_naming_it(runner, args, option,
                                                                       choices):
    output = refused(runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n"), 2,
                     f"'{option}'")
    korean_first(output, f"{choices} 중 하나를 고르세요", f"Choose one of {choices}, not")
    assert "password" not in output.lower()  # refused before any prompt


def test_token_revoke_by_a_name_that_looks_like_a_digit(app, runner):
    make_user(app, "alice", PASSWORD, "sender")
    output = refused(runner.invoke(args=["token", "revoke", "²", "--user", "alice"]), 1)
    korean_first(output, "그런 토큰이 없습니다: ²", "There is no such token: ²")
    made = runner.invoke(args=["token", "create", "--user", "alice", "--name", "²"])
    assert made.exit_code == 0, made.output
    revoked = runner.invoke(args=["token", "revoke", "²", "--user", "alice"])
    assert revoked.exit_code == 0 and "revoked token" in revoked.output


@pytest.mark.parametrize(("name", "value"), [
    ("SMSFORM_PROXY_COUNT", "²"), ("SMSFORM_PROXY_COUNT", "9" * 5000),
    ("SMSFORM_IDLE_MINUTES", "٣٠"), ("SMSFORM_API_RATE", "٣/minute"),
])
def test_a_setting_in_digits_that_are_not_ascii_stops_the_app_naming_it(backend, name, value):
    with pytest.raises(config.SettingsError, match=name):
        build_app(backend, **{name: value})


def test_a_malformed_setting_ends_a_shell_command_with_exit_2_naming_it(backend):
    cli = FlaskGroup(create_app=lambda: build_app(backend, tables=None, SMSFORM_PROXY_COUNT="²"),
                     load_dotenv=False, set_debug_flag=False)
    result = CliRunner().invoke(cli, ["user", "list"])
    output = refused(result, 2)
    assert output.strip() == ("Error: SMSFORM_PROXY_COUNT: must be a whole number from 0 to 5, "
                              "not '²'")


def test_a_server_still_gets_the_settings_error(backend):
    with pytest.raises(config.SettingsError, match="SMSFORM_PROXY_COUNT"):
        create_app({"TESTING": True, "SMSFORM_PROXY_COUNT": "²"})


@pytest.mark.parametrize(("name", "korean", "english"), [
    ("김철수", "영문, 숫자", "Use only letters, digits and _ . @ -"),
    ("ab", "3~64자", "A user name has 3 to 64 characters."),
    ("kim", "이미 있는 사용자입니다: kim", "The user kim exists already."),
])
def test_user_create_judges_the_name_before_asking_for_a_password(app, runner, name, korean,
                                                                  english):
    make_user(app, "kim", PASSWORD, "viewer")
    result = runner.invoke(args=["user", "create", name], input=f"{PASSWORD}\n{PASSWORD}\n")
    output = refused(result, 1)
    korean_first(output, korean, english)
    assert "password" not in output.lower()  # never asked
