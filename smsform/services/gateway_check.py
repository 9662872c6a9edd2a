"""The gateway check (``/gateway``): the three look-ups a send relies on, timed, each
failure sorted into what it means. Never a send.

The kinds are codes; ``smsform.messages.gateway_check_text`` words them. A failure's
answer body is logged (the key removed by the client), never handed to a page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cafe24.calls import ResultQuery
from cafe24.client import DEFAULT_BASE_URL, Cafe24Client, excerpt
from cafe24.errors import (
    Cafe24Error,
    ConnectFailed,
    ConnectionDropped,
    GatewayRefused,
    HTTPStatusError,
    ResponseTimeout,
    UnreadableResponse,
)
from smsform import logs
from smsform.services import gateway, results

log = logs.get("gateway")

AUTH_FAILED = "-102"
#: The look-ups, in the order they run: each is read-only at the gateway.
LOOKUPS = ("remaining", "senders", "results")


class Kind(StrEnum):
    """What a look-up's outcome means."""

    OK = "ok"
    NO_SENDERS = "no_senders"  # answered, but no registered sender number: nothing can go out
    AUTH = "auth"  # -102: the id or key is not accepted
    REFUSED = "refused"  # another gateway code
    CONNECT = "connect"  # no connection: refused, timed out, name or certificate
    READ_TIMEOUT = "read_timeout"  # connected, asked, no answer in time
    DROPPED = "dropped"  # the connection broke before an answer
    HTTP_STATUS = "http_status"  # an HTTP error status instead of an answer
    UNREADABLE = "unreadable"  # 200, but not the gateway's format
    TRANSPORT = "transport"  # any other failure of the exchange
    SKIPPED = "skipped"  # not asked: an earlier look-up found the gateway unreachable

    @property
    def passed(self) -> bool:
        """True when the look-up got its answer (an empty sender list is an answer)."""
        return self in (Kind.OK, Kind.NO_SENDERS)


@dataclass(frozen=True)
class Check:
    """One timed look-up and what came of it."""

    name: str  # remaining, senders or results
    kind: Kind
    ms: int
    value: int | list[str] | None = None  # credit, sender numbers, or today's messages
    code: str | None = None  # the gateway's code, when it refused
    status_code: int | None = None  # the HTTP status, when it answered one
    detail: str = ""  # the library's own words (an address, a status; never a body)


@dataclass(frozen=True)
class Report:
    """The check's findings and the settings it ran with (never the key)."""

    base_url: str
    simulated: bool
    default_base_url: bool
    user_id: str
    connect_timeout: float
    read_timeout: float
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """True when every look-up got a usable answer and a sender is registered."""
        return all(c.kind is Kind.OK for c in self.checks)


def _kind(exc: Cafe24Error) -> Kind:
    """Sort a failure by what it says about the cause."""
    if isinstance(exc, GatewayRefused):
        return Kind.AUTH if exc.code.split(",", 1)[0].strip() == AUTH_FAILED else Kind.REFUSED
    for cls, kind in ((ConnectFailed, Kind.CONNECT), (ResponseTimeout, Kind.READ_TIMEOUT),
                      (ConnectionDropped, Kind.DROPPED), (HTTPStatusError, Kind.HTTP_STATUS),
                      (UnreadableResponse, Kind.UNREADABLE)):
        if isinstance(exc, cls):
            return kind
    return Kind.TRANSPORT


def _timed(name: str, call: Callable[[], int | list[str]]) -> Check:
    """Run one look-up and time it; a failure becomes a Check, never an exception."""
    started = time.monotonic()
    try:
        value = call()
    except Cafe24Error as exc:
        ms = round((time.monotonic() - started) * 1000)
        kind = _kind(exc)
        log.warning("gateway check %s: %s (%s) in %d ms; answer excerpt %r", name, kind.value,
                    exc.message, ms, excerpt(exc.body) if exc.body else "")
        return Check(name, kind, ms, code=getattr(exc, "code", None),
                     status_code=exc.status_code, detail=exc.message)
    ms = round((time.monotonic() - started) * 1000)
    kind = Kind.NO_SENDERS if name == "senders" and not value else Kind.OK
    return Check(name, kind, ms, value=value)


#: A look-up that ends like this means the gateway is out of reach: the next ones are not
#: asked, so the page answers within one look-up's timeouts (a worker's limit is near).
_OUTAGE = (Kind.CONNECT, Kind.READ_TIMEOUT)


def _today(client: Cafe24Client) -> int:
    """Today's messages of both kinds: ``sms_list.php`` lists SMS, or LMS with ``smsType``
    lms, one kind a call (one row each, for its total)."""
    return sum(results.read(ResultQuery(display=1, lms=lms), 1, client=client).total
               for lms in (False, True))


def run() -> Report:
    """Ask the gateway for the credit, the sender numbers and today's results (SMS and
    LMS), in turn, with a page's look-up timeouts; after an outage the rest are skipped."""
    current = gateway.gateway()
    client = current.lookups or current.client
    calls: dict[str, Callable[[], int | list[str]]] = {
        "remaining": client.remaining,
        "senders": client.senders,  # not the form's cached list: ask now
        "results": lambda: _today(client),
    }
    checks: list[Check] = []
    for name in LOOKUPS:
        out_of_reach = any(c.kind in _OUTAGE for c in checks)
        checks.append(Check(name, Kind.SKIPPED, 0) if out_of_reach
                      else _timed(name, calls[name]))
    connect_timeout, read_timeout = client.timeout
    return Report(
        base_url=current.base_url, simulated=current.simulated,
        default_base_url=current.base_url == DEFAULT_BASE_URL.rstrip("/"),
        user_id=client.user_id, connect_timeout=connect_timeout,
        read_timeout=read_timeout, checks=tuple(checks))
