"""Cafe24Client: the only code that talks to the gateway, on one request path."""

from __future__ import annotations

import dataclasses
import html
import os
import re
import ssl
from collections.abc import Callable, Mapping
from ipaddress import ip_address
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry

from .answers import (
    ResultPage,
    SendOutcome,
    SendStatus,
    parse_remaining,
    parse_results,
    parse_send_answer,
    parse_senders,
)
from .calls import ResultQuery, SendRequest
from .encoding import answer_text, b64_destination, b64_field, encoded_forms, normalize_charset
from .errors import (
    Cafe24Error,
    ConfigurationError,
    ConnectFailed,
    ConnectionDropped,
    HTTPStatusError,
    InvalidRequest,
    ResponseTimeout,
    TransportError,
)

DEFAULT_BASE_URL = "https://sslsms.cafe24.com"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
USER_AGENT = "smsform-cafe24/0.1"

SEND_PATH = "/sms_sender.php"
SENDERS_PATH = "/smsSenderPhone.php"
REMAIN_PATH = "/sms_remain.php"
RESULTS_PATH = "/sms_list.php"

#: How much of a gateway's body the client keeps (in SendOutcome.raw, Cafe24Error.body).
EXCERPT_CHARS = 200
#: What stands in a kept body where the secure key was.
REDACTED = "[key removed]"
# Shorter pieces of the key's Base64 would match ordinary text.
_MIN_FORM_CHARS = 6

_T = TypeVar("_T")


def _hidden_forms(secret: str, charset: str) -> re.Pattern[str]:
    """A pattern for every form of ``secret`` that a body echoing a request can hold: as it
    is, its Base64 (both alphabets, also inside a longer Base64 text), each of those
    URL-quoted (any hex case), JSON-escaped or HTML-escaped."""
    forms: set[str] = set()
    for form in encoded_forms(secret, (charset, "utf-8")):
        forms |= {form, quote(form, safe=""), quote_plus(form), form.replace("/", "\\/"),
                  html.escape(form)}
    parts = [re.sub(r"%([0-9A-Fa-f]{2})", r"%(?i:\1)", re.escape(form))
             for form in sorted(forms, key=len, reverse=True)
             if len(form) >= _MIN_FORM_CHARS or form == secret]
    return re.compile("|".join(parts))


def excerpt(text: str) -> str:
    """The first ``EXCERPT_CHARS`` characters of a body, marked when cut."""
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _certificate_refused(exc: BaseException) -> bool:
    """True when a TLS error is a certificate check failure somewhere in its chain."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        stack.extend([item.__cause__, item.__context__, *item.args,
                      getattr(item, "reason", None)])
    return False


class Cafe24Client:
    """A typed client of the Cafe24 SMS hosting gateway.

    One ``requests.Session`` is kept for connection reuse. Connecting is retried
    (nothing has left yet); a request that may have reached the gateway never is.
    """

    def __init__(
        self,
        user_id: str,
        secure_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        charset: str = "utf-8",
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        connect_retries: int = 2,
        allow_http: bool = False,
        transport: BaseAdapter | None = None,
    ) -> None:
        """Build a client.

        :param user_id: the SMS account id (``user_id``).
        :param secure_key: the key issued with the service (``secure``).
        :param base_url: gateway root; plain ``http`` only for loopback or ``allow_http``.
        :param charset: ``utf-8`` or ``euc-kr``, the bytes that are Base64-encoded.
        :param transport: a requests adapter to use instead of the network
            (the simulator's ``simulator.in_process_transport(backend)`` in tests).
        :raises ConfigurationError: missing credentials, bad URL or charset.
        """
        if not user_id or not secure_key:
            raise ConfigurationError("user_id and secure_key are both required")
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL, not {base_url!r}")
        if url.scheme == "http" and not (allow_http or transport or _is_loopback(url.hostname)):
            raise ConfigurationError(
                "refusing plain http: the key would travel in clear text "
                "(use https, a loopback simulator, or allow_http=True)"
            )
        try:
            self.charset = normalize_charset(charset)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        self.user_id = user_id
        self._secure_key = secure_key
        self._key_forms = _hidden_forms(secure_key, self.charset)
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False  # no proxy from the environment sees the key
        if transport is not None:
            self.session.mount(self.base_url + "/", transport)
        else:
            # read=False re-raises a read error as it is: read=0 would wrap a read timeout
            # in MaxRetryError, which requests reports as a ConnectionError, not ReadTimeout.
            retry = Retry(total=connect_retries, connect=connect_retries, read=False, status=0,
                          other=0, redirect=0, allowed_methods=None, backoff_factor=0.1,
                          raise_on_status=False)
            adapter = HTTPAdapter(max_retries=retry)
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Cafe24Client:
        """Build from ``CAFE24_SMS_*`` settings (``USER_ID``, ``SECURE_KEY``, ``BASE_URL``,
        ``CHARSET``, ``CONNECT_TIMEOUT``, ``READ_TIMEOUT``, ``ALLOW_HTTP``).

        :raises ConfigurationError: when the id or key is missing.
        """
        env = os.environ if environ is None else environ

        def seconds(name: str, default: float) -> float:
            raw = env.get(name) or ""
            try:
                value = float(raw) if raw else default
            except ValueError as exc:
                raise ConfigurationError(
                    f"{name} must be a number of seconds, not {raw!r}") from exc
            if value <= 0:
                raise ConfigurationError(f"{name} must be more than 0 seconds")
            return value

        kwargs = {
            "base_url": env.get("CAFE24_SMS_BASE_URL") or DEFAULT_BASE_URL,
            "charset": env.get("CAFE24_SMS_CHARSET") or "utf-8",
            "connect_timeout": seconds("CAFE24_SMS_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
            "read_timeout": seconds("CAFE24_SMS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
            "allow_http": env.get("CAFE24_SMS_ALLOW_HTTP", "").strip().lower()
            in ("1", "true", "yes"),
        }
        kwargs.update(overrides)
        return cls(env.get("CAFE24_SMS_USER_ID", ""), env.get("CAFE24_SMS_SECURE_KEY", ""),
                   **kwargs)

    def __repr__(self) -> str:
        return f"Cafe24Client(user_id={self.user_id!r}, base_url={self.base_url!r}, key=***)"

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def __enter__(self) -> Cafe24Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one request path -------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every form of the secure key replaced by ``REDACTED``."""
        return self._key_forms.sub(REDACTED, text)

    def _read(self, response: requests.Response) -> str:
        """The answer as text, the key removed (a proxy or a broken gateway may echo it)."""
        return self.redact(answer_text(response.content))

    @staticmethod
    def _parse(parse: Callable[[Any], _T], text: str, body: str | bytes | None = None) -> _T:
        """Parse an answer (``body``, else ``text``); an error keeps only an excerpt of the
        redacted ``text``."""
        try:
            return parse(text if body is None else body)
        except Cafe24Error as exc:
            exc.body = excerpt(exc.body or text)
            raise

    def _post(self, path: str, data: Mapping[str, str]) -> requests.Response:
        """POST form fields and map every transport failure to a typed error."""
        url = self.base_url + path
        try:
            response = self.session.post(url, data=dict(data), timeout=self.timeout,
                                         allow_redirects=False)
        except requests.exceptions.ConnectTimeout as exc:
            raise ConnectFailed(f"connecting to {self.base_url} timed out") from exc
        except requests.exceptions.SSLError as exc:
            if _certificate_refused(exc):  # refused during the handshake: nothing left
                raise ConnectFailed(f"the certificate of {self.base_url} is not trusted") from exc
            # Any other TLS fault may come after the request was written.
            raise ConnectionDropped(f"TLS error talking to {self.base_url}") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise ResponseTimeout(
                f"no answer from {self.base_url} within {self.timeout[1]:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            reason = exc.args[0] if exc.args else None
            if isinstance(reason, MaxRetryError):
                reason = reason.reason
            if isinstance(reason, NewConnectionError | ConnectTimeoutError):
                raise ConnectFailed(f"could not connect to {self.base_url}") from exc
            raise ConnectionDropped(
                f"the connection to {self.base_url} broke before an answer") from exc
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"request to {self.base_url} failed: "
                                 f"{type(exc).__name__}") from exc
        if response.status_code != 200:
            raise HTTPStatusError(
                f"{self.base_url}{path} answered HTTP {response.status_code}",
                status_code=response.status_code, body=excerpt(self._read(response)))
        return response

    def _b64_credentials(self) -> dict[str, str]:
        return {"user_id": b64_field(self.user_id, self.charset),
                "secure": b64_field(self._secure_key, self.charset)}

    # -- operations -----------------------------------------------------------

    def encode_send(self, request: SendRequest) -> dict[str, str]:
        """The exact fields ``sms_sender.php`` receives (with the key: never log this)."""
        data = self._b64_credentials()
        for name, value in request.fields().items():
            try:
                if name == "destination":
                    data[name] = b64_destination(value, self.charset)
                else:
                    data[name] = b64_field(value, self.charset)
            except UnicodeEncodeError as exc:
                bad = value[exc.start:exc.end]
                raise InvalidRequest(f"{name}: {bad!r} cannot be sent as {self.charset}") from exc
        data["mode"] = b64_field("1", self.charset)
        return data

    def send(self, request: SendRequest, *, validate: bool = True) -> SendOutcome:
        """Send (or reserve, or test-send) one message.

        :returns: a :class:`SendOutcome`; ``status`` is ``unknown`` (with ``error``)
            when the request may have reached the gateway but no readable answer came.
        :raises InvalidRequest: the request breaks a gateway rule; nothing was sent.
        :raises ConnectFailed: no connection could be made; nothing was sent.
        """
        if validate:
            problems = request.problems()
            if problems:
                raise InvalidRequest("; ".join(str(p) for p in problems), problems)
        data = self.encode_send(request)
        try:
            response = self._post(SEND_PATH, data)
        except ConnectFailed:
            raise
        except TransportError as exc:
            return SendOutcome(SendStatus.UNKNOWN, error=exc)
        outcome = parse_send_answer(self._read(response))
        if outcome.error is not None:
            outcome.error.body = excerpt(outcome.error.body)
        return dataclasses.replace(outcome, raw=excerpt(outcome.raw))

    def senders(self) -> list[str]:
        """Registered, approved sender numbers (``smsSenderPhone.php``).

        :raises GatewayRefused: the gateway answered a result other than ``Success``.
        :raises TransportError: no readable answer.
        """
        response = self._post(SENDERS_PATH, {"userId": self.user_id,
                                             "passwd": self._secure_key})
        return self._parse(parse_senders, self._read(response))

    def remaining(self) -> int:
        """Remaining credits (``sms_remain.php``); one SMS costs 1, one LMS 3.

        :raises GatewayRefused: the gateway answered an error code such as ``-102``.
        :raises TransportError: no readable answer.
        """
        data = {**self._b64_credentials(), "mode": b64_field("1", self.charset)}
        response = self._post(REMAIN_PATH, data)
        return self._parse(parse_remaining, self._read(response))

    def results(self, query: ResultQuery | None = None) -> ResultPage:
        """A page of sent messages (``sms_list.php``, plain fields, UTF-8 XML).

        :raises ValueError: filters out of range (day 1–7, display 1–50, ...).
        :raises GatewayRefused: result code other than ``0000``.
        :raises TransportError: no readable answer.
        """
        query = query or ResultQuery()
        problems = query.problems()
        if problems:
            raise ValueError("; ".join(problems))
        data = {"user_id": self.user_id, "secure": self._secure_key, **query.fields()}
        response = self._post(RESULTS_PATH, data)
        raw = answer_text(response.content)
        text = self.redact(raw)
        # The XML as it came (its declaration names its encoding), unless the key was in it.
        body = response.content if text == raw else None
        return self._parse(parse_results, text, body)


__all__ = ["Cafe24Client", "Cafe24Error", "DEFAULT_BASE_URL"]
