"""The simulator's wire: tolerant body parsing, and the four ``.php`` answers written from
the backend's typed results and refusals (the only place that writes them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from cafe24.encoding import decode_destination, decode_field, from_bytes

from .backend import Call, GatewayBackend, ListedMessage, ListPage, SendAccepted
from .exceptions import AuthFailed, MessageUndecodable, MissingField, Refusal
from .transport import DropConnection, StallResponse

_BOUNDARY = re.compile(rb'boundary="?([^";,\s]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)
UNDECODABLE = "\ufffdBASE64"  # stands for a field whose Base64 could not be decoded
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
            out[name] = UNDECODABLE
    return out


def _is_base64_mode(raw: dict[str, bytes]) -> bool:
    mode = raw.get("mode", b"").strip()
    return mode in (b"MQ==", b"MQ", b"1")



# -- answers: typed results and refusals to the gateway's bytes ----------------------

SUCCESS, RESERVED, TEST_SUCCESS = "success", "reserved", "Test Success!"
# smsSenderPhone.php answers JSON, not codes: the message each refusal gets there.
SENDERS_FAIL_MESSAGES = {MissingField.code: "missing userId or passwd",
                         AuthFailed.code: "authentication failed"}


def send_answer(accepted: SendAccepted) -> str:
    """``sms_sender.php``'s acceptance: ``success,N``, ``reserved,N`` or ``Test Success!,N``."""
    word = TEST_SUCCESS if accepted.test else RESERVED if accepted.reserved else SUCCESS
    return f"{word},{accepted.remaining}"


def send_refusal(refusal: Refusal) -> str:
    """``CODE,N``, or ``CODE,`` before the credit is known: the comma is always written, as
    clients in the wild split on it."""
    remaining = "" if refusal.remaining is None else refusal.remaining
    return f"{refusal.code},{remaining}"


def remain_answer(credits: int) -> str:
    """``sms_remain.php``'s answer: the credit as a bare integer."""
    return str(credits)


def remain_refusal(refusal: Refusal) -> str:
    """``sms_remain.php``'s refusal: the bare code, no comma."""
    return refusal.code


def senders_answer(numbers: list[str]) -> str:
    """``smsSenderPhone.php``'s JSON list of approved numbers."""
    return json.dumps({"result": "Success", "list": numbers})


def senders_refusal(refusal: Refusal) -> str:
    """``smsSenderPhone.php``'s JSON failure: a ``result`` other than Success, and why."""
    message = SENDERS_FAIL_MESSAGES.get(refusal.code, f"refused ({refusal.code})")
    return json.dumps({"result": "Fail", "message": message})


def results_answer(page: ListPage) -> str:
    """``sms_list.php``'s XML for one page of messages."""
    return results_xml("0000", page.total, page.rows)


def results_refusal(refusal: Refusal) -> str:
    """``sms_list.php``'s XML for a refusal: its code, a total of 0, no records."""
    return results_xml(refusal.code, 0, ())


def results_xml(code: str, total: int, rows: Iterable[ListedMessage]) -> str:
    """The layout the working client reads: code and totalCnt under the root, then records."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<result>", f"<code>{code}</code>",
             f"<totalCnt>{total}</totalCnt>"]
    for row in rows:
        parts.append(
            "<record>"
            f"<sendType>{row.send_type}</sendType>"
            f"<sendPhone>{escape(row.send_phone)}</sendPhone>"
            f"<receivePhone>{escape(row.receive_phone)}</receivePhone>"
            f"<subject>{escape(row.subject)}</subject>"
            f"<msg>{escape(row.msg)}</msg>"
            f"<sendDateTime>{row.due_at.strftime('%Y%m%d%H%M')}</sendDateTime>"
            f"<sendStatus>{row.status}</sendStatus>"
            f"<resultCode>{row.result_code}</resultCode>"
            f"<refundDate>{row.refund_date}</refundDate>"
            "</record>")
    parts.append("</result>")
    return "\n".join(parts)


def undecodable_refusal(fields: dict[str, str]) -> Refusal | None:
    """The refusal for a field whose Base64 failed: 3203 for the message, else -101."""
    if fields.get("msg") == UNDECODABLE:
        return MessageUndecodable()
    if UNDECODABLE in fields.values():
        return MissingField()
    return None


# -- the WSGI app --------------------------------------------------------------------

_FAULT_BODIES = {
    "http500": ("500 Internal Server Error",
                b"<html><body>500 Internal Server Error</body></html>"),
    "garbage": ("200 OK", b"\x00\xffgarbage"),
    "html": ("200 OK", b"<html>maintenance</html>"),
}


class SimulatorApp:
    """A WSGI app that answers like ``sslsms.cafe24.com``."""

    def __init__(self, backend: GatewayBackend) -> None:
        self.backend = backend
        self._routes = {
            "send": (self._send, "text/html"),
            "senders": (self._senders, "application/json"),
            "remain": (self._remain, "text/html"),
            "results": (self._results, "text/xml"),
        }

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
        if fault:
            return self._fault(fault, path, route, fields, start_response)
        answer, ctype = self._answer(route, fields)
        call.answer = answer
        charset = "; charset=utf-8"
        return self._reply(start_response, "200 OK", answer.encode("utf-8"), ctype + charset)

    def _fault(self, fault: str, path: str, route: str, fields: dict[str, str],
               start_response: Any) -> list[bytes]:
        """Act out a queued fault instead of the answer."""
        if fault == "drop":
            raise DropConnection(path)
        if fault == "stall":
            raise StallResponse(path)
        if fault == "lost":
            # The gateway did the work, but its answer never reached the client.
            self._answer(route, fields)
            raise DropConnection(path)
        status, body = _FAULT_BODIES[fault]
        return self._reply(start_response, status, body, "text/html")

    def _answer(self, route: str, fields: dict[str, str]) -> tuple[str, str]:
        """Run the backend for one route; return the answer body and its content type."""
        handler, ctype = self._routes[route]
        return handler(fields), ctype

    def _send(self, fields: dict[str, str]) -> str:
        undecodable = undecodable_refusal(fields)
        if undecodable:
            return send_refusal(undecodable)
        try:
            accepted = self.backend.send(fields)
        except Refusal as refusal:
            return send_refusal(refusal)
        # A str is an answer written in advance (a scripted backend in the app's tests, for
        # answers the rules never give); it goes out as it is.
        return accepted if isinstance(accepted, str) else send_answer(accepted)

    def _senders(self, fields: dict[str, str]) -> str:
        try:
            numbers = self.backend.senders(fields.get("userId", ""), fields.get("passwd", ""))
        except Refusal as refusal:
            return senders_refusal(refusal)
        return senders_answer(numbers)

    def _remain(self, fields: dict[str, str]) -> str:
        try:
            credits = self.backend.remaining(fields.get("user_id", ""), fields.get("secure", ""))
        except Refusal as refusal:
            return remain_refusal(refusal)
        return remain_answer(credits)

    def _results(self, fields: dict[str, str]) -> str:
        try:
            page = self.backend.results(fields)
        except Refusal as refusal:
            return results_refusal(refusal)
        return results_answer(page)

    @staticmethod
    def _reply(start_response: Any, status: str, body: bytes, ctype: str) -> list[bytes]:
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]
