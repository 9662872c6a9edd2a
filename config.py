"""Settings: read from the environment once, parsed into typed values, checked here.

Every variable the app reads is in ``ENV_VARS``. A bad value raises ``SettingsError``
naming the variable, before anything starts. Nothing else in the app reads the
environment or re-parses a value: it gets a ``Settings`` (or its ``GatewaySettings``).
Secrets never have a default in the repository.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cafe24.client import DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from cafe24.encoding import normalize_charset

ENV_VARS = (
    "CAFE24_SMS_BASE_URL",
    "CAFE24_SMS_USER_ID",
    "CAFE24_SMS_SECURE_KEY",
    "CAFE24_SMS_CHARSET",
    "CAFE24_SMS_CONNECT_TIMEOUT",
    "CAFE24_SMS_READ_TIMEOUT",
    "CAFE24_SMS_ALLOW_HTTP",
    "SMSFORM_RETURN_HOSTS",
    "SMSFORM_LOG_LEVEL",
    "DATABASE_URL",
    "SECRET_KEY",
    "SESSION_COOKIE_SECURE",
)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(name, f"must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 600:
        raise SettingsError(name, f"must be more than 0 and at most 600 seconds, not {raw}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(name, f"must be an http(s) URL, not {raw!r}")
    return raw.rstrip("/")


@dataclass(frozen=True)
class GatewaySettings:
    """Where and as whom to reach the gateway; ``configured`` False means the simulator."""

    configured: bool = False
    base_url: str = DEFAULT_BASE_URL
    user_id: str = ""
    secure_key: str = field(default="", repr=False)
    charset: str = "utf-8"
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    allow_http: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewaySettings:
        """Parse the ``CAFE24_SMS_*`` variables."""
        configured = any(env.get(name, "").strip() for name in (
            "CAFE24_SMS_BASE_URL", "CAFE24_SMS_USER_ID", "CAFE24_SMS_SECURE_KEY"))
        user_id = env.get("CAFE24_SMS_USER_ID", "").strip()
        secure_key = env.get("CAFE24_SMS_SECURE_KEY", "").strip()
        if configured and not user_id:
            raise SettingsError("CAFE24_SMS_USER_ID",
                                "set it together with CAFE24_SMS_SECURE_KEY")
        if configured and not secure_key:
            raise SettingsError("CAFE24_SMS_SECURE_KEY",
                                "set it together with CAFE24_SMS_USER_ID")
        charset = env.get("CAFE24_SMS_CHARSET", "").strip() or "utf-8"
        try:
            charset = normalize_charset(charset)
        except ValueError:
            raise SettingsError("CAFE24_SMS_CHARSET",
                                f"must be utf-8 or euc-kr, not {charset!r}") from None
        return cls(
            configured=configured,
            base_url=_url(env, "CAFE24_SMS_BASE_URL", DEFAULT_BASE_URL),
            user_id=user_id,
            secure_key=secure_key,
            charset=charset,
            connect_timeout=_seconds(env, "CAFE24_SMS_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=_seconds(env, "CAFE24_SMS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
            allow_http=_flag(env, "CAFE24_SMS_ALLOW_HTTP"),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with, typed."""

    secret_key: str = field(repr=False)
    database_url: str
    gateway: GatewaySettings
    return_hosts: tuple[str, ...] = ()
    session_cookie_secure: bool = False
    log_level: int = logging.INFO

    def flask_config(self) -> dict[str, Any]:
        """The part of the settings that Flask and its extensions read from ``app.config``."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
            "BABEL_DEFAULT_LOCALE": "ko",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Seoul",
        }


def _log_level(env: Mapping[str, str]) -> int:
    raw = env.get("SMSFORM_LOG_LEVEL", "").strip().upper() or "INFO"
    level = logging.getLevelNamesMapping().get(raw)
    if level is None:
        raise SettingsError("SMSFORM_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, "
                                                 f"not {raw!r}")
    return level


def _return_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    hosts = []
    for item in env.get("SMSFORM_RETURN_HOSTS", "").split(","):
        host = item.strip().lower()
        if not host:
            continue
        if "/" in host or " " in host:
            raise SettingsError("SMSFORM_RETURN_HOSTS",
                                f"lists host names separated by commas, not {item.strip()!r}")
        hosts.append(host)
    return tuple(hosts)


def instance_secret_key(instance_path: Path) -> str:
    """A per-instance key kept in ``instance/secret_key`` (0600) so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_env(environ: Mapping[str, str], instance_path: str | Path) -> Settings:
    """Parse the app's settings from ``environ``; the instance folder holds the defaults
    that must survive restarts (the SQLite file, the session key)."""
    instance = Path(instance_path)
    database_url = environ.get("DATABASE_URL", "").strip()
    if not database_url:
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'smsform.db'}"
    return Settings(
        secret_key=environ.get("SECRET_KEY", "").strip() or instance_secret_key(instance),
        database_url=database_url,
        gateway=GatewaySettings.from_env(environ),
        return_hosts=_return_hosts(environ),
        session_cookie_secure=_flag(environ, "SESSION_COOKIE_SECURE"),
        log_level=_log_level(environ),
    )
