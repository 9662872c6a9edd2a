"""The simulator's wire: tolerant body parsing and the four ``.php`` answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from cafe24.encoding import decode_destination, decode_field, from_bytes
from cafe24.transport import DropConnection, StallResponse

from .backend import Call, GatewayBackend

_BOUNDARY = re.compile(rb'boundary="?([^";,\s]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)
ROUTES = {
    "/sms_sender.php": "send",
    "/smsSenderPhone.php": "senders",
    "/sms_remain.php": "remain",
    "/sms_list.php": "results",
}


def parse_urlencoded(body: bytes) -> dict[str, bytes]:
    """Decode ``a=b&c=d`` into raw bytes values (the charset is decided later)."""
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return {k: v.encode("latin-1") for k, v in pairs}


def parse_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """Read multipart bodies, including the vendor PHP sample's sloppy ones.

    Accepts ``multipart/form-data, boundary=`` (comma), an extra ``--boundary``
    after every part, and no closing ``--boundary--``.
    """
    found = _BOUNDARY.search(content_type.encode("latin-1"))
    if not found:
        return {}
    delimiter = b"--" + found.group(1)
    fields: dict[str, bytes] = {}
    for chunk in body.split(delimiter):
        if chunk.startswith(b"--"):  # the closing delimiter, when there is one
            continue
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, value = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        name = _NAME.search(head)
        if not name:
            continue
        if value.endswith(b"\r\n"):
            value = value[:-2]
        fields[name.group(1).decode("utf-8", "replace")] = value
    return fields


def read_fields(environ: dict[str, Any]) -> tuple[dict[str, bytes], str]:
    """The request's raw fields (body, or query string for GET) and its content type."""
    content_type = environ.get("CONTENT_TYPE", "")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if content_type.lower().startswith("multipart/"):
        fields = parse_multipart(body, content_type)
    else:
        fields = parse_urlencoded(body)
    query = environ.get("QUERY_STRING", "")
    if query:
        for k, v in parse_urlencoded(query.encode("latin-1")).items():
            fields.setdefault(k, v)
    return fields, content_type


def decode_fields(raw: dict[str, bytes], base64_mode: bool) -> dict[str, str]:
    """Plain text of every field: Base64 when ``mode`` says so, else as sent."""
    if not base64_mode:
        return {k: from_bytes(v) for k, v in raw.items()}
    out = {}
    for name, value in raw.items():
        if name == "mode":  # already read by _is_base64_mode, which also takes a plain "1"
            out[name] = "1"
            continue
        text = value.decode("latin-1")
        decode = decode_destination if name == "destination" else decode_field
        try:
            out[name] = decode(text)
        except ValueError:
            out[name] = "\ufffdBASE64"  # marks the field as undecodable
    return out


def _is_base64_mode(raw: dict[str, bytes]) -> bool:
    mode = raw.get("mode", b"").strip()
    return mode in (b"MQ==", b"MQ", b"1")


class SimulatorApp:
    """A WSGI app that answers like ``sslsms.cafe24.com``."""

    def __init__(self, backend: GatewayBackend) -> None:
        self.backend = backend

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/").rstrip("/") or "/"  # the PHP sample adds a '/'
        route = ROUTES.get(path)
        if route is None:
            return self._reply(start_response, "404 Not Found", b"Not Found", "text/plain")
        raw, content_type = read_fields(environ)
        base64_mode = route in ("send", "remain") and _is_base64_mode(raw)
        fields = decode_fields(raw, base64_mode)
        call = Call(path, content_type, base64_mode, raw, fields)
        self.backend.record(call)
        fault = self.backend.next_fault()
        if fault == "drop":
            raise DropConnection(path)
        if fault == "stall":
            raise StallResponse(path)
        if fault == "http500":
            return self._reply(start_response, "500 Internal Server Error",
                               b"<html><body>500 Internal Server Error</body></html>",
                               "text/html")
        if fault == "lost":
            # The gateway did the work, but its answer never reached the client.
            self._answer(route, fields)
            raise DropConnection(path)
        if fault in ("garbage", "html"):
            body = b"\x00\xffgarbage" if fault == "garbage" else b"<html>maintenance</html>"
            return self._reply(start_response, "200 OK", body, "text/html")
        answer, ctype = self._answer(route, fields)
        call.answer = answer
        charset = "; charset=utf-8"
        return self._reply(start_response, "200 OK", answer.encode("utf-8"), ctype + charset)

    def _answer(self, route: str, fields: dict[str, str]) -> tuple[str, str]:
        """Run the backend for one route; return the answer body and its content type."""
        if route == "send":
            if any(v == "\ufffdBASE64" for v in fields.values()):
                answer, ctype = ("3203," if fields.get("msg") == "\ufffdBASE64" else "-101,",
                                 "text/html")
            else:
                answer, ctype = self.backend.send(fields), "text/html"
        elif route == "senders":
            answer = json.dumps(self.backend.senders(fields.get("userId", ""),
                                                     fields.get("passwd", "")))
            ctype = "application/json"
        elif route == "remain":
            answer = self.backend.remaining(fields.get("user_id", ""), fields.get("secure", ""))
            ctype = "text/html"
        else:
            answer, ctype = self.backend.results(fields), "text/xml"
        return answer, ctype

    @staticmethod
    def _reply(start_response: Any, status: str, body: bytes, ctype: str) -> list[bytes]:
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]
