"""One exception root for the gateway library, with subclasses that say what is safe."""

from __future__ import annotations

from collections.abc import Sequence

from .text import Problem


class Cafe24Error(Exception):
    """Root of every error the gateway library raises."""

    #: True when the request certainly did not reach the gateway, so trying again is safe.
    safe_to_retry: bool = False
    #: True when a send may or may not have been carried out.
    outcome_unknown: bool = False

    def __init__(self, message: str, *, status_code: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body


class ConfigurationError(Cafe24Error):
    """The client was built without what it needs (credentials, a valid URL or charset)."""


class InvalidRequest(Cafe24Error):
    """The library refused to send a request that the gateway would refuse; nothing left.

    ``problems`` says which rules, as codes; ``message`` is developer text.
    """

    safe_to_retry = True

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class TransportError(Cafe24Error):
    """The HTTP exchange failed: no usable answer from the gateway."""

    outcome_unknown = True


class ConnectFailed(TransportError):
    """No connection could be made (refused, DNS, TLS handshake, connect timeout): nothing sent."""

    safe_to_retry = True
    outcome_unknown = False


class ResponseTimeout(TransportError):
    """The request left but no answer came within the read timeout."""


class ConnectionDropped(TransportError):
    """The connection broke after the request may have left."""


class HTTPStatusError(TransportError):
    """The gateway answered with an HTTP error status (4xx/5xx)."""


class UnreadableResponse(TransportError):
    """The gateway answered 200 with a body that is not in the documented format."""


class GatewayRefused(Cafe24Error):
    """The gateway answered with a failure code (authentication, missing field, ...)."""

    def __init__(self, code: str, message: str, *, body: str = "") -> None:
        super().__init__(message, body=body)
        self.code = code
