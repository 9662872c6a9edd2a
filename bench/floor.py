"""The floor of a bench: the shape of a measured path served by a bare WSGI callable.

The benches form_cycle.py, relay.py and api.py each time a path through the whole app (A)
against the client's own send (B). Side F runs the same hops (same server kind, same
client, same simulator) through a plain WSGI function that does only what the path cannot
avoid: read the request's body, make exactly one ``Cafe24Client.send`` of a fixed message
and answer a fixed page (no Flask, no database, no parsing). F / B is what *any* Python
WSGI implementation of that shape costs against the baseline; A / F is what the app adds
over it; ``goal * B - F`` is the room the goal leaves for the app's own work.

The callables are built by ``send_app`` and ``form_app``; ``form_app_from_env()`` builds
the form's one for a server started on its own (``gunicorn ... --pythonpath bench
'floor:form_app_from_env()'``) from these environment variables:

- ``CAFE24_SMS_*``: the client's settings, as the app reads them (``Cafe24Client.from_env``);
- ``FLOOR_SEND``: the message, as JSON ``{"msg": ..., "sender": ..., "recipients": [...]}``;
- ``FLOOR_FORM_PAGE``, ``FLOOR_SENT_PAGE``: files holding the pages answered to ``GET`` and
  to ``POST`` (default: filler pages of ``FORM_PAGE_BYTES`` and ``SENT_PAGE_BYTES``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # cafe24, when a server imports us

from cafe24.calls import SendRequest  # noqa: E402
from cafe24.client import Cafe24Client  # noqa: E402

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The default pages' sizes: about the app's /smsform page and its answer to /smssend.
FORM_PAGE_BYTES = 13_600
SENT_PAGE_BYTES = 2_300
HTML = "text/html; charset=utf-8"


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request's body, read whole (a server needs it gone before the next request)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _headers(content_type: str, body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ("Content-Length", str(len(body)))]


def send_app(client: Cafe24Client, request: SendRequest, answer: bytes, *,
             status: str = "200 OK", content_type: str = HTML) -> WSGIApp:
    """A WSGI callable that reads the body, makes one ``client.send(request)`` and answers
    ``answer`` (``502`` when the gateway refuses, so the bench's check fails)."""
    headers = _headers(content_type, answer)
    refused = b"the gateway refused the send"

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        _read_body(environ)
        if not client.send(request).ok:
            start_response("502 Bad Gateway", _headers("text/plain", refused))
            return [refused]
        start_response(status, headers)
        return [answer]

    return app


def form_app(client: Cafe24Client, request: SendRequest, form_page: bytes,
             sent_page: bytes) -> WSGIApp:
    """The form's floor: ``GET`` (any path) answers ``form_page``; ``POST`` reads the body,
    makes one send and answers ``sent_page``."""
    post = send_app(client, request, sent_page)
    get_headers = _headers(HTML, form_page)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            return post(environ, start_response)
        start_response("200 OK", get_headers)
        return [form_page]

    return app


def filler_page(size: int, *, tokens: bool) -> bytes:
    """An HTML page of ``size`` bytes; with ``tokens``, the form's ``csrf_token`` and
    ``send_token`` inputs, as the bench's client reads them."""
    head = "<!doctype html><html><head><title>floor</title></head><body><form>"
    if tokens:
        head += ('<input type="hidden" name="csrf_token" value="' + "c" * 91 + '">'
                 '<input type="hidden" name="send_token" value="' + "s" * 120 + '">')
    tail = "</form></body></html>\n"
    padding = max(0, size - len(head) - len(tail) - len("<!---->"))
    return f"{head}<!--{'x' * padding}-->{tail}".encode("ascii")


def request_json(request: SendRequest) -> str:
    """The message's fields the floor sends (``FLOOR_SEND``); it must have no others."""
    assert request == SendRequest(msg=request.msg, sender=request.sender,
                                  recipients=request.recipients), request
    return json.dumps({"msg": request.msg, "sender": request.sender,
                       "recipients": list(request.recipients)})


def form_app_from_env(environ: Mapping[str, str] | None = None) -> WSGIApp:
    """``form_app`` configured from the environment (see the module's docstring)."""
    env = os.environ if environ is None else environ
    fields = json.loads(env["FLOOR_SEND"])
    request = SendRequest(msg=fields["msg"], sender=fields["sender"],
                          recipients=tuple(fields["recipients"]))

    def page(name: str, size: int, tokens: bool) -> bytes:
        path = env.get(name)
        return Path(path).read_bytes() if path else filler_page(size, tokens=tokens)

    return form_app(Cafe24Client.from_env(env), request,
                    page("FLOOR_FORM_PAGE", FORM_PAGE_BYTES, True),
                    page("FLOOR_SENT_PAGE", SENT_PAGE_BYTES, False))


def own_time_verdict(a_ms: float, f_ms: float, goal_ms: float, *, indent: str = "  ",
                     a: str = "A", f: str = "F") -> bool:
    """Print the app's own time over its floor (``A - F`` by median) against the goal
    (issue 13: at most ``goal_ms``); True when it is met."""
    own = a_ms - f_ms
    met = own <= goal_ms
    print(f"{indent}{a} - {f} by median: {own:.3f} ms (the app's own time over the floor); "
          f"goal at most {goal_ms:.1f} ms: {'PASS' if met else 'FAIL'}")
    return met


def print_floor(a_ms: float, b_ms: float, f_ms: float, goal: float, *, indent: str = "  ",
                a: str = "A", b: str = "B", f: str = "F") -> None:
    """Print the floor's figures from the three medians (ms): F / B, A / F and the room
    the goal leaves under it (``goal * B - F``)."""
    room = goal * b_ms - f_ms
    print(f"{indent}{f} / {b} by median: {f_ms / b_ms:.2f}x (the floor ratio: what a "
          "do-nothing implementation of this shape costs against the baseline)")
    print(f"{indent}{a} / {f} by median: {a_ms / f_ms:.2f}x (what the app adds over its "
          f"floor: {a_ms - f_ms:+.3f} ms)")
    meaning = ("the goal is out of reach even with zero app work" if room < 0
               else "what the goal leaves for the app's own work")
    print(f"{indent}room under the goal: {goal:.0f} x {b} - {f} = {goal * b_ms:.3f} - "
          f"{f_ms:.3f} = {room:+.3f} ms ({meaning})")
