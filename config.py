"""Settings: read from the environment once, parsed into typed values, checked here.

Every variable the app reads is in ``ENV_VARS``. A bad value raises ``SettingsError``
naming the variable, before anything starts. Nothing else in the app reads the
environment or re-parses a value: it gets a ``Settings`` (or its ``GatewaySettings``, which
the gateway library parses: ``cafe24.settings``, shared with ``Cafe24Client.from_env``).
Secrets never have a default in the repository.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cafe24.settings import ENV_VARS as GATEWAY_ENV_VARS
from cafe24.settings import GatewaySettings, SettingError, flag

__all__ = ["ENV_VARS", "GatewaySettings", "Settings", "SettingsError", "from_env"]
T = TypeVar("T")

ENV_VARS = (
    *GATEWAY_ENV_VARS,
    "SMSFORM_RETURN_HOSTS",
    "SMSFORM_PUBLIC_ORIGIN",
    "SMSFORM_PROXY_COUNT",
    "SMSFORM_MAX_BODY_BYTES",
    "SMSFORM_LOG_LEVEL",
    "DATABASE_URL",
    "SECRET_KEY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SMSFORM_FRAME_ANCESTORS",
    "SMSFORM_IDLE_MINUTES",
    "SMSFORM_LOG_RETENTION_DAYS",
    "SMSFORM_RATELIMIT_STORAGE",
    "SMSFORM_LOW_CREDIT",
    "SMSFORM_API_RATE",
    "SMSFORM_MAX_TOKENS",
    "SMSFORM_LIST_MAX_ROWS",
    "SMSFORM_LIST_MAX_BYTES",
    "SMSFORM_AD_SENDER_NAME",
    "SMSFORM_AD_OPTOUT_NUMBER",
    "SMSFORM_OPTOUT_CONFIRM",
    "SMSFORM_OPTOUT_CONFIRM_FROM",
    "SMSFORM_OPTOUT_CONFIRM_TEXT",
    "SMSFORM_QUEUE",
    "SMSFORM_BULK_PACE_MS",
    "SMSFORM_BULK_LATE_AFTER",
    "SMSFORM_DELIVERY_PACE_MS",
    "SMSFORM_DELIVERY_SMS_HOURS",
    "SMSFORM_DELIVERY_LMS_HOURS",
    "SMSFORM_DELIVERY_EVERY",
)

#: The largest request body read (1 MiB): a form or JSON send is a few kilobytes.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _gateway_setting(parse: Callable[[], T]) -> T:
    """A value parsed by the gateway library's own reader of ``CAFE24_SMS_*`` (and of a
    yes/no flag), its refusal as a ``SettingsError``."""
    try:
        return parse()
    except SettingError as exc:
        raise SettingsError(exc.variable, exc.problem) from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    return _gateway_setting(lambda: flag(env, name))


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with, typed."""

    secret_key: str = field(repr=False)
    database_url: str
    gateway: GatewaySettings
    #: Origins (``scheme://host:port``) that ``returnurl`` may lead to besides this site's
    #: paths: SMSFORM_PUBLIC_ORIGIN and SMSFORM_RETURN_HOSTS.
    return_origins: tuple[str, ...] = ()
    public_origin: str = ""  # this site's own origin as people reach it; "" when not set
    proxy_count: int = 0  # reverse proxies in front whose X-Forwarded-* headers are trusted
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # a larger request body gets 413 unread
    session_cookie_secure: bool = False
    #: The session cookie's SameSite: "Lax" (the default), "Strict" or "None" (a form framed
    #: by another site; needs the cookie to be Secure).
    session_cookie_samesite: str = "Lax"
    #: Origins besides this site's own that may show its pages in a frame (CSP
    #: ``frame-ancestors``) and that the framed form tells of a send, as browsers write an
    #: origin (``https://shop.example.com``, ``http://127.0.0.1:8080``).
    frame_ancestors: tuple[str, ...] = ()
    log_level: int = logging.INFO
    idle_minutes: int = 480  # a session unused this long is signed out
    log_retention_days: int = 365  # the send log keeps texts and numbers this long
    # Where sign-in failures are counted: memory:// or redis:// (may hold a password).
    ratelimit_storage: str = field(default="memory://", repr=False)
    low_credit_threshold: int = 100  # the dashboard warns when the credit is under this
    api_rate: str = "60/minute"  # requests one API token may make (N/second|minute|hour|day)
    max_tokens: int = 10  # live (unrevoked) API tokens one user may hold
    #: The most rows and bytes one uploaded or pasted list may hold (services.lists).
    list_max_rows: int = 100_000
    list_max_bytes: int = 20 * 1024 * 1024
    #: The sender's name an advertisement carries after ``(광고)``; "" when not set (an
    #: advertising send is then refused, naming the variable).
    ad_sender_name: str = ""
    #: The free (080) number of an advertisement's opt-out line, ``080-123-4567``; "".
    ad_optout_number: str = ""
    #: The confirmation text sent to a number when its opt-out is recorded (services.optouts):
    #: the sender number it goes from ("" when off) and its text, ``{company}`` the sender's
    #: name above and ``{date}`` the day it was recorded (Korea time).
    optout_confirm_from: str = ""
    optout_confirm_text: str = ""
    #: Where the bulk worker's queue lives (smsform.worker): ``sqlite:///<path>`` (the
    #: default: ``instance/queue.sqlite3``) or a ``redis://`` URL (may hold a password).
    queue_url: str = field(default="", repr=False)
    #: The pause between two batches of a bulk job, in milliseconds (a job may set its own).
    bulk_pace_ms: int = 0
    #: A scheduled job found due more than this many minutes late waits for a person.
    bulk_late_after: int = 60
    #: The delivery sync (services.delivery): the pause between two list calls (ms), how
    #: long an SMS and an LMS may stay without a report before it is ``no_report`` (hours),
    #: and how often the worker runs it (minutes).
    delivery_pace_ms: int = 200
    delivery_sms_hours: int = 24
    delivery_lms_hours: int = 72
    delivery_every: int = 10

    def flask_config(self) -> dict[str, Any]:
        """The part of the settings that Flask and its extensions read from ``app.config``."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # A database error never carries a statement's values (texts, numbers) into
            # its message, so no log line or traceback can show them.
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True,
                                          **sqlite_pool_options(self.database_url)},
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": self.session_cookie_samesite,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": self.session_cookie_samesite,
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "BABEL_DEFAULT_LOCALE": "ko",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Seoul",
        }


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses; and a bounded
    # length, so a huge value never reaches int() (Python refuses over 4,300 digits).
    if not re.fullmatch(r"[0-9]{1,18}", raw) or not low <= int(raw) <= high:
        raise SettingsError(name, f"must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


#: Storage schemes the sign-in throttle may count in (the ``limits`` library's URIs).
RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel",
                     "redis+cluster")


def _ratelimit_storage(env: Mapping[str, str]) -> str:
    raw = env.get("SMSFORM_RATELIMIT_STORAGE", "").strip() or "memory://"
    scheme = raw.partition("://")[0].lower()
    if "://" not in raw or scheme not in RATELIMIT_SCHEMES:
        raise SettingsError("SMSFORM_RATELIMIT_STORAGE",
                            f"must be memory:// or a redis:// URL, not {raw!r}")
    return raw


_RATE = re.compile(r"([0-9]{1,9})\s*(?:/|per)\s*(second|minute|hour|day)s?")


#: Queue schemes the bulk worker takes (huey's SqliteHuey, RedisHuey; MemoryHuey: one
#: process only, for tests).
QUEUE_SCHEMES = ("sqlite", "redis", "rediss", "unix", "memory")


def _queue(env: Mapping[str, str], instance: Path) -> str:
    raw = env.get("SMSFORM_QUEUE", "").strip()
    if not raw:
        return f"sqlite:///{instance / 'queue.sqlite3'}"
    scheme, _, rest = raw.partition("://")
    if scheme.lower() not in QUEUE_SCHEMES or not (rest or scheme == "memory"):
        raise SettingsError("SMSFORM_QUEUE", "must be a redis:// URL or sqlite:///<file>, "
                            f"not {raw.partition('@')[2] or raw!r}")
    return raw


def _api_rate(env: Mapping[str, str]) -> str:
    """SMSFORM_API_RATE as ``N/unit`` (``60/minute`` when not set)."""
    raw = env.get("SMSFORM_API_RATE", "").strip().lower() or "60/minute"
    match = _RATE.fullmatch(raw)
    if match is None or int(match[1]) < 1:
        raise SettingsError("SMSFORM_API_RATE", f"must be a rate such as 60/minute or "
                                                f"1000 per hour, not {raw!r}")
    return f"{int(match[1])}/{match[2]}"


#: The longest sender's name an advertisement carries (characters).
AD_SENDER_NAME_MAX = 30
_FREE_NUMBER = re.compile(r"080-?([0-9]{3,4})-?([0-9]{4})")


def free_number(raw: str) -> str | None:
    """A free (080) number written ``080-123-4567``, or None when ``raw`` is not one."""
    match = _FREE_NUMBER.fullmatch(re.sub(r"[\s.]", "", raw))
    return f"080-{match[1]}-{match[2]}" if match else None


def _sendable(text: str) -> bool:
    """True when every character is ASCII or one two-byte EUC-KR character (a printable
    one): what the gateway can carry in a text."""
    for ch in text:
        if not ch.isprintable():
            return False
        try:
            if ord(ch) >= 0x80 and len(ch.encode("euc_kr")) != 2:
                return False
        except UnicodeEncodeError:
            return False
    return True


def _ad_sender_name(env: Mapping[str, str]) -> str:
    raw = env.get("SMSFORM_AD_SENDER_NAME", "").strip()
    if raw and (len(raw) > AD_SENDER_NAME_MAX or not _sendable(raw)):
        raise SettingsError("SMSFORM_AD_SENDER_NAME", f"must be the company's or service's "
                                                      f"name, at most {AD_SENDER_NAME_MAX} "
                                                      f"characters that EUC-KR can send, "
                                                      f"not {raw!r}")
    return raw


def _ad_optout_number(env: Mapping[str, str]) -> str:
    raw = env.get("SMSFORM_AD_OPTOUT_NUMBER", "").strip()
    if not raw:
        return ""
    number = free_number(raw)
    if number is None:
        raise SettingsError("SMSFORM_AD_OPTOUT_NUMBER", f"must be a free (080) number such "
                                                        f"as 080-123-4567, not {raw!r}")
    return number


#: The confirmation text when SMSFORM_OPTOUT_CONFIRM_TEXT is not set.
OPTOUT_CONFIRM_TEXT = "[{company}] {date} 광고성 정보 수신거부가 처리되었습니다."
_CONFIRM_FIELDS = re.compile(r"\{(\w*)\}")


def _optout_confirm(env: Mapping[str, str], company: str) -> tuple[str, str]:
    """SMSFORM_OPTOUT_CONFIRM=1: the sender number (SMSFORM_OPTOUT_CONFIRM_FROM) and the
    text (SMSFORM_OPTOUT_CONFIRM_TEXT, ``{company}`` and ``{date}`` in it) of the
    confirmation; ("", "") when off."""
    if not _flag(env, "SMSFORM_OPTOUT_CONFIRM"):
        return "", ""
    sender = env.get("SMSFORM_OPTOUT_CONFIRM_FROM", "").strip()
    if not re.fullmatch(r"[0-9][0-9\- ]{6,18}[0-9]", sender):
        raise SettingsError("SMSFORM_OPTOUT_CONFIRM_FROM", "must be the registered sender "
                                                           "number the confirmation goes "
                                                           f"from, not {sender!r}")
    text = env.get("SMSFORM_OPTOUT_CONFIRM_TEXT", "").strip() or OPTOUT_CONFIRM_TEXT
    unknown = set(_CONFIRM_FIELDS.findall(text)) - {"company", "date"}
    if unknown or not _sendable(text.replace("\n", "")):
        raise SettingsError("SMSFORM_OPTOUT_CONFIRM_TEXT", "may use {company} and {date} "
                                                           "and characters EUC-KR can send, "
                                                           f"not {text!r}")
    if "{company}" in text and not company:
        raise SettingsError("SMSFORM_AD_SENDER_NAME", "names the company in the opt-out "
                                                      "confirmation (SMSFORM_OPTOUT_CONFIRM)")
    return sender, text


def _log_level(env: Mapping[str, str]) -> int:
    raw = env.get("SMSFORM_LOG_LEVEL", "").strip().upper() or "INFO"
    level = logging.getLevelNamesMapping().get(raw)
    if level is None:
        raise SettingsError("SMSFORM_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, "
                                                 f"not {raw!r}")
    return level


def origin(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL (the port always written), else None."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def _origin_setting(name: str, raw: str) -> str:
    """One origin as configured: ``https://host[:port]``, or a bare ``host[:port]`` (HTTPS)."""
    text = raw.strip()
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    found = origin(url)
    if (found is None or parts.path not in ("", "/") or parts.query or parts.fragment
            or parts.username or parts.password or " " in text):
        raise SettingsError(name, f"must be an origin such as https://shop.example.com or "
                                  f"shop.example.com:8443, not {text!r}")
    return found


def _public_origin(env: Mapping[str, str]) -> str:
    raw = env.get("SMSFORM_PUBLIC_ORIGIN", "").strip()
    return _origin_setting("SMSFORM_PUBLIC_ORIGIN", raw) if raw else ""


def _return_origins(env: Mapping[str, str], public_origin: str) -> tuple[str, ...]:
    """The public origin and every SMSFORM_RETURN_HOSTS entry, as origins."""
    origins = [public_origin] if public_origin else []
    for item in env.get("SMSFORM_RETURN_HOSTS", "").split(","):
        if item.strip():
            origins.append(_origin_setting("SMSFORM_RETURN_HOSTS", item))
    return tuple(dict.fromkeys(origins))


_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def _samesite(env: Mapping[str, str], secure: bool) -> str:
    """SESSION_COOKIE_SAMESITE as Flask writes it; None only with a Secure cookie."""
    raw = env.get("SESSION_COOKIE_SAMESITE", "").strip()
    value = _SAMESITE.get(raw.lower() or "lax")
    if value is None:
        raise SettingsError("SESSION_COOKIE_SAMESITE", f"must be Lax, Strict or None, not {raw!r}")
    if value == "None" and not secure:
        raise SettingsError("SESSION_COOKIE_SAMESITE", "None needs SESSION_COOKIE_SECURE=1: "
                                                       "browsers drop a SameSite=None cookie "
                                                       "that is not Secure")
    return value


#: A domain as a browser writes it: letters (lower case), digits and hyphens in dot-separated
#: labels of at most 63, no trailing dot.
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}"
                     r"[a-z0-9])?")
#: A last label that makes a browser read the host as an IPv4 address (WHATWG URL: "ends
#: in a number"): decimal digits, or 0x and hex digits.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_OCTET = re.compile(r"0|[1-9][0-9]{0,2}")


def _ipv6_text(address: ipaddress.IPv6Address) -> str:
    """An IPv6 address as the WHATWG URL standard writes it: lower-case hex pieces without
    leading zeros, the first longest run of two or more zero pieces as ``::`` (never the
    dotted form of an IPv4-mapped address)."""
    pieces = struct.unpack("!8H", address.packed)
    best_start, best_length, start = -1, 1, None
    for index, piece in enumerate((*pieces, 1)):  # the sentinel ends a run at the end
        if piece == 0 and start is None:
            start = index
        elif piece != 0 and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    words = [f"{piece:x}" for piece in pieces]
    if best_start < 0:
        return ":".join(words)
    return (":".join(words[:best_start]) + "::"
            + ":".join(words[best_start + best_length:]))


def browser_host(host: str) -> str | None:
    """``host`` (lower case) when a browser writes it so in an origin, else None: a domain
    without a trailing dot, a dotted quad of 0-255 without leading zeros (a browser turns
    ``0x7f.1`` into ``127.0.0.1`` and refuses ``256.1.1.1``), or a bracketed IPv6 address in
    its compressed form (``[::1]``, never ``[0:0::1]``)."""
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner:  # a zone: browsers refuse it
            return None
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            return None
        return host if _ipv6_text(address) == inner else None
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        octets_ok = len(labels) == 4 and all(
            _OCTET.fullmatch(label) and int(label) <= 255 for label in labels)
        return host if octets_ok else None
    return host if _DOMAIN.fullmatch(host) else None


def browser_origin(raw: str) -> str | None:
    """``scheme://host[:port]`` as a browser serializes an origin (no default port, lower
    case, the host as ``browser_host`` takes it), for an http(s) origin with nothing after
    it but ``/``; else None."""
    text = raw.strip()
    match = re.fullmatch(r"(https?)://([^/:\[\]]+|\[[^\]/]*\])(?::([0-9]{1,5}))?/?", text,
                         re.I)
    if match is None or browser_host(match[2].lower()) is None:
        return None
    scheme, host, port = match[1].lower(), match[2].lower(), match[3]
    if port is not None and not 0 < int(port) < 65536:
        return None
    if port is None or int(port) == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


def _frame_ancestors(env: Mapping[str, str]) -> tuple[str, ...]:
    """SMSFORM_FRAME_ANCESTORS: space-separated origins, each ``scheme://host[:port]``."""
    origins = []
    for item in env.get("SMSFORM_FRAME_ANCESTORS", "").split():
        found = browser_origin(item)
        if found is None:
            raise SettingsError("SMSFORM_FRAME_ANCESTORS",
                                f"must be space-separated origins such as "
                                f"https://shop.example.com or http://intra.example.com:8080 "
                                f"(scheme, host and port as a browser writes them: no "
                                f"path, no *, no trailing dot, IPv4 as 0-255 x 4, IPv6 "
                                f"compressed as [::1]), not {item!r}")
        origins.append(found)
    return tuple(dict.fromkeys(origins))


def sqlite_pool_options(database_url: str) -> dict[str, Any]:
    """The pool of a SQLite file's engine hands back the connection returned last (LIFO).

    SQLite keeps a page cache per connection and drops it once another connection has
    written; taken in turn (the pool's default), every checkout got a connection whose cache
    was stale, and a send read ~38 pages from the file again (pread calls), where the one
    used last has them all. An in-memory database has one static connection: nothing to
    choose."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        return {}
    name = database_url[len(prefix):].split("?", 1)[0]
    return {"pool_use_lifo": True} if name and name != ":memory:" else {}


def prepare_sqlite_file(database_url: str, instance_path: Path) -> None:
    """Create a SQLite database file that does not exist yet readable by its owner only
    (0600; SQLite gives its -wal and -shm files the same mode), before SQLAlchemy opens it
    with the process's umask. Relative paths are in the instance folder (Flask-SQLAlchemy)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        return
    name = database_url[len(prefix):].split("?", 1)[0]
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name) if Path(name).is_absolute() else instance_path / name
    if path.exists() or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process made it in the meantime
        pass


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
    prepare_sqlite_file(database_url, instance)
    public_origin = _public_origin(environ)
    cookie_secure = _flag(environ, "SESSION_COOKIE_SECURE")
    confirm = _optout_confirm(environ, _ad_sender_name(environ))
    return Settings(
        secret_key=environ.get("SECRET_KEY", "").strip() or instance_secret_key(instance),
        database_url=database_url,
        gateway=_gateway_setting(lambda: GatewaySettings.from_env(environ)),
        return_origins=_return_origins(environ, public_origin),
        public_origin=public_origin,
        proxy_count=_whole(environ, "SMSFORM_PROXY_COUNT", 0, 0, 5),
        max_body_bytes=_whole(environ, "SMSFORM_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES,
                              16 * 1024, 100 * 1024 * 1024),
        session_cookie_secure=cookie_secure,
        session_cookie_samesite=_samesite(environ, cookie_secure),
        frame_ancestors=_frame_ancestors(environ),
        log_level=_log_level(environ),
        idle_minutes=_whole(environ, "SMSFORM_IDLE_MINUTES", 480, 5, 60 * 24 * 31),
        log_retention_days=_whole(environ, "SMSFORM_LOG_RETENTION_DAYS", 365, 1, 36500),
        ratelimit_storage=_ratelimit_storage(environ),
        low_credit_threshold=_whole(environ, "SMSFORM_LOW_CREDIT", 100, 0, 10**9),
        api_rate=_api_rate(environ),
        max_tokens=_whole(environ, "SMSFORM_MAX_TOKENS", 10, 1, 1000),
        list_max_rows=_whole(environ, "SMSFORM_LIST_MAX_ROWS", 100_000, 1, 10_000_000),
        list_max_bytes=_whole(environ, "SMSFORM_LIST_MAX_BYTES", 20 * 1024 * 1024,
                              1024, 1024 * 1024 * 1024),
        ad_sender_name=_ad_sender_name(environ),
        ad_optout_number=_ad_optout_number(environ),
        optout_confirm_from=confirm[0],
        optout_confirm_text=confirm[1],
        queue_url=_queue(environ, instance),
        bulk_pace_ms=_whole(environ, "SMSFORM_BULK_PACE_MS", 0, 0, 600_000),
        bulk_late_after=_whole(environ, "SMSFORM_BULK_LATE_AFTER", 60, 1, 60 * 24 * 7),
        delivery_pace_ms=_whole(environ, "SMSFORM_DELIVERY_PACE_MS", 200, 0, 60_000),
        delivery_sms_hours=_whole(environ, "SMSFORM_DELIVERY_SMS_HOURS", 24, 1, 24 * 7),
        delivery_lms_hours=_whole(environ, "SMSFORM_DELIVERY_LMS_HOURS", 72, 1, 24 * 7),
        delivery_every=_whole(environ, "SMSFORM_DELIVERY_EVERY", 10, 1, 24 * 60),
    )
