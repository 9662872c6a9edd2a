"""The app's one gateway client: the embedded simulator by default, Cafe24 when configured.

The embedded simulator keeps its state (credit, sender numbers, results, reservations) in
the ``simulator_state`` table, so a demo behaves like an account across restarts and
across the server's processes: each call first takes a newer saved state if another
process wrote one, and a send saves the state after it. ``reset_simulator_state`` (the
``flask --app app simulator-reset`` command) puts the demo account back as new.
``standalone_simulator`` serves one on a socket of its own (``flask --app app simulator``).
This is the app's only module that imports the simulator.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cafe24.answers import ResultPage, SendOutcome
from cafe24.calls import ResultQuery, SendRequest
from cafe24.client import Cafe24Client, PreparedSend
from cafe24.errors import ConnectFailed, ResponseTimeout, TransportError
from config import GatewaySettings
from simulator import (
    DEMO_SECURE_KEY,
    DEMO_USER_ID,
    SIMULATOR_BASE_URL,
    GatewayBackend,
    demo_backend,
    in_process_transport,
)
from smsform import logs
from smsform.extensions import db
from smsform.models import SimulatorState, utcnow

if TYPE_CHECKING:
    from simulator.server import SimulatorServer

EXTENSION = "smsform.gateway"
log = logs.get("gateway")

SENDERS_TTL = 60.0  # seconds; registered numbers change rarely, forms open often
# A page's look-up (the credit on the dashboard, the form's sender numbers) waits at most
# this long: a send must wait for its answer, a page must not hang on an outage.
LOOKUP_CONNECT_TIMEOUT = 3.0
LOOKUP_READ_TIMEOUT = 5.0
# After a look-up found the gateway unreachable, pages say so at once for this long
# instead of each waiting for the timeouts again (the /gateway check always asks).
OUTAGE_MEMORY = 20.0
# What counts as unreachable: no connection, or no answer in time. A gateway that answers,
# even with an error status or a refusal code, is asked again by the next page.
OUTAGES = (ConnectFailed, ResponseTimeout)
_T = TypeVar("_T")
STATE_ROW = 1  # the simulator_state row that holds the embedded simulator's state
_state = SimulatorState.__table__


@dataclass
class Gateway:
    """The configured client, and the simulator behind it when there is one."""

    client: Cafe24Client
    backend: GatewayBackend | None
    lookups: Cafe24Client | None = None  # shorter timeouts for pages; None: ``client``
    clock: Callable[[], float] = time.monotonic
    _senders: tuple[float, list[str]] | None = field(default=None, repr=False)
    _outage: tuple[float, TransportError] | None = field(default=None, repr=False)
    #: The last credit a look-up of this process was told, and when (UTC, naive).
    last_credit: tuple[datetime, int] | None = field(default=None, repr=False)

    @property
    def simulated(self) -> bool:
        """True when messages go to the embedded simulator, not to Cafe24."""
        return self.backend is not None

    @property
    def base_url(self) -> str:
        """Where the client sends its requests (the simulator's made-up address when simulated)."""
        return self.client.base_url

    def senders(self) -> list[str]:
        """Registered sender numbers, asked of the gateway at most once a minute (a page's
        look-up: see ``look_up``)."""
        cached = self._senders
        if cached is not None and self.clock() - cached[0] < SENDERS_TTL:
            return list(cached[1])
        numbers = self.look_up(lambda client: client.senders())  # failures are not cached
        self._senders = (self.clock(), numbers)
        return list(numbers)

    def remaining(self) -> int:
        """The remaining credit, for a page (see ``look_up``)."""
        remaining = self.look_up(lambda client: client.remaining())
        self.last_credit = (utcnow(), remaining)
        return remaining

    def look_up(self, ask: Callable[[Cafe24Client], _T]) -> _T:
        """Ask the gateway for a page: with the look-up timeouts, and when a look-up found it
        unreachable (``OUTAGES``) less than ``OUTAGE_MEMORY`` seconds ago, raise that
        failure again at once. An answer, even a refusal code or an HTTP error, is never
        remembered."""
        outage = self._outage
        if outage is not None and self.clock() - outage[0] < OUTAGE_MEMORY:
            raise copy.copy(outage[1])  # a fresh one: pages in other threads raise it too
        try:
            answer = ask(self.lookups or self.client)
        except OUTAGES as exc:
            self._outage = (self.clock(), exc)
            raise
        self._outage = None
        return answer


class SimulatorStore:
    """The embedded simulator's state in the database: taken when another process saved a
    newer one, saved after each send. A missing table (before ``upgrade-db``) or an
    unreadable row is logged and skipped: the simulator then runs on what it has."""

    def __init__(self, backend: GatewayBackend) -> None:
        self.backend = backend
        self.lock = threading.RLock()  # one call at a time: a load never lands mid-send
        self._seen: datetime | None = None  # the saved state's time this process holds

    def load_if_newer(self) -> None:
        """Take the saved state when it is not the one this process last loaded or wrote."""
        try:
            with db.engine.connect() as connection:
                row = connection.execute(select(_state.c.updated_at, _state.c.state)
                                         .where(_state.c.id == STATE_ROW)).first()
        except SQLAlchemyError as exc:
            log.debug("simulator state not loaded: %s", type(exc).__name__)
            return
        if row is None:
            if self._seen is not None:  # the row was deleted (a reset by SQL): start anew
                self.backend.restore(demo_backend().snapshot())
                self._seen = None
            return
        if row.updated_at == self._seen:
            return
        try:
            self.backend.restore(json.loads(row.state))
        except ValueError as exc:
            log.warning("simulator state not loaded: %s", exc)
            return
        self._seen = row.updated_at

    def save(self) -> None:
        """Write the simulator's state as the saved one."""
        self._seen = write_state(self.backend.snapshot())


def write_state(state: dict[str, Any]) -> datetime | None:
    """Store ``state`` as the embedded simulator's; its time, or None when it could not be."""
    now = utcnow()
    values = {"state": json.dumps(state, ensure_ascii=False), "updated_at": now}
    for _attempt in range(2):  # two processes saving the first state at once
        try:
            with db.engine.begin() as connection:
                changed = connection.execute(update(_state).where(_state.c.id == STATE_ROW)
                                             .values(**values)).rowcount
                if not changed:
                    connection.execute(insert(_state).values(id=STATE_ROW, **values))
            return now
        except IntegrityError:
            continue
        except SQLAlchemyError as exc:
            log.warning("simulator state not saved: %s", type(exc).__name__)
            return None
    return None


class KeptStateClient(Cafe24Client):
    """The embedded simulator's client: every call sees the latest saved state, and a send
    saves the state it leaves behind."""

    def __init__(self, *args: Any, store: SimulatorStore, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store

    def send(self, request: SendRequest, *, validate: bool = True,
             sent: Callable[[], object] | None = None,
             prepared: PreparedSend | None = None) -> SendOutcome:
        """Send, then save the simulator's state (credit, messages, reservations). The
        work beside the call (``sent``) starts before the state's lock is taken: it may ask
        this client (done at once on an in-memory database, it would wait for that lock),
        and the simulator in this process answers within the call anyway."""
        if sent is not None:
            sent()
        with self.store.lock:
            self.store.load_if_newer()
            try:
                return super().send(request, validate=validate, prepared=prepared)
            finally:
                self.store.save()

    def senders(self) -> list[str]:
        """The sender numbers of the latest state."""
        with self.store.lock:
            self.store.load_if_newer()
            return super().senders()

    def remaining(self) -> int:
        """The credit of the latest state."""
        with self.store.lock:
            self.store.load_if_newer()
            return super().remaining()

    def results(self, query: ResultQuery | None = None) -> ResultPage:
        """The results of the latest state."""
        with self.store.lock:
            self.store.load_if_newer()
            return super().results(query)


def build(settings: GatewaySettings, backend: GatewayBackend | None = None, *,
          keep_state: bool = False) -> Gateway:
    """The simulator (``backend``, or the demo account) unless an account is configured;
    ``keep_state`` keeps the simulator's state in the database."""
    if not settings.configured:
        backend = backend or demo_backend()
        options: dict[str, Any] = {
            "base_url": SIMULATOR_BASE_URL, "charset": settings.charset,
            "transport": in_process_transport(backend)}
        if keep_state:
            client: Cafe24Client = KeptStateClient(
                DEMO_USER_ID, DEMO_SECURE_KEY, store=SimulatorStore(backend), **options)
        else:
            client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, **options)
        return Gateway(client, backend)
    common: dict[str, Any] = {"base_url": settings.base_url, "charset": settings.charset,
                              "allow_http": settings.allow_http}
    return Gateway(
        Cafe24Client(settings.user_id, settings.secure_key, **common,
                     connect_timeout=settings.connect_timeout,
                     read_timeout=settings.read_timeout),
        None,
        lookups=Cafe24Client(
            settings.user_id, settings.secure_key, **common, connect_retries=0,
            connect_timeout=min(settings.connect_timeout, LOOKUP_CONNECT_TIMEOUT),
            read_timeout=min(settings.read_timeout, LOOKUP_READ_TIMEOUT)))


def init_app(app: Flask, settings: GatewaySettings) -> None:
    """Build the gateway once per app and keep it in ``app.extensions``.

    Tests hand their own simulator in ``app.config["SIMULATOR_BACKEND"]``; its state is
    theirs. The demo simulator the app builds itself keeps its state in the database.
    """
    injected = app.config.get("SIMULATOR_BACKEND")
    app.extensions[EXTENSION] = gateway = build(settings, injected, keep_state=injected is None)
    if gateway.simulated:
        log.warning(
            "no Cafe24 account configured (CAFE24_SMS_USER_ID, CAFE24_SMS_SECURE_KEY): "
            "sending to the built-in simulator; nothing reaches a phone")
        if injected is None:
            with app.app_context():
                gateway.client.store.load_if_newer()  # type: ignore[attr-defined]


def standalone_simulator(host: str, port: int, *, user_id: str, secure_key: str,
                         senders: Sequence[str], credits: int,
                         verbose: bool = False) -> tuple[SimulatorServer, list[str]]:
    """A simulator on its own socket, for any site to dry-run against, with one account;
    the demo's sender numbers when ``senders`` is empty. Returns the (bound, not yet
    serving) server and the account's senders."""
    from simulator import DEMO_SENDERS
    from simulator.server import SimulatorServer

    numbers = list(senders or DEMO_SENDERS)
    backend = GatewayBackend()
    backend.add_account(user_id, secure_key, numbers, credits)
    return SimulatorServer(backend, host, port, verbose=verbose), numbers


def reset_simulator_state() -> None:
    """Put the embedded simulator back as new: the demo account's credit and senders, no
    messages. Running servers take it at their next call."""
    fresh = demo_backend().snapshot()
    if write_state(fresh) is None:
        raise RuntimeError("the simulator_state table is missing: run upgrade-db first")
    current = gateway()
    if isinstance(current.client, KeptStateClient):
        current.client.store.load_if_newer()


def gateway() -> Gateway:
    """The current app's gateway."""
    # the app itself: read through the proxy, 0.8 µs a call (three a send)
    app = current_app._get_current_object()  # type: ignore[attr-defined] # noqa: SLF001
    return app.extensions[EXTENSION]


def client() -> Cafe24Client:
    """The current app's client."""
    return gateway().client
