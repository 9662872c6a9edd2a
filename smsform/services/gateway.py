"""The app's one gateway client: the embedded simulator by default, Cafe24 when configured."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Flask, current_app

from cafe24.client import Cafe24Client
from cafe24.errors import ConfigurationError
from simulator import (
    DEMO_SECURE_KEY,
    DEMO_USER_ID,
    SIMULATOR_BASE_URL,
    GatewayBackend,
    demo_backend,
    in_process_transport,
)

EXTENSION = "smsform.gateway"


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


def build(config: dict) -> Gateway:
    """Choose the simulator or the real gateway from the settings."""
    settings = {k: str(v) for k, v in config.items() if k.startswith("CAFE24_SMS_")}
    configured = any(settings.get(k) for k in (
        "CAFE24_SMS_BASE_URL", "CAFE24_SMS_USER_ID", "CAFE24_SMS_SECURE_KEY"))
    if not configured:
        backend = config.get("SIMULATOR_BACKEND") or demo_backend()
        client = Cafe24Client(
            DEMO_USER_ID, DEMO_SECURE_KEY, base_url=SIMULATOR_BASE_URL,
            charset=settings.get("CAFE24_SMS_CHARSET") or "utf-8",
            transport=in_process_transport(backend))
        return Gateway(client, backend)
    if not settings.get("CAFE24_SMS_USER_ID") or not settings.get("CAFE24_SMS_SECURE_KEY"):
        raise ConfigurationError(
            "CAFE24_SMS_USER_ID와 CAFE24_SMS_SECURE_KEY를 함께 설정하세요 "
            "(set both CAFE24_SMS_USER_ID and CAFE24_SMS_SECURE_KEY)")
    return Gateway(Cafe24Client.from_env(settings), None)


def init_app(app: Flask) -> None:
    """Build the gateway once per app and keep it in ``app.extensions``."""
    app.extensions[EXTENSION] = gateway = build(app.config)
    if gateway.simulated:
        app.logger.warning(
            "no Cafe24 account configured (CAFE24_SMS_USER_ID, CAFE24_SMS_SECURE_KEY): "
            "sending to the built-in simulator; nothing reaches a phone")


def gateway() -> Gateway:
    """The current app's gateway."""
    return current_app.extensions[EXTENSION]


def client() -> Cafe24Client:
    """The current app's client."""
    return gateway().client
