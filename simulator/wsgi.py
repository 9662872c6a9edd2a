"""The simulator's WSGI app: each request read by the library's one parser
(``cafe24.wire``), run on the backend, and its typed result or refusal written by the
library's writers (the relay of the app reads and writes the same wire)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cafe24 import wire
from cafe24.wire import UNDECODABLE

from .backend import Call, GatewayBackend, ListedMessage, ListPage, SendAccepted
from .exceptions import REFUSALS, Refusal
from .transport import DropConnection, StallResponse

__all__ = ["SimulatorApp", "UNDECODABLE", "read_body", "send_answer", "send_refusal",
           "remain_answer", "remain_refusal", "senders_answer", "senders_refusal",
           "results_answer", "results_refusal", "undecodable_refusal"]

_REFUSAL_BY_CODE = {cls.code: cls for cls in REFUSALS}


def read_body(environ: dict[str, Any]) -> bytes:
    """The request's body bytes, as many as ``Content-Length`` says."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


# -- answers: the backend's typed results and refusals, written by cafe24.wire ---------


def send_answer(accepted: SendAccepted) -> str:
    """``sms_sender.php``'s acceptance: ``success,N``, ``reserved,N`` or ``Test Success!,N``."""
    return wire.send_accepted(accepted.remaining, reserved=accepted.reserved,
                              test=accepted.test)


def send_refusal(refusal: Refusal) -> str:
    """``CODE,N``, or ``CODE,`` before the credit is known (the comma is always written)."""
    return wire.send_refused(refusal.code, refusal.remaining)


def remain_answer(credits: int) -> str:
    """``sms_remain.php``'s answer: the credit as a bare integer."""
    return wire.remain_answer(credits)


def remain_refusal(refusal: Refusal) -> str:
    """``sms_remain.php``'s refusal: the bare code, no comma."""
    return wire.remain_refused(refusal.code)


def senders_answer(numbers: list[str]) -> str:
    """``smsSenderPhone.php``'s JSON list of approved numbers."""
    return wire.senders_answer(numbers)


def senders_refusal(refusal: Refusal) -> str:
    """``smsSenderPhone.php``'s JSON failure: a ``result`` other than Success, and why."""
    return wire.senders_refused(refusal.code)


def list_record(row: ListedMessage) -> wire.ListRecord:
    """A stored message's row as the wire's record."""
    return wire.ListRecord(row.send_type, row.send_phone, row.receive_phone, row.subject,
                           row.msg, row.due_at.strftime("%Y%m%d%H%M"), row.status,
                           row.result_code, row.refund_date)


def results_answer(page: ListPage) -> str:
    """``sms_list.php``'s XML for one page of messages."""
    return wire.results_answer(page.total, (list_record(row) for row in page.rows))


def results_refusal(refusal: Refusal) -> str:
    """``sms_list.php``'s XML for a refusal: its code, a total of 0, no records."""
    return wire.results_refused(refusal.code)


def undecodable_refusal(fields: dict[str, str]) -> Refusal | None:
    """The refusal for a field that could not be decoded: 3203 for the message and the
    subject, else -101."""
    code = wire.undecodable_code(fields)
    return _REFUSAL_BY_CODE[code]() if code else None


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
            wire.SEND: self._send,
            wire.SENDERS: self._senders,
            wire.REMAIN: self._remain,
            wire.RESULTS: self._results,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if wire.route_of(path) is None:
            return self._reply(start_response, "404 Not Found", b"Not Found", "text/plain")
        body = read_body(environ)
        request = wire.parse_request(path, body, environ.get("CONTENT_TYPE", ""),
                                     environ.get("QUERY_STRING", ""),
                                     charset=self.backend.charset_of)
        call = Call(request.path, request.content_type, request.base64_mode,
                    request.raw_fields, request.fields)
        self.backend.record(call)
        fault = self.backend.next_fault()
        if fault == "echo":  # a broken proxy: the request's own body comes back
            echoed = body or environ.get("QUERY_STRING", "").encode("latin-1")
            return self._reply(start_response, "200 OK", echoed, "text/html")
        if fault:
            return self._fault(fault, request.path, request.route, request.fields,
                               start_response)
        answer, ctype = self._answer(request.route, request.fields)
        call.answer = answer
        return self._reply(start_response, "200 OK", answer.encode("utf-8"), ctype)

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
        return self._routes[route](fields), wire.CONTENT_TYPES[route]

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
