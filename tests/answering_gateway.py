"""A gateway on 127.0.0.1 that answers each path with what the test tells it: for the
answers the simulator never gives (a broken total, a lost answer), over a real socket."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: AnsweringGateway

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.calls.append(self.path)
        stall = self.server.stalls.get(self.path)
        if stall is not None:  # no answer at all, then the connection closes
            self.server.stopping.wait(stall)
            self.close_connection = True
            return
        body = self.server.answers.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class AnsweringGateway(ThreadingHTTPServer):
    """``answer(path, body)`` or ``stall(path, seconds)``, then POST to ``url + path``;
    ``calls`` lists the paths asked. A context manager: serves inside, stops after."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.answers: dict[str, bytes] = {}
        self.stalls: dict[str, float] = {}
        self.calls: list[str] = []
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, body: str) -> None:
        self.answers[path] = body.encode("utf-8")

    def stall(self, path: str, seconds: float = 30.0) -> None:
        self.stalls[path] = seconds

    def __enter__(self) -> AnsweringGateway:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
