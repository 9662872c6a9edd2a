"""Sign-in throttling on the ``limits`` library's storage: failed sign-ins counted per name and
address; ``request_wait``, the one request counter of the API's tokens (and their users) and
the relay's sites; and wrong credentials (API token secrets, relay keys) counted per address
(``credential_wait``, ``credential_refused``).

Only failures are counted (a right password costs nothing); once a user name has
``NAME_FAILURES`` or an address ``ADDRESS_FAILURES`` within the window, every further
attempt, even with the right password, waits until the oldest failure leaves the window.
A name is counted whether or not it exists, so the answers never tell which names do.
Counts live in memory by default, or in Redis (``SMSFORM_RATELIMIT_STORAGE``) so that
several processes share them; should Redis be unreachable, counting goes on in memory.

No route has a limit of its own, so nothing is checked on every request (there is no
``before_request`` hook): the sign-in view, the API and the relay ask when they count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from smsform import logs
from smsform.services import audit

#: Failed sign-ins allowed for one user name, and from one address, in a moving window.
NAME_FAILURES = parse("10 per 15 minutes")
ADDRESS_FAILURES = parse("30 per 15 minutes")
#: Refused attempts audited per name and address (the first of each window).
REFUSAL_AUDITED = parse("1 per 15 minutes")
#: Wrong API token secrets and relay keys allowed from one address in a moving window;
#: past them the address waits (429, Retry-After), even with a right one, as for sign-ins.
CREDENTIAL_FAILURES = parse("20 per 15 minutes")
#: Each kind of wrong credential, and what its first failure of a window is audited as.
CREDENTIAL_KINDS = {"api_token": "api_token_refused", "relay_key": "relay_key_refused"}
EXTENSION = "smsform.limiter"
_log = logs.get("auth")
_credential_log = logs.get("credentials")
T = TypeVar("T")


def name_key(username: str) -> str:
    """The counter's key for a typed user name (trimmed, case-folded, bounded)."""
    return username.strip().casefold()[:64] or "-"


class SweptMemoryStorage(MemoryStorage):
    """``limits``' memory storage without its expiry timer thread.

    The stock storage starts a ``threading.Timer`` (10 ms) on a hit whenever the last one
    has finished, so a request every 10 ms or more started a thread each time: about a
    tenth of an API send's own CPU. Expired entries are already ignored when counted
    (the moving window compares times); here they are swept from memory inline, at most
    once per ``SWEEP_SECONDS``.
    """

    STORAGE_SCHEME = ["smsform-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: str) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self._swept = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides a private name
        now = time.time()
        if now - self._swept >= self.SWEEP_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def storage(uri: str) -> Storage:
    """The counters' storage for ``SMSFORM_RATELIMIT_STORAGE``: memory (without a timer
    thread) or Redis, whose failures are raised as ``StorageError``."""
    if uri.partition("://")[0].lower() == "memory":
        return SweptMemoryStorage()
    found = storage_from_string(uri, wrap_exceptions=True)
    if not isinstance(found, Storage):  # the counters call their storage synchronously
        scheme = uri.partition(":")[0]
        raise ValueError(f"an asynchronous storage cannot hold the counters: {scheme}")
    return found


class SignInThrottle:
    """Counts failed sign-ins and says how long a further attempt has to wait."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._fallback: RateLimiter | None = None

    def _windows(self, username: str, address: str | None
                 ) -> tuple[tuple[RateLimitItem, str, str], ...]:
        return ((NAME_FAILURES, "smsform-sign-in-name", name_key(username)),
                (ADDRESS_FAILURES, "smsform-sign-in-address", address or "-"))

    def run(self, step: Callable[[RateLimiter], T]) -> T:
        """Run ``step`` on the configured storage, or in memory when it cannot be reached
        (also for ``request_wait``'s counts)."""
        if self._fallback is None:
            try:
                return step(self.limiter)
            except StorageError:
                _log.error("sign-in throttle storage unreachable; counting in memory instead")
                self._fallback = MovingWindowRateLimiter(SweptMemoryStorage())
        return step(self._fallback)

    def wait_seconds(self, username: str, address: str | None) -> int:
        """0 when a sign-in may be tried now, else the whole seconds until it may."""
        def longest_wait(limiter: RateLimiter) -> int:
            wait = 0
            for item, *keys in self._windows(username, address):
                if not limiter.test(item, *keys):
                    reset = limiter.get_window_stats(item, *keys).reset_time
                    wait = max(wait, math.ceil(reset - time.time()), 1)
            return wait

        return self.run(longest_wait)

    def failed(self, username: str, address: str | None) -> None:
        """Count one failed attempt against the name and the address."""
        def count(limiter: RateLimiter) -> None:
            for item, *keys in self._windows(username, address):
                limiter.hit(item, *keys)

        self.run(count)

    def first_refusal(self, username: str, address: str | None) -> bool:
        """True for the first refused attempt of a name from an address in a window: only
        that one is audited (a flood of refusals would flood the trail and the database)."""
        keys = ("smsform-sign-in-refused", name_key(username), address or "-")
        return self.run(lambda s: s.hit(REFUSAL_AUDITED, *keys))

    def clear(self, username: str) -> None:
        """Forget the name's failures (it signed in with the right password)."""
        item, *keys = self._windows(username, None)[0]
        self.run(lambda s: s.clear(item, *keys))


def throttle() -> SignInThrottle:
    """The current app's sign-in throttle."""
    # the app itself: read through the proxy, 0.8 µs a call (three a token's request)
    app = current_app._get_current_object()  # type: ignore[attr-defined] # noqa: SLF001
    return app.extensions[EXTENSION]


@cache
def _limit(text: str) -> RateLimitItem:
    return parse(text)


def request_wait(limit: str, *keys: str) -> int:
    """Count one request against ``limit`` (``"60/minute"``) for ``keys``: 0 when it is
    within the limit, else the whole seconds until another may be made. On the sign-in
    throttle's storage, so also in memory when Redis cannot be reached."""
    item = _limit(limit)
    counted = throttle().run  # the same storage and fallback
    if counted(lambda s: s.hit(item, *keys)):
        return 0
    reset = counted(lambda s: s.get_window_stats(item, *keys)).reset_time
    return max(1, math.ceil(reset - time.time()))


def credential_wait(kind: str, address: str | None) -> int:
    """0 when ``address`` may present a ``kind`` credential now (``api_token``,
    ``relay_key``), else the whole seconds until it may (too many wrong ones lately)."""
    keys = ("smsform-credential-failures", kind, address or "-")
    run = throttle().run
    if run(lambda s: s.test(CREDENTIAL_FAILURES, *keys)):
        return 0
    reset = run(lambda s: s.get_window_stats(CREDENTIAL_FAILURES, *keys)).reset_time
    return max(1, math.ceil(reset - time.time()))


def credential_refused(kind: str, address: str | None, what: str) -> None:
    """Count one wrong ``kind`` credential from ``address`` and log it (``what`` names the
    credential by its public part only, never its secret); the first of a window is also
    audited, so a flood neither floods the trail nor goes unseen."""
    keys = ("smsform-credential-failures", kind, address or "-")
    run = throttle().run
    run(lambda s: s.hit(CREDENTIAL_FAILURES, *keys))
    _credential_log.warning("%s refused from %s (%s)", kind, address or "-", what)
    if run(lambda s: s.hit(REFUSAL_AUDITED, "smsform-credential-audited", kind,
                           address or "-")):
        audit.record(CREDENTIAL_KINDS[kind], actor="-", address=address,
                     detail={"credential": what})


def init_app(app: Flask) -> None:
    """Give ``app`` its own counters (moving windows on the configured storage) and the
    sign-in throttle on them."""
    settings = app.extensions["smsform.settings"]
    limiter = MovingWindowRateLimiter(storage(settings.ratelimit_storage))
    app.extensions[EXTENSION] = SignInThrottle(limiter)
