"""cafe24.settings: the one parser of CAFE24_SMS_*, for the library alone and for the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import config
from cafe24.client import Cafe24Client
from cafe24.errors import ConfigurationError
from cafe24.settings import ENV_VARS, GatewaySettings, SettingError

ROOT = Path(__file__).resolve().parents[2]
FULL = {"CAFE24_SMS_USER_ID": " shop ", "CAFE24_SMS_SECURE_KEY": "k",
        "CAFE24_SMS_BASE_URL": "http://sms.example.org/", "CAFE24_SMS_CHARSET": "EUC-KR",
        "CAFE24_SMS_CONNECT_TIMEOUT": "2", "CAFE24_SMS_READ_TIMEOUT": "9.5",
        "CAFE24_SMS_ALLOW_HTTP": "on"}


def _app_settings(env: dict[str, str]) -> GatewaySettings:
    return config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", **env},
                           "/nonexistent").gateway


def test_the_app_and_the_library_read_the_same_values():
    settings = _app_settings(FULL)
    assert settings == GatewaySettings.from_env(FULL)
    assert (settings.user_id, settings.base_url, settings.charset, settings.connect_timeout,
            settings.read_timeout, settings.allow_http) == (
        "shop", "http://sms.example.org", "euc-kr", 2.0, 9.5, True)
    client = Cafe24Client.from_env(FULL)
    assert (client.user_id, client.base_url, client.charset, client.timeout) == (
        "shop", "http://sms.example.org", "euc-kr", (2.0, 9.5))


@pytest.mark.parametrize(("name", "value"), [
    ("CAFE24_SMS_CONNECT_TIMEOUT", "soon"), ("CAFE24_SMS_READ_TIMEOUT", "601"),
    ("CAFE24_SMS_ALLOW_HTTP", "maybe"), ("CAFE24_SMS_CHARSET", "latin-1"),
    ("CAFE24_SMS_BASE_URL", "ftp://sms.example.org"), ("CAFE24_SMS_SECURE_KEY", " "),
])
def test_a_bad_value_is_refused_alike_naming_the_variable(name, value):
    env = {**FULL, name: value}
    with pytest.raises(SettingError) as library:
        Cafe24Client.from_env(env)
    assert library.value.variable == name and isinstance(library.value, ConfigurationError)
    with pytest.raises(config.SettingsError) as app:
        _app_settings(env)
    assert app.value.variable == name and library.value.problem in str(app.value)


def test_nothing_set_is_the_apps_simulator_but_no_client():
    assert _app_settings({}).configured is False
    with pytest.raises(SettingError, match="CAFE24_SMS_USER_ID"):
        Cafe24Client.from_env({})


def test_the_app_lists_every_gateway_variable():
    assert set(ENV_VARS) <= set(config.ENV_VARS)


def _names_read(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith("CAFE24_SMS_") and node.value in ENV_VARS}


@pytest.mark.parametrize("path", [*sorted((ROOT / "cafe24").glob("*.py")), ROOT / "config.py",
                                  ROOT / "app.py"], ids=lambda p: p.name)
def test_only_cafe24_settings_names_the_variables(path):
    if path.name != "settings.py":
        assert _names_read(path) == set()
