"""The relay's wire: Cafe24's four paths under ``/relay/`` for sites with credentials issued
here (``views/relay_sites.py`` is the administrators' page that issues them).

A site changes its ``sms_url`` and its id and key, nothing else: the body is read by the
gateway library's one parser (``cafe24.wire``, as the simulator reads it) and every answer
is written by its writers, with the gateway's content types and codes. No session, no
CSRF token (app.py exempts the whole blueprint), no HTML: whatever goes wrong, the site
gets the path's own answer format. What a request must pass first is ``relay_gate``'s.
Each path's failures map to the gateway's codes here, in one place per kind:

========================== =========================================================
what happened              ``sms_sender.php`` answers (other paths: their own format)
========================== =========================================================
no id or key               ``-101,``
unknown id, wrong key,     ``-102,`` (a disabled site too)
address not allowed
a sender it may not use    ``-114,``
over its daily limit       ``-201,N`` (N: what it may still spend today)
a cost over the credit     ``-201,N`` (N: the credit last known, capped by the daily limit),
known                      as the send service refuses it before any call
an SMS over 90 bytes       ``0004,`` (the gateway does not switch it to LMS)
bad Base64 / bytes         ``3203,`` for msg and subject, ``-101,`` for other fields
a rule broken              the gateway's code for it (``cafe24.wire.PROBLEM_GATEWAY_CODES``)
an advertisement (광고)    ``0003,`` when malformed (label, sender's name, opt-out line) and
the law refuses            ``3224,`` at night (21:00-08:00 KST), ``compliance.gateway_code``
refused by the gateway     the gateway's own code, ``CODE,N`` (but ``-102``, the master key
                           refused, is a server failure: ``-100,``)
not sent / unknown         ``-100,``: a server-side failure; the site cannot know whether
                           it went, so it must check (``sms_list.php``), not retry blindly
throttled                  HTTP 429 with ``Retry-After`` and ``-203,`` (bulk sending error);
                           ``sms_list.php``'s gateway calls after the first count too
body over the size limit   HTTP 413 and ``-101,``
========================== =========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from cafe24 import wire
from cafe24.answers import ResultRow
from cafe24.errors import Cafe24Error
from smsform import logs
from smsform.errors import after_send
from smsform.services import (
    compliance,
    relay_gate,
    relay_results,
    relay_sends,
    relay_sites,
    results,
)
from smsform.services.relay_gate import Denial
from smsform.services.relay_sends import RelaySend
from smsform.services.relay_sites import Site
from smsform.services.sending import Status

#: Where the wire is served: the gateway's paths (PATHS) under it.
PREFIX = "/relay"
bp = Blueprint("relay", __name__, url_prefix=PREFIX)
log = logs.get("relay")

#: The contract's code for a failure on the server's side (sends: the outcome is unknown).
SERVER_FAILURE = "-100"
#: The contract's code for "not enough credit" (a cost over the credit known, refused here).
NO_CREDIT = "-201"
#: The contract's closest code for "too many requests": a bulk sending error.
THROTTLED = "-203"
#: The gateway's code for each refusal the relay makes itself.
DENIAL_CODES = {
    Denial.MISSING: "-101",
    Denial.AUTH: "-102",
    Denial.ADDRESS: "-102",
    Denial.SENDER: "-114",
    Denial.DAILY_LIMIT: NO_CREDIT,
    Denial.SMS_TOO_LONG: "0004",
}
#: The gateway path each relay path speaks for.
PATHS = {wire.SEND: "/sms_sender.php", wire.SENDERS: "/smsSenderPhone.php",
         wire.REMAIN: "/sms_remain.php", wire.RESULTS: "/sms_list.php"}


# -- the wire ---------------------------------------------------------------------------


def send_answer(outcome: RelaySend) -> str:
    """The one mapping of a relayed send to ``sms_sender.php``'s answer."""
    if outcome.denied is not None:
        return wire.send_refused(DENIAL_CODES[outcome.denied], outcome.remaining)
    result = outcome.result
    assert result is not None
    if result.status.accepted:
        return wire.send_accepted(outcome.remaining, reserved=result.status is Status.RESERVED,
                                  test=result.status is Status.TEST)
    if result.status is Status.REFUSED and result.code and result.code != "-102":
        return wire.send_refused(result.code, outcome.remaining)
    if result.status is Status.INVALID:
        return wire.send_refused(compliance.gateway_code(result.problems))
    if result.status is Status.CREDIT_SHORT:  # the gateway's own code for it
        return wire.send_refused(NO_CREDIT, outcome.remaining)
    # NOT_SENT, UNKNOWN, the master key refused (-102), anything else: a server failure.
    return wire.send_refused(SERVER_FAILURE)


def _reply(route: str, body: str, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """An answer as the gateway writes it: its content type, UTF-8."""
    response = Response(body.encode("utf-8"), status, headers=headers,
                        content_type=wire.CONTENT_TYPES[route])
    return response


def _refused(route: str, code: str, status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    return _reply(route, wire.refusal_answer(route, code), status, headers)


def _serve(route: str, handle: Callable[[Site, wire.GatewayRequest], Response]
           ) -> Response:
    """Read the request as the gateway does, open the site, throttle it, then ``handle``;
    a gateway that cannot answer a look-up is the gateway's own server failure."""
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _refused(route, "-101", 413)
    named: list[Site | None] = []

    def charset_of(user_id: str) -> str:  # the site is looked up once, also for its charset
        named.append(relay_sites.find_by_user_id(user_id) if user_id else None)
        return named[0].charset if named[0] is not None else wire.AUTO

    read = wire.parse_request(PATHS[route], body, request.headers.get("Content-Type", ""),
                              charset=charset_of)
    wait = relay_gate.key_failures_wait(request.remote_addr)
    if wait:  # too many wrong keys from this address lately
        return _refused(route, THROTTLED, 429, {"Retry-After": str(wait)})
    site = relay_gate.open_site(named[0] if named else None, read.user_id, read.secret,
                                request.remote_addr)
    if isinstance(site, Denial):
        return _refused(route, DENIAL_CODES[site])
    wait = relay_gate.throttle_wait(site)
    if wait:
        return _throttled(route, site, wait)
    try:
        return handle(site, read)
    except Cafe24Error as exc:  # a look-up the gateway could not answer
        log.warning("relay site=%s %s: the gateway did not answer: %s", site.name, route,
                    exc.message)
        return _refused(route, SERVER_FAILURE)


def _send(site: Site, read: wire.GatewayRequest) -> Response:
    unreadable = wire.undecodable_code(read.fields)
    if unreadable:
        return _refused(wire.SEND, unreadable)
    relayed = relay_sends.send(site, read.fields, request.remote_addr)
    if relayed.result is not None:
        after_send(relayed.result)
    return _reply(wire.SEND, send_answer(relayed))


def _remain(site: Site, read: wire.GatewayRequest) -> Response:
    return _reply(wire.REMAIN, wire.remain_answer(relay_sends.remaining(site)))


def _senders(site: Site, read: wire.GatewayRequest) -> Response:
    return _reply(wire.SENDERS, wire.senders_answer(relay_sends.senders(site)))


def list_record(row: ResultRow) -> wire.ListRecord:
    """A gateway result row as the relay lists it."""
    return wire.ListRecord(row.send_type, row.send_phone, row.receive_phone,
                           row.extra.get("subject", ""), row.msg, row.sent_at_raw, row.status,
                           row.extra.get("resultCode", ""), row.refund_date)


def _throttled(route: str, site: Site, wait: int) -> Response:
    log.warning("relay site=%s throttled for %ss", site.name, wait)
    return _refused(route, THROTTLED, 429, {"Retry-After": str(wait)})


def _results(site: Site, read: wire.GatewayRequest) -> Response:
    try:
        page = relay_results.site_results(site, read.fields, lambda: relay_gate.throttle_wait(site))
    except results.BadPaging:
        return _refused(wire.RESULTS, "-101")
    except results.TooManyCalls as exc:  # its gateway calls spent the site's rate
        return _throttled(wire.RESULTS, site, exc.wait)
    return _reply(wire.RESULTS, wire.results_answer(page.total,
                                                    [list_record(r) for r in page.rows]))


def _wire_view(route: str, handle: Callable[[Site, wire.GatewayRequest], Response]
               ) -> Callable[[], Response]:
    def view() -> Response:
        return _serve(route, handle)

    view.__name__ = f"relay_{route}"
    view.__doc__ = f"{PATHS[route]} for relay sites."
    view.reads_raw_body = True  # type: ignore[attr-defined]  # form_guard leaves the body be
    # The database busy or out of reach (smsform.errors): the gateway's own server failure,
    # in its format, with the error's headers (Retry-After only when nothing was sent: once
    # the gateway was called, the site must look the send up, not retry it).
    view.database_unavailable = lambda error: _refused(  # type: ignore[attr-defined]
        route, SERVER_FAILURE, 503, error.headers)
    # Any other failure of ours (smsform.errors): the same code, HTTP 500, never a page.
    view.server_failure = lambda: _refused(route, SERVER_FAILURE, 500)  # type: ignore[attr-defined]
    return view


#: The four wire views: no session, no CSRF token (app.py exempts the blueprint), the raw body.
WIRE_VIEWS = [_wire_view(route, handle) for route, handle in (
    (wire.SEND, _send), (wire.REMAIN, _remain), (wire.SENDERS, _senders),
    (wire.RESULTS, _results))]
for _view in WIRE_VIEWS:
    # strict_slashes=False: the PHP sample posts to "sms_sender.php/" and must not be
    # redirected (it follows no redirects).
    _route = _view.__name__.removeprefix("relay_")
    # GET is answered as the gateway answers a request without fields (-101), never with
    # a page; a query string is never read (a key in it would end up in access logs).
    bp.add_url_rule(PATHS[_route], endpoint=_route, view_func=_view,
                    methods=["GET", "POST"], strict_slashes=False)
