"""A requests adapter that hands requests to a WSGI app in-process (no socket).

The embedded simulator is reached through it, so the app and its tests run the
client's one real request path, byte for byte, without opening a port. It and the
fault signals live with the simulator: the gateway library holds no simulation plumbing.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DropConnection(Exception):  # noqa: N818 - a signal, not an error of ours
    """Raised by a WSGI app to act out a connection that breaks before any answer."""


class StallResponse(Exception):  # noqa: N818 - a signal, not an error of ours
    """Raised by a WSGI app to act out a gateway that never answers in time."""


class WSGITransport(BaseAdapter):
    """Serve requests from a WSGI callable, as if it were a server on the far side."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Run the WSGI app on the prepared request and wrap its answer as a Response."""
        environ = _environ(request)
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            status_headers[:] = [status, headers]
            return lambda data: None

        try:
            content = self._run(environ, start_response)
        except DropConnection as exc:
            raise requests.exceptions.ConnectionError(
                ProtocolError("Connection aborted.", exc), request=request
            ) from exc
        except StallResponse as exc:
            raise requests.exceptions.ReadTimeout(
                "in-process gateway did not answer in time", request=request
            ) from exc
        except Exception as exc:  # noqa: BLE001 - a crashed server answers 500, as a real one
            log.exception("in-process gateway failed")
            content = f"500 Internal Server Error: {type(exc).__name__}".encode()
            status_headers[:] = ["500 Internal Server Error",
                                 [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(content)))]]
        status, headers = status_headers
        return _response(request, status, headers, content)

    def _run(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> bytes:
        """The app's whole answer body, closing its iterable as WSGI asks."""
        chunks = self.app(environ, start_response)
        try:
            return b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()

    def close(self) -> None:
        """Nothing to release: there is no socket."""


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    """The WSGI environ a server would build for this request."""
    url = urlsplit(request.url or "")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes):
        raise TypeError("the in-process transport takes a body of bytes or str, not a stream")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method or "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": url.path or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    return environ


def _response(request: requests.PreparedRequest, status: str,
              headers: list[tuple[str, str]], content: bytes) -> requests.Response:
    """The app's answer as the Response a socket would have produced."""
    response = requests.Response()
    response.status_code = int(status.split(" ", 1)[0])
    response.reason = status.split(" ", 1)[1] if " " in status else ""
    response.headers = CaseInsensitiveDict(headers)
    response._content = content  # noqa: SLF001 - Response has no public setter
    response.raw = io.BytesIO(content)
    response.url = request.url or ""
    response.request = request
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response
