"""Plain helpers shared by the test folders (no fixtures here: those live in conftest files)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask
from werkzeug.serving import make_server

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOCAL_HOST = "127.0.0.1"


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1, a thread per request, in a background
    thread; yield its base URL (``http://127.0.0.1:PORT``)."""
    server = make_server(LOCAL_HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class ManualClock:
    """A clock for the simulator that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by ``timedelta(**kwargs)`` and return the new time."""
        self.now += timedelta(**kwargs)
        return self.now


# --- the vendor PHP sample's send, byte for byte (the simulator's and the relay's tests) ----

SAMPLE_BOUNDARY = "---------------------abc123"


def b64(value: str, charset: str = "utf-8") -> str:
    """A field as the samples write it: Base64 of its bytes in ``charset``."""
    return base64.b64encode(value.encode(charset)).decode("ascii")


def php_sample_request(host: str, port: int, path: str, fields: dict[str, str]) -> bytes:
    """The vendor PHP sample's request: HTTP/1.0, '/' after the path, a comma before
    ``boundary``, an extra boundary line after every part and no closing boundary."""
    data = ""
    for name, value in fields.items():
        data += f"--{SAMPLE_BOUNDARY}\r\n"
        data += f'Content-Disposition: form-data; name="{name}"\r\n'
        data += f"\r\n{value}\r\n"
        data += f"--{SAMPLE_BOUNDARY}\r\n"
    header = f"POST {path}/ HTTP/1.0\r\n"
    header += f"Host: {host}:{port}\r\n"
    header += f"Content-type: multipart/form-data, boundary={SAMPLE_BOUNDARY}\r\n"
    header += f"Content-length: {len(data.encode('ascii'))}\r\n\r\n"
    return (header + data).encode("ascii")


def php_sample_send_fields(user_id: str, secure: str, /, **overrides: str) -> dict[str, str]:
    """What the PHP sample posts: every field Base64, destination in its own alphabet."""
    fields = {
        "user_id": b64(user_id), "secure": b64(secure),
        "msg": b64("안녕하세요 {name}님"), "rphone": "",
        "destination": b64("010-2222-3333|홍길동,010-3333-4444|김철수").translate(
            str.maketrans("+/", "-,")),
        "sphone1": b64("010"), "sphone2": b64("1234"), "sphone3": b64("5678"),
        "rdate": "", "rtime": "", "mode": b64("1"), "returnurl": b64("http://shop/ok"),
        "testflag": "", "nointeractive": b64("1"), "repeatFlag": "", "repeatNum": "",
        "repeatTime": "", "smsType": b64("S"), "subject": "",
    }
    fields.update(overrides)
    return fields
