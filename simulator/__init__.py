"""A faithful local simulator of Cafe24's SMS hosting gateway."""

from __future__ import annotations

from .backend import (
    DEMO_CREDITS,
    DEMO_SECURE_KEY,
    DEMO_SENDERS,
    DEMO_USER_ID,
    GatewayBackend,
    ListedMessage,
    ListPage,
    SendAccepted,
)
from .exceptions import Refusal
from .transport import DropConnection, StallResponse, WSGITransport
from .wsgi import SimulatorApp

SIMULATOR_BASE_URL = "https://simulator.invalid"


def demo_backend(**kwargs) -> GatewayBackend:
    """A backend with the demo account, its senders and credit."""
    backend = GatewayBackend(**kwargs)
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), DEMO_CREDITS)
    return backend


def in_process_transport(backend: GatewayBackend) -> WSGITransport:
    """A requests adapter that reaches the simulator without a socket."""
    return WSGITransport(SimulatorApp(backend))


__all__ = ["GatewayBackend", "SimulatorApp", "demo_backend", "in_process_transport",
           "SIMULATOR_BASE_URL", "DEMO_USER_ID", "DEMO_SECURE_KEY", "DEMO_SENDERS",
           "DEMO_CREDITS", "SendAccepted", "ListPage", "ListedMessage", "Refusal",
           "WSGITransport", "DropConnection", "StallResponse"]
