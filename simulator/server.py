"""The simulator as a real HTTP server on a socket (HTTP/1.0 and keep-alive HTTP/1.1)."""

from __future__ import annotations

import io
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .backend import GatewayBackend
from .transport import DropConnection, StallResponse
from .wsgi import SimulatorApp


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for 1.1 clients; 1.0 clients get a close
    # Headers and body go out in two writes; with Nagle on, a kept connection would
    # wait for the client's delayed ACK (~40 ms) before every answer.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write(f"simulator: {self.address_string()} {format % args}\n")

    def parse_request(self) -> bool:
        # When the request arrived (its first line read): a delaying wrapper (the bulk
        # bench's) counts its delay from here, as a far gateway's latency is counted.
        self.arrived = time.perf_counter()
        return super().parse_request()

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        environ = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "simulator.arrived": self.arrived,
        }
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            status_headers[:] = [status, headers]
            return lambda data: None

        try:
            content = b"".join(self.server.app(environ, start_response))
        except DropConnection:
            self.close_connection = True
            return
        except StallResponse:
            time.sleep(self.server.backend.stall_seconds)
            self.close_connection = True
            return
        status, headers = status_headers
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)


class SimulatorServer(ThreadingHTTPServer):
    """A threaded loopback server around a :class:`GatewayBackend`."""

    daemon_threads = True

    def __init__(self, backend: GatewayBackend, host: str = "127.0.0.1", port: int = 0,
                 verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.backend = backend
        self.app = SimulatorApp(backend)
        self.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8765``."""
        host = self.server_address[0]
        if isinstance(host, bytes):
            host = host.decode("ascii")
        return f"http://{host}:{self.server_address[1]}"

    def start(self) -> SimulatorServer:
        """Serve in a background thread (for tests and benchmarks)."""
        # A short poll keeps stop() quick (the default 0.5 s adds up over a test run).
        self._thread = threading.Thread(target=self.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05}, name="cafe24-simulator")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (also when it was never started)."""
        if self._thread:
            self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)
