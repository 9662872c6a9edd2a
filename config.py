"""Settings from the environment; secrets never have a default in the repository."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

GATEWAY_SETTINGS = (
    "CAFE24_SMS_BASE_URL",
    "CAFE24_SMS_USER_ID",
    "CAFE24_SMS_SECURE_KEY",
    "CAFE24_SMS_CHARSET",
    "CAFE24_SMS_CONNECT_TIMEOUT",
    "CAFE24_SMS_READ_TIMEOUT",
    "CAFE24_SMS_ALLOW_HTTP",
)


def _secret_key(instance_path: Path) -> str:
    """A per-instance key kept in ``instance/secret_key`` so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_env(instance_path: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the app's settings from environment variables."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    settings: dict[str, Any] = {
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance / 'smsform.db'}",
        # Hosts (besides our own) that returnurl may send a person back to.
        "SMSFORM_RETURN_HOSTS": [
            h.strip().lower() for h in env.get("SMSFORM_RETURN_HOSTS", "").split(",") if h.strip()
        ],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") in ("1", "true"),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    }
    for name in GATEWAY_SETTINGS:
        if env.get(name):
            settings[name] = env[name]
    return settings
