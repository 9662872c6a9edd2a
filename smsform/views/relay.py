"""The relay: Cafe24's four paths under ``/relay/`` for sites with credentials issued here,
and the administrators' page that issues them (``/admin/relays``).

A site changes its ``sms_url`` and its id and key, nothing else: the body is read by the
gateway library's one parser (``cafe24.wire``, as the simulator reads it) and every answer
is written by its writers, with the gateway's content types and codes. No session, no
CSRF token, no HTML: whatever goes wrong, the site gets the path's own answer format.
Each path's failures map to the gateway's codes here, in one place per kind:

========================== =========================================================
what happened              ``sms_sender.php`` answers (other paths: their own format)
========================== =========================================================
no id or key               ``-101,``
unknown id, wrong key,     ``-102,`` (a disabled site too)
address not allowed
a sender it may not use    ``-114,``
over its daily limit       ``-201,N`` (N: what it may still spend today)
an SMS over 90 bytes       ``0004,`` (the gateway does not switch it to LMS)
bad Base64 / bytes         ``3203,`` for msg and subject, ``-101,`` for other fields
a rule broken              the gateway's code for it (``cafe24.wire.PROBLEM_GATEWAY_CODES``)
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
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from cafe24 import wire
from cafe24.answers import ResultRow
from cafe24.errors import Cafe24Error
from smsform import logs, messages
from smsform.errors import DATABASE_RETRY_AFTER, after_send
from smsform.forms import RelaySiteForm
from smsform.limiter import credential_refused, credential_wait, request_wait
from smsform.permissions import Permission, requires
from smsform.services import relay, relay_results, results
from smsform.services.sending import Status
from smsform.views.util import acting_user

bp = Blueprint("relay", __name__)
log = logs.get("relay")

#: Requests one site may make, all paths together (``RELAY_RATE_LIMIT`` in tests and benches).
RELAY_RATE = "120 per minute"
#: The contract's code for a failure on the server's side (sends: the outcome is unknown).
SERVER_FAILURE = "-100"
#: The contract's closest code for "too many requests": a bulk sending error.
THROTTLED = "-203"
#: The gateway's code for each refusal the relay makes itself.
DENIAL_CODES = {
    relay.Denial.MISSING: "-101",
    relay.Denial.AUTH: "-102",
    relay.Denial.ADDRESS: "-102",
    relay.Denial.SENDER: "-114",
    relay.Denial.DAILY_LIMIT: "-201",
    relay.Denial.SMS_TOO_LONG: "0004",
}
#: The gateway path each relay path speaks for.
PATHS = {wire.SEND: "/sms_sender.php", wire.SENDERS: "/smsSenderPhone.php",
         wire.REMAIN: "/sms_remain.php", wire.RESULTS: "/sms_list.php"}
TIME_FORMAT = "yyyy-MM-dd HH:mm"


# -- the wire ---------------------------------------------------------------------------


def send_answer(outcome: relay.RelaySend) -> str:
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
        return wire.send_refused(wire.problems_code(p.code for p in result.problems))
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


def _throttle_wait(site: relay.Site) -> int:
    """0 when the site may make this request now, else the seconds until it may."""
    return request_wait(current_app.config.get("RELAY_RATE_LIMIT", RELAY_RATE),
                        "smsform-relay", site.user_id)


def _serve(route: str, handle: Callable[[relay.Site, wire.GatewayRequest], Response]
           ) -> Response:
    """Read the request as the gateway does, open the site, throttle it, then ``handle``;
    a gateway that cannot answer a look-up is the gateway's own server failure."""
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _refused(route, "-101", 413)
    named: list[relay.Site | None] = []

    def charset_of(user_id: str) -> str:  # the site is looked up once, also for its charset
        named.append(relay.find_by_user_id(user_id) if user_id else None)
        return named[0].charset if named[0] is not None else wire.AUTO

    read = wire.parse_request(PATHS[route], body, request.headers.get("Content-Type", ""),
                              charset=charset_of)
    wait = credential_wait("relay_key", request.remote_addr)
    if wait:  # too many wrong keys from this address lately
        return _refused(route, THROTTLED, 429, {"Retry-After": str(wait)})
    site = relay.open_site(named[0] if named else None, read.user_id, read.secret,
                           request.remote_addr)
    if isinstance(site, relay.Denial):
        if site is relay.Denial.AUTH:
            credential_refused("relay_key", request.remote_addr,
                               f"site {named[0].name}" if named and named[0] else "no such id")
        return _refused(route, DENIAL_CODES[site])
    wait = _throttle_wait(site)
    if wait:
        return _throttled(route, site, wait)
    try:
        return handle(site, read)
    except Cafe24Error as exc:  # a look-up the gateway could not answer
        log.warning("relay site=%s %s: the gateway did not answer: %s", site.name, route,
                    exc.message)
        return _refused(route, SERVER_FAILURE)


def _send(site: relay.Site, read: wire.GatewayRequest) -> Response:
    unreadable = wire.undecodable_code(read.fields)
    if unreadable:
        return _refused(wire.SEND, unreadable)
    relayed = relay.send(site, read.fields, request.remote_addr)
    if relayed.result is not None:
        after_send(relayed.result)
    return _reply(wire.SEND, send_answer(relayed))


def _remain(site: relay.Site, read: wire.GatewayRequest) -> Response:
    return _reply(wire.REMAIN, wire.remain_answer(relay.remaining(site)))


def _senders(site: relay.Site, read: wire.GatewayRequest) -> Response:
    return _reply(wire.SENDERS, wire.senders_answer(relay.senders(site)))


def list_record(row: ResultRow) -> wire.ListRecord:
    """A gateway result row as the relay lists it."""
    return wire.ListRecord(row.send_type, row.send_phone, row.receive_phone,
                           row.extra.get("subject", ""), row.msg, row.sent_at_raw, row.status,
                           row.extra.get("resultCode", ""), row.refund_date)


def _throttled(route: str, site: relay.Site, wait: int) -> Response:
    log.warning("relay site=%s throttled for %ss", site.name, wait)
    return _refused(route, THROTTLED, 429, {"Retry-After": str(wait)})


def _results(site: relay.Site, read: wire.GatewayRequest) -> Response:
    try:
        page = relay_results.site_results(site, read.fields, lambda: _throttle_wait(site))
    except results.BadPaging:
        return _refused(wire.RESULTS, "-101")
    except results.TooManyCalls as exc:  # its gateway calls spent the site's rate
        return _throttled(wire.RESULTS, site, exc.wait)
    return _reply(wire.RESULTS, wire.results_answer(page.total,
                                                    [list_record(r) for r in page.rows]))


def _wire_view(route: str, handle: Callable[[relay.Site, wire.GatewayRequest], Response]
               ) -> Callable[[], Response]:
    def view() -> Response:
        return _serve(route, handle)

    view.__name__ = f"relay_{route}"
    view.__doc__ = f"{PATHS[route]} for relay sites."
    view.reads_raw_body = True  # type: ignore[attr-defined] - form_guard leaves the body be
    # The database busy or out of reach (smsform.errors): the gateway's own server failure,
    # in its format. Nothing was committed: a send's intent comes before the call.
    view.database_unavailable = lambda: _refused(  # type: ignore[attr-defined]
        route, SERVER_FAILURE, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)})
    # Any other failure of ours (smsform.errors): the same code, HTTP 500, never a page.
    view.server_failure = lambda: _refused(route, SERVER_FAILURE, 500)  # type: ignore[attr-defined]
    return view


#: The four wire views: no session, no CSRF token (app.py exempts them), the raw body.
WIRE_VIEWS = [_wire_view(route, handle) for route, handle in (
    (wire.SEND, _send), (wire.REMAIN, _remain), (wire.SENDERS, _senders),
    (wire.RESULTS, _results))]
for _view in WIRE_VIEWS:
    # strict_slashes=False: the PHP sample posts to "sms_sender.php/" and must not be
    # redirected (it follows no redirects).
    _route = _view.__name__.removeprefix("relay_")
    # GET is answered as the gateway answers a request without fields (-101), never with
    # a page; a query string is never read (a key in it would end up in access logs).
    bp.add_url_rule(f"/relay{PATHS[_route]}", endpoint=_route, view_func=_view,
                    methods=["GET", "POST"], strict_slashes=False)


# -- the administrators' page -----------------------------------------------------------

#: Which form field each refusal of services.relay belongs to.
_ERROR_FIELDS = {"name_invalid": "name", "name_taken": "name", "sender_invalid": "senders",
                 "no_senders": "senders", "network_invalid": "allow_ips",
                 "limit_invalid": "daily_limit", "charset_invalid": "charset"}


def _site_row(site: relay.Site) -> dict[str, Any]:
    """A site as the list shows it (times in Korea time; never the key)."""
    return {"name": site.name, "user_id": site.user_id, "senders": ", ".join(site.senders),
            "daily_limit": site.daily_limit, "test_only": site.test_only,
            "allow_ips": ", ".join(site.allow_ips), "charset": site.charset,
            "active": site.active, "created_at": format_datetime(site.created_at, TIME_FORMAT),
            "last_used_at": (format_datetime(site.last_used_at, TIME_FORMAT)
                             if site.last_used_at else None)}


def _sites_page(form: RelaySiteForm, issued: relay.Issued | None = None,
                status: int = 200) -> tuple[str, int]:
    return render_template("relay/sites.html", form=form, issued=issued,
                           sites=[_site_row(s) for s in relay.list_sites()]), status


def _create(form: RelaySiteForm) -> relay.Issued | None:
    """Issue the form's site; None (with the refusal beside its field) when refused."""
    try:
        return relay.create_site(
            form.name.data or "", relay.split_list(form.senders.data),
            daily_limit=relay.parse_limit(form.daily_limit.data),
            test_only=bool(form.test_only.data),
            allow_ips=relay.split_list(form.allow_ips.data),
            charset=form.charset.data or "auto", by=acting_user())
    except relay.RelayError as exc:
        field = getattr(form, _ERROR_FIELDS.get(exc.code, "name"))
        field.errors = [*field.errors, messages.refusal_text(exc)]
        return None


@bp.route("/admin/relays", methods=["GET", "POST"])
@requires(Permission.MANAGE_RELAYS)
def sites() -> Any:
    """The relay sites, and issuing one (its key is shown on this answer only)."""
    form = RelaySiteForm()
    if form.validate_on_submit():
        issued = _create(form)
        if issued is not None:
            return _sites_page(RelaySiteForm(formdata=None), issued)
    return _sites_page(form, status=400 if form.errors else 200)


@bp.route("/admin/relays/<path:name>/disable", methods=["POST"])
@requires(Permission.MANAGE_RELAYS)
def disable(name: str) -> Response:
    """Stop a site's id and key for good."""
    try:
        changed = relay.disable_site(name, by=acting_user())
    except relay.RelayError as exc:
        flash(messages.refusal_text(exc), "error")
        return redirect(url_for("relay.sites"))
    flash(_("%(name)s is disabled: its id and key no longer work.", name=name) if changed
          else _("%(name)s was already disabled.", name=name), "success")
    return redirect(url_for("relay.sites"))
