"""Cafe24Client: the only code that talks to the gateway, on one request path."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
import html
import http.client
import itertools
import os
import re
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from ipaddress import ip_address
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.certs import where as default_ca_bundle

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
    UnreadableResponse,
)
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    GatewaySettings,
)

USER_AGENT = "smsform-cafe24/0.1"

SEND_PATH = "/sms_sender.php"
SENDERS_PATH = "/smsSenderPhone.php"
REMAIN_PATH = "/sms_remain.php"
RESULTS_PATH = "/sms_list.php"

#: How much of a gateway's body the client keeps (in SendOutcome.raw, Cafe24Error.body).
EXCERPT_CHARS = 200
#: What stands in a kept body where the secure key was.
REDACTED = "[key removed]"
#: The longest answer the client reads (its answers are a few hundred bytes, a results
#: page a few kilobytes); a longer one is refused, so a hostile gateway cannot fill memory.
MAX_ANSWER_BYTES = 1024 * 1024
# How much of an answer without an announced length is read at a time.
_CHUNK_BYTES = 65536
#: Idle kept-alive connections a client holds (as many threads call it at once).
POOL_SIZE = 10
# The connect retries' backoff factor, as urllib3 counts it (0, 0.2, 0.4 s ...).
_BACKOFF = 0.1
# What a base URL may not hold: it is written into every request's head.
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
# Shorter pieces of the key's Base64 would match ordinary text.
_MIN_FORM_CHARS = 6
# What quoting and escaping never change.
_ANCHOR = re.compile(r"[A-Za-z0-9]+")

_T = TypeVar("_T")


def _hidden_forms(secret: str, charset: str) -> tuple[re.Pattern[str], tuple[str, ...] | None]:
    """A pattern for every form of ``secret`` that a body echoing a request can hold: as it
    is, its Base64 (both alphabets, also inside a longer Base64 text), each of those
    URL-quoted (any hex case), JSON-escaped or HTML-escaped; and the anchors: a text that
    holds none of them holds no form (None when some form has no anchor)."""
    forms: set[str] = set()
    anchors: set[str] | None = set()
    for form in encoded_forms(secret, (charset, "utf-8")):
        variants = {form, quote(form, safe=""), quote_plus(form), form.replace("/", "\\/"),
                    html.escape(form)}
        if len(form) >= _MIN_FORM_CHARS or form == secret:
            forms |= variants
            # Quoting and escaping leave ASCII letters and digits as they are: each variant
            # holds the form's longest run of them.
            run = max(_ANCHOR.findall(form), key=len, default="")
            if anchors is not None and run:
                anchors.add(run)
            else:
                anchors = None
        else:
            forms |= {v for v in variants if len(v) >= _MIN_FORM_CHARS}
    parts = [re.sub(r"%([0-9A-Fa-f]{2})", r"%(?i:\1)", re.escape(form))
             for form in sorted(forms, key=len, reverse=True)
             if len(form) >= _MIN_FORM_CHARS or form == secret]
    if anchors is not None:  # a run that holds another is implied by it
        anchors = {a for a in anchors if not any(b != a and b in a for b in anchors)}
    return re.compile("|".join(parts)), None if anchors is None else tuple(sorted(anchors))


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


class _AnswerDeadline:
    """The time one call's answer (headers and body) may take, counted from when its
    request has been sent.

    A socket read's own timeout restarts with every byte, so a gateway that trickles its
    answer never lets it expire. When the time is up, the process's watchdog shuts the
    connection's socket down, which ends any read waiting on it at once (headers or body).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at: float | None = None
        self.stopped = False
        self._expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def start(self, sock: socket.socket | None = None) -> None:
        """Start counting now (only the first call counts), watching ``sock`` if given."""
        with self._lock:
            if self.ends_at is not None or self.stopped:
                return
            self.ends_at = time.monotonic() + self.seconds
            # The socket object itself: once the connection closes it, its descriptor is
            # -1 and a shutdown fails harmlessly; it never reaches a reused descriptor.
            self._socket = sock
        if sock is not None:
            _WATCHDOG.watch(self)

    def expire(self) -> None:
        """The time is up: shut the socket down, unless the call has already ended."""
        with self._lock:
            if self.stopped or self._socket is None:
                return
            self._expired = True
            with contextlib.suppress(OSError):  # closed already, or the peer went first
                self._socket.shutdown(socket.SHUT_RDWR)

    def passed(self) -> bool:
        """True once the time is up, even if the watchdog has not acted yet."""
        return self._expired or (self.ends_at is not None
                                 and time.monotonic() >= self.ends_at)

    def stop(self) -> bool:
        """End the watch: from now on nothing touches the socket. Safe to call again.

        :returns: True when the time ran out and the socket was shut down, so what was
            read may be cut short.
        """
        with self._lock:
            self.stopped = True
            self._socket = None
            return self._expired


class _Watchdog:
    """One thread for every call's deadline in the process: it sleeps until the earliest
    one and expires it (a timer thread per call cost more than a loopback call itself)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _AnswerDeadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _AnswerDeadline) -> None:
        """Expire ``deadline`` at its time unless it is stopped first."""
        assert deadline.ends_at is not None
        with self._wake:
            heapq.heappush(self._due, (deadline.ends_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cafe24-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._due[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][2].stopped:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                ends_at, _order, deadline = self._due[0]
                now = time.monotonic()
                if now < ends_at:
                    self._wake.wait(ends_at - now)
                    continue
                heapq.heappop(self._due)
                deadline.expire()


    def forget(self) -> None:
        """Start afresh in a forked child: the parent's deadlines and its watchdog's lock
        are not the child's (its calls, and the connections they use, are the parent's)."""
        self._due = []
        self._wake = threading.Condition()
        self._thread = None


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG.forget)


class _Pool:
    """A client's idle kept-alive connections (at most ``POOL_SIZE``), shared by the
    threads that use the client: each call takes one for itself, or connects afresh, and
    gives it back only once its answer was read whole and its deadline stopped."""

    def __init__(self) -> None:
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()
        _POOLS.add(self)

    def take(self) -> socket.socket | None:
        """The most recently used idle connection still open, or None."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                sock = self._idle.pop()
            if not _dropped(sock):
                return sock
            sock.close()

    def give(self, sock: socket.socket) -> None:
        """Keep ``sock`` for the next call (closed when the pool is full)."""
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        """Close every idle connection (one in use is closed when its call gives it back
        to a full pool, or kept: the client stays usable after ``close``)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()

    def forget(self) -> None:
        """In a forked child: the parent's connections are the parent's. Writing into one
        would mix two processes' requests on one connection; closing the child's copy of
        the descriptor is harmless (the parent's stays open), shutting it down is not."""
        self._idle = []
        self._lock = threading.Lock()


#: Every client's pool, so that a forked child forgets them all.
_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()


def _forget_pools() -> None:
    for pool in list(_POOLS):
        pool.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def _dropped(sock: socket.socket) -> bool:
    """True when an idle kept connection can no longer carry a request: the gateway
    closed it (or a deadline shut it down), or it holds bytes nobody asked for."""
    if sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


#: The most header lines of an answer, and the longest line (http.client's limits).
_MAX_HEADERS = 100
_MAX_LINE = 65536


class _HeaderFields(dict[str, str]):
    """An answer's header fields by lower-case name, the first of each name (as
    ``email.message.Message.get`` reads them): all ``http.client.HTTPResponse`` asks of
    its headers while it reads the body (a list page's answer is parsed 2,000 times a
    sync; ``email``'s parser was most of the client's CPU a call)."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    @classmethod
    def read(cls, fp: Any) -> _HeaderFields:
        """The header block from ``fp`` up to its blank line; continuation lines join the
        field before them, a line that is no field is skipped.

        :raises http.client.LineTooLong: a line over 64 KiB.
        :raises http.client.HTTPException: more than 100 lines.
        """
        fields = cls()
        last: str | None = None
        for _ in range(_MAX_HEADERS + 1):
            line = fp.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                raise http.client.LineTooLong("header line")
            if line in (b"\r\n", b"\n", b""):
                return fields
            text = line.decode("iso-8859-1")
            if text[0] in " \t" and last is not None:  # folded onto the field before
                fields[last] = f"{fields[last]} {text.strip()}".strip()
                continue
            name, colon, value = text.partition(":")
            if not colon:
                continue
            last = name.strip().lower()
            if last in fields:
                last = None  # the first of a name is the one read
                continue
            fields[last] = value.strip()
        raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")


class _Answer(http.client.HTTPResponse):
    """``http.client``'s reader of an answer (status line, lengths, chunks, when the
    connection closes: all its own), with the header block read by ``_HeaderFields``."""

    def begin(self) -> None:
        """``http.client.HTTPResponse.begin`` of Python 3.11, but for the header parser."""
        if self.headers is not None:
            return
        while True:  # until an answer that is not "100 Continue"
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _HeaderFields.read(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _HeaderFields.read(self.fp)
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding and encoding.lower() == "chunked")
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = self._length(status)
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def _length(self, status: int) -> int | None:
        """The body's announced length (None: chunked, or until the connection closes)."""
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or 100 <= status < 200:
            return 0
        length = self.headers.get("content-length")
        if not length or self.chunked:
            return None
        try:
            value = int(length)
        except ValueError:
            return None
        return value if value >= 0 else None


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificates and host names checked, against ``ca_file`` or the bundle requests
    trusts (certifi's), never a bundle named by the environment."""
    return ssl.create_default_context(cafile=ca_file or default_ca_bundle())


#: What a form body is sent as (``form_body`` writes it).
_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
#: A value of Base64's two alphabets (every send field, the destination's too): only four
#: of its characters need escaping, so it is escaped by four replaces, not byte by byte.
_BASE64_VALUE = re.compile(r"[A-Za-z0-9+/=,\-]*")


def _form_value(value: str) -> str:
    if _BASE64_VALUE.fullmatch(value):
        return (value.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
                .replace(",", "%2C"))
    return quote_plus(value)


def form_body(data: Mapping[str, str]) -> bytes:
    """The fields as ``application/x-www-form-urlencoded`` bytes, exactly as
    ``urllib.parse.urlencode`` writes them; a Base64 value (a 999-recipient destination is
    some 40 kB) in a few passes instead of one Python step per byte."""
    return "&".join(f"{quote_plus(name)}={_form_value(value)}"
                    for name, value in data.items()).encode("ascii")


@dataclasses.dataclass(frozen=True, eq=False)
class PreparedSend:
    """A send's form body encoded ahead of its call (``Cafe24Client.prepare_send``). It
    holds the key: its repr shows neither the body nor the client."""

    request: SendRequest
    client: Cafe24Client = dataclasses.field(repr=False)
    body: bytes = dataclasses.field(repr=False)


class Cafe24Client:
    """A typed client of the Cafe24 SMS hosting gateway.

    Over the network it speaks HTTP/1.1 itself, on kept-alive connections of its own (one
    per thread that calls at once; ``http.client`` reads the answers): no proxy or CA
    bundle from the environment, TLS certificates and host names checked. Connecting is
    retried (nothing has left yet); a request that may have reached the gateway never is.
    The whole answer of a call must come within the read timeout of its request having
    been sent, however the gateway paces it, and may be at most ``MAX_ANSWER_BYTES`` long.
    Safe to share between threads; a forked child makes connections of its own.
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
        ca_file: str | None = None,
        keep_alive: bool = True,
        transport: BaseAdapter | None = None,
    ) -> None:
        """Build a client.

        :param user_id: the SMS account id (``user_id``).
        :param secure_key: the key issued with the service (``secure``).
        :param base_url: gateway root; plain ``http`` only for loopback or ``allow_http``.
        :param charset: ``utf-8`` or ``euc-kr``, the bytes that are Base64-encoded.
        :param connect_retries: connection attempts after a failed one (a TCP connect
            refused, unreachable or timed out; nothing has been sent).
        :param ca_file: the certificates to trust instead of certifi's bundle.
        :param keep_alive: False asks the gateway to close the connection after every
            answer (``Connection: close``), so each call connects afresh.
        :param transport: a requests adapter to use instead of the network
            (the simulator's ``simulator.in_process_transport(backend)`` in tests).
        :raises ConfigurationError: missing credentials, bad URL or charset.
        """
        if not user_id or not secure_key:
            raise ConfigurationError("user_id and secure_key are both required")
        url = urlsplit(base_url)
        try:
            port = url.port
        except ValueError as exc:
            raise ConfigurationError(f"base_url has no usable port: {base_url!r}") from exc
        if (url.scheme not in ("http", "https") or not url.hostname
                or _UNSAFE_URL.search(base_url)):
            raise ConfigurationError(f"base_url must be an http(s) URL, not {base_url!r}")
        if url.username is not None or url.query or url.fragment:
            raise ConfigurationError(
                "base_url must name the gateway only (no user, query or fragment)")
        try:
            hostname = url.hostname.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ConfigurationError(f"base_url's host is not a host name: {base_url!r}") from exc
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
        self._key_forms, self._key_anchors = _hidden_forms(secure_key, self.charset)
        # The anchors as bytes: an answer decodes as UTF-8 or CP949, where an ASCII letter
        # or digit of the text is that byte of the answer, so an answer without them
        # holds no form of the key, decoded or not.
        self._key_anchor_bytes = None if self._key_anchors is None else tuple(
            anchor.encode("ascii") for anchor in self._key_anchors)
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._connect_retries = max(0, connect_retries)
        self._tls = url.scheme == "https"
        self._ca_file = ca_file
        self._host = hostname
        self._address = (hostname, port or (443 if self._tls else 80))
        host = f"[{hostname}]" if ":" in hostname else hostname
        if port is not None and port != (443 if self._tls else 80):
            host += f":{port}"
        self._prefix = quote(url.path.rstrip("/"), safe="/%:@!$&'()*+,;=-._~")
        # Every request's head but its path and length: written once, not per call.
        self._head_fields = (f"Host: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n"
                             "Content-Type: application/x-www-form-urlencoded\r\n"
                             + ("" if keep_alive else "Connection: close\r\n")
                             + "Content-Length: ").encode("ascii")
        self._pool = _Pool()
        self._session: requests.Session | None = None
        if transport is not None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = USER_AGENT
            self._session.trust_env = False
            self._session.mount(self.base_url + "/", transport)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: Any) -> Cafe24Client:
        """Build from the ``CAFE24_SMS_*`` settings (``USER_ID``, ``SECURE_KEY``,
        ``BASE_URL``, ``CHARSET``, ``CONNECT_TIMEOUT``, ``READ_TIMEOUT``, ``ALLOW_HTTP``),
        parsed by ``cafe24.settings`` as the app parses them.

        :raises ConfigurationError: a value is malformed, or the id or key is missing
            (``SettingError`` naming the variable).
        """
        env = os.environ if environ is None else environ
        settings = GatewaySettings.from_env(env).require_account()
        kwargs: dict[str, Any] = {
            "base_url": settings.base_url, "charset": settings.charset,
            "connect_timeout": settings.connect_timeout, "read_timeout": settings.read_timeout,
            "allow_http": settings.allow_http, **overrides}
        return cls(settings.user_id, settings.secure_key, **kwargs)

    def __repr__(self) -> str:
        return f"Cafe24Client(user_id={self.user_id!r}, base_url={self.base_url!r}, key=***)"

    def close(self) -> None:
        """Close pooled connections (the client stays usable: a later call connects)."""
        self._pool.close()
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> Cafe24Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one request path -------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every form of the secure key replaced by ``REDACTED`` (a text
        without any of the forms' anchors is not searched: a results page is 30 kB)."""
        anchors = self._key_anchors
        if anchors is not None and not any(anchor in text for anchor in anchors):
            return text
        return self._key_forms.sub(REDACTED, text)

    def _read(self, body: bytes) -> str:
        """The answer as text, the key removed (a proxy or a broken gateway may echo it)."""
        return self.redact(answer_text(body))

    @staticmethod
    def _parse(parse: Callable[[Any], _T], text: str, body: str | bytes | None = None) -> _T:
        """Parse an answer (``body``, else ``text``); an error keeps only an excerpt of the
        redacted ``text``."""
        try:
            return parse(text if body is None else body)
        except Cafe24Error as exc:
            exc.body = excerpt(exc.body or text)
            raise

    def _timed_out(self) -> ResponseTimeout:
        """The error for an answer that was not whole within the read timeout."""
        return ResponseTimeout(
            f"no complete answer from {self.base_url} within {self.timeout[1]:g} s")

    def _dropped(self) -> ConnectionDropped:
        """The error for a connection that broke after the request may have left."""
        return ConnectionDropped(f"the connection to {self.base_url} broke before an answer")

    def _post(self, path: str, data: Mapping[str, str] | bytes,
              sent: Callable[[], object] | None = None) -> bytes:
        """POST form fields (or their encoded body) and return the body of a 200 answer;
        ``sent`` is called once the request has been written (see ``send``).

        :raises ResponseTimeout: no complete answer in time (the connection is closed).
        :raises UnreadableResponse: an answer over ``MAX_ANSWER_BYTES``.
        :raises TransportError: any other failure, as a typed subclass.
        """
        encoded = data if isinstance(data, bytes) else form_body(data)
        if self._session is None:
            status, body = self._exchange(path, encoded, sent)
        else:
            if sent is not None:  # the adapter answers within its call
                sent()
            status, body = self._adapter_exchange(path, encoded)
        if status != 200:
            raise HTTPStatusError(f"{self.base_url}{path} answered HTTP {status}",
                                  status_code=status, body=excerpt(self._read(body)))
        if len(body) > MAX_ANSWER_BYTES:
            raise UnreadableResponse(
                f"{self.base_url}{path} answered more than {MAX_ANSWER_BYTES} bytes",
                body=excerpt(self._read(body[:MAX_ANSWER_BYTES])))
        return body

    # -- the network: one HTTP/1.1 exchange on a kept connection ----------------------

    def _connect(self) -> socket.socket:
        """A new connection, TLS checked when https; a refused, unreachable or timed-out
        TCP connect is tried again ``connect_retries`` times (backoff 0, 0.2, 0.4 s … as
        urllib3's 0.1 factor), a failed TLS handshake never (nothing was sent either way).

        :raises ConnectFailed: no connection.
        """
        failure: ConnectFailed | None = None
        for attempt in range(1 + self._connect_retries):
            if attempt > 1:
                time.sleep(_BACKOFF * 2 ** (attempt - 1))
            try:
                sock = socket.create_connection(self._address, timeout=self.timeout[0])
            except TimeoutError as exc:
                failure = ConnectFailed(f"connecting to {self.base_url} timed out")
                failure.__cause__ = exc
                continue
            except OSError as exc:  # refused, unreachable, no such host
                failure = ConnectFailed(f"could not connect to {self.base_url}")
                failure.__cause__ = exc
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._tls:  # the handshake's reads have the connect timeout
                    sock = _tls_context(self._ca_file).wrap_socket(
                        sock, server_hostname=self._host)
                sock.settimeout(self.timeout[1])
            except BaseException as exc:
                sock.close()
                if isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
                    raise ConnectFailed(
                        f"the certificate of {self.base_url} is not trusted") from exc
                if isinstance(exc, TimeoutError):
                    raise ConnectFailed(f"connecting to {self.base_url} timed out") from exc
                if isinstance(exc, OSError):  # ssl.SSLError is one
                    raise ConnectFailed(f"the TLS handshake with {self.base_url} failed") from exc
                raise
            return sock
        assert failure is not None
        raise failure

    def _exchange(self, path: str, body: bytes,
                  sent: Callable[[], object] | None = None) -> tuple[int, bytes]:
        """One POST on a kept connection (or a new one): the answer's status and body.

        The request goes out in one write; from then on ``_AnswerDeadline`` bounds the
        whole answer. A connection goes back to the pool only when its answer was read to
        its end, the gateway keeps it open, and its deadline was stopped before it fired.
        Errors after the request was written carry no cause: an exception of http.client
        may hold the bytes the gateway sent, and those may echo the key.
        """
        sock = self._pool.take() or self._connect()
        request = b"".join((b"POST ", (self._prefix + path).encode("ascii"), b" HTTP/1.1\r\n",
                            self._head_fields, str(len(body)).encode("ascii"), b"\r\n\r\n",
                            body))
        deadline = _AnswerDeadline(self.timeout[1])
        answer: http.client.HTTPResponse | None = None
        failure: TransportError | None = None
        status, content, reusable = 0, b"", False
        try:
            sock.sendall(request)
            deadline.start(sock)
            if sent is not None:
                sent()
            answer = _Answer(sock, method="POST")
            answer.begin()
            status = answer.status
            content = self._body(answer, deadline)
            reusable = not answer.will_close and answer.isclosed()
        except TimeoutError:
            failure = self._timed_out()
        except ssl.SSLError:
            failure = ConnectionDropped(f"TLS error talking to {self.base_url}")
        except (OSError, http.client.HTTPException, ValueError):
            failure = self._dropped()
        except BaseException:
            deadline.stop()
            sock.close()
            raise
        if deadline.stop():  # the deadline cut the answer off: that is what failed
            failure, reusable = self._timed_out(), False
        if answer is not None and not answer.isclosed():
            answer.close()
        if failure is not None or not reusable:
            sock.close()
        else:
            self._pool.give(sock)
        if failure is not None:
            raise failure
        return status, content

    def _body(self, answer: http.client.HTTPResponse, deadline: _AnswerDeadline) -> bytes:
        """The body, read while ``deadline`` lasts; at most one byte over
        ``MAX_ANSWER_BYTES`` (enough to tell that it is too long)."""
        if answer.length is not None and answer.length <= MAX_ANSWER_BYTES:
            return answer.read()  # a trickle is cut off by the deadline's watchdog
        body = bytearray()
        while chunk := answer.read(_CHUNK_BYTES):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                return bytes(body[:MAX_ANSWER_BYTES + 1])
            if deadline.passed():
                raise TimeoutError
        return bytes(body)

    # -- an injected requests adapter (the in-process simulator) ------------------------

    def _adapter_exchange(self, path: str, body: bytes) -> tuple[int, bytes]:
        """One POST through the injected adapter: its answer is in memory already."""
        assert self._session is not None
        try:
            response = self._session.post(self.base_url + path, data=body,
                                          headers=_FORM_HEADERS, timeout=self.timeout,
                                          allow_redirects=False)
            return response.status_code, response.content[:MAX_ANSWER_BYTES + 1]
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(exc) from exc

    def _transport_error(self, exc: requests.exceptions.RequestException) -> TransportError:
        """The typed error for a failure of requests (an injected adapter's)."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return ConnectFailed(f"connecting to {self.base_url} timed out")
        if isinstance(exc, requests.exceptions.SSLError):
            if _certificate_refused(exc):  # refused during the handshake: nothing left
                return ConnectFailed(f"the certificate of {self.base_url} is not trusted")
            return ConnectionDropped(f"TLS error talking to {self.base_url}")
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return self._timed_out()
        if isinstance(exc, requests.exceptions.ConnectionError):
            return self._dropped()
        return TransportError(f"request to {self.base_url} failed: {type(exc).__name__}")

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

    def prepare_send(self, request: SendRequest) -> PreparedSend:
        """``request``'s form body encoded now, for a ``send`` of it later (a bulk worker
        encodes its next batch's while the one before waits on the gateway).

        :raises InvalidRequest: a field this charset cannot carry.
        """
        return PreparedSend(request, self, form_body(self.encode_send(request)))

    def send(self, request: SendRequest, *, validate: bool = True,
             sent: Callable[[], object] | None = None,
             prepared: PreparedSend | None = None) -> SendOutcome:
        """Send (or reserve, or test-send) one message. ``sent`` is called once the
        request has been written, while the answer is awaited (work to do beside the call
        that should not hold up the request); never when no request left. ``prepared``
        (``prepare_send``) is used when it is this request's and this client's.

        :returns: a :class:`SendOutcome`; ``status`` is ``unknown`` (with ``error``)
            when the request may have reached the gateway but no readable answer came.
        :raises InvalidRequest: the request breaks a gateway rule; nothing was sent.
        :raises ConnectFailed: no connection could be made; nothing was sent.
        """
        if validate:
            problems = request.problems()
            if problems:
                raise InvalidRequest("; ".join(str(p) for p in problems), problems)
        data: dict[str, str] | bytes
        if prepared is not None and prepared.request is request and prepared.client is self:
            data = prepared.body
        else:
            data = self.encode_send(request)
        try:
            body = self._post(SEND_PATH, data, sent)
        except ConnectFailed:
            raise
        except TransportError as exc:
            return SendOutcome(SendStatus.UNKNOWN, error=exc)
        outcome = parse_send_answer(self._read(body))
        if outcome.error is not None:
            outcome.error.body = excerpt(outcome.error.body)
        return dataclasses.replace(outcome, raw=excerpt(outcome.raw))

    def senders(self) -> list[str]:
        """Registered, approved sender numbers (``smsSenderPhone.php``).

        :raises GatewayRefused: the gateway answered a result other than ``Success``.
        :raises TransportError: no readable answer.
        """
        body = self._post(SENDERS_PATH, {"userId": self.user_id, "passwd": self._secure_key})
        return self._parse(parse_senders, self._read(body))

    def remaining(self) -> int:
        """Remaining credits (``sms_remain.php``); one SMS costs 1, one LMS 3.

        :raises GatewayRefused: the gateway answered an error code such as ``-102``.
        :raises TransportError: no readable answer.
        """
        data = {**self._b64_credentials(), "mode": b64_field("1", self.charset)}
        body = self._post(REMAIN_PATH, data)
        return self._parse(parse_remaining, self._read(body))

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
        body = self._post(RESULTS_PATH, data)
        if self._key_anchor_bytes is not None and not any(
                anchor in body for anchor in self._key_anchor_bytes):
            # No form of the key can be in it: the XML as it came (its declaration names
            # its encoding), decoded only for an error's excerpt.
            try:
                return parse_results(body)
            except Cafe24Error as exc:
                exc.body = excerpt(exc.body or answer_text(body))
                raise
        raw = answer_text(body)
        text = self.redact(raw)
        # The XML as it came, unless the key was in it.
        return self._parse(parse_results, text, body if text == raw else None)


__all__ = ["DEFAULT_BASE_URL", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_READ_TIMEOUT", "Cafe24Client",
           "Cafe24Error"]
