"""The app's one gateway client: the embedded simulator by default, Cafe24 when configured."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Flask, current_app

from cafe24.client import Cafe24Client
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

EXTENSION = "smsform.gateway"
log = logs.get("gateway")


SENDERS_TTL = 60.0  # seconds; registered numbers change rarely, forms open often


@dataclass
class Gateway:
    """The configured client, and the simulator behind it when there is one."""

    client: Cafe24Client
    backend: GatewayBackend | None
    _senders: tuple[float, list[str]] | None = field(default=None, repr=False)

    @property
    def simulated(self) -> bool:
        """True when messages go to the embedded simulator, not to Cafe24."""
        return self.backend is not None

    def senders(self) -> list[str]:
        """Registered sender numbers, asked of the gateway at most once a minute."""
        cached = self._senders
        if cached is not None and time.monotonic() - cached[0] < SENDERS_TTL:
            return list(cached[1])
        numbers = self.client.senders()  # failures are not cached
        self._senders = (time.monotonic(), numbers)
        return list(numbers)


def build(settings: GatewaySettings, backend: GatewayBackend | None = None) -> Gateway:
    """The simulator (``backend``, or the demo account) unless an account is configured."""
    if not settings.configured:
        backend = backend or demo_backend()
        client = Cafe24Client(
            DEMO_USER_ID, DEMO_SECURE_KEY, base_url=SIMULATOR_BASE_URL,
            charset=settings.charset, transport=in_process_transport(backend))
        return Gateway(client, backend)
    return Gateway(Cafe24Client(
        settings.user_id, settings.secure_key, base_url=settings.base_url,
        charset=settings.charset, connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout, allow_http=settings.allow_http), None)


def init_app(app: Flask, settings: GatewaySettings) -> None:
    """Build the gateway once per app and keep it in ``app.extensions``.

    Tests hand their own simulator in ``app.config["SIMULATOR_BACKEND"]``.
    """
    app.extensions[EXTENSION] = gateway = build(settings, app.config.get("SIMULATOR_BACKEND"))
    if gateway.simulated:
        log.warning(
            "no Cafe24 account configured (CAFE24_SMS_USER_ID, CAFE24_SMS_SECURE_KEY): "
            "sending to the built-in simulator; nothing reaches a phone")


def gateway() -> Gateway:
    """The current app's gateway."""
    return current_app.extensions[EXTENSION]


def client() -> Cafe24Client:
    """The current app's client."""
    return gateway().client
