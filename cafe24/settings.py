"""The ``CAFE24_SMS_*`` settings, parsed in one place: for ``Cafe24Client.from_env`` when the
library is used on its own, and for the app's ``config.py``.

``GatewaySettings.from_env`` reads only the mapping it is given and raises
``SettingError`` (a ``ConfigurationError``) naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .encoding import normalize_charset
from .errors import ConfigurationError

DEFAULT_BASE_URL = "https://sslsms.cafe24.com"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
#: The longest timeout a setting may ask for.
MAX_TIMEOUT = 600.0

#: Every variable ``GatewaySettings.from_env`` reads.
ENV_VARS = (
    "CAFE24_SMS_BASE_URL",
    "CAFE24_SMS_USER_ID",
    "CAFE24_SMS_SECURE_KEY",
    "CAFE24_SMS_CHARSET",
    "CAFE24_SMS_CONNECT_TIMEOUT",
    "CAFE24_SMS_READ_TIMEOUT",
    "CAFE24_SMS_ALLOW_HTTP",
)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class SettingError(ConfigurationError):
    """A ``CAFE24_SMS_*`` variable is missing or malformed: ``variable`` names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


def flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no variable: 1/0, true/false, yes/no or on/off (empty: no)."""
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingError(name, f"must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A timeout in seconds, more than 0 and at most ``MAX_TIMEOUT`` (empty: ``default``)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(name, f"must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= MAX_TIMEOUT:
        raise SettingError(name, f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, "
                                 f"not {raw}")
    return value


def url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http(s) URL without its trailing slash (empty: ``default``)."""
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingError(name, f"must be an http(s) URL, not {raw!r}")
    return raw.rstrip("/")


@dataclass(frozen=True)
class GatewaySettings:
    """Where and as whom to reach the gateway; ``configured`` False when none of the base
    URL, the id and the key is set (the app then uses its simulator)."""

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
        """Parse the ``CAFE24_SMS_*`` variables of ``env``.

        :raises SettingError: a value is malformed, or only one of the id and the key is set.
        """
        configured = any(env.get(name, "").strip() for name in (
            "CAFE24_SMS_BASE_URL", "CAFE24_SMS_USER_ID", "CAFE24_SMS_SECURE_KEY"))
        user_id = env.get("CAFE24_SMS_USER_ID", "").strip()
        secure_key = env.get("CAFE24_SMS_SECURE_KEY", "").strip()
        if configured and not user_id:
            raise SettingError("CAFE24_SMS_USER_ID", "set it together with CAFE24_SMS_SECURE_KEY")
        if configured and not secure_key:
            raise SettingError("CAFE24_SMS_SECURE_KEY", "set it together with CAFE24_SMS_USER_ID")
        charset = env.get("CAFE24_SMS_CHARSET", "").strip() or "utf-8"
        try:
            charset = normalize_charset(charset)
        except ValueError:
            raise SettingError("CAFE24_SMS_CHARSET",
                               f"must be utf-8 or euc-kr, not {charset!r}") from None
        return cls(
            configured=configured,
            base_url=url(env, "CAFE24_SMS_BASE_URL", DEFAULT_BASE_URL),
            user_id=user_id,
            secure_key=secure_key,
            charset=charset,
            connect_timeout=seconds(env, "CAFE24_SMS_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=seconds(env, "CAFE24_SMS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
            allow_http=flag(env, "CAFE24_SMS_ALLOW_HTTP"),
        )

    def require_account(self) -> GatewaySettings:
        """These settings when they name an account (a client needs one); SettingError
        otherwise."""
        if not self.configured:
            raise SettingError("CAFE24_SMS_USER_ID", "set it together with CAFE24_SMS_SECURE_KEY")
        return self
