"""The one error path: ``ApiError`` for answers that end a request, one handler for all.

A view that cannot go on raises ``ApiError`` (or Werkzeug's ``abort``); the handler here
answers in JSON when the caller wants JSON (or the view only speaks JSON) and with the
error page otherwise. No view builds an error body by hand.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError, StatementError
from werkzeug.exceptions import HTTPException, InternalServerError

from smsform import database, logs
from smsform.current import this_g
from smsform.extensions import db
from smsform.i18n import accepted_language
from smsform.permissions import Permission
from smsform.services.sending import SendResult, gateway_was_called

log = logs.get("errors")
#: Seconds a caller is asked to wait after the database was busy or out of reach.
DATABASE_RETRY_AFTER = 5

#: HTTP statuses in words for a person, by status code.
_STATUS_TEXT: dict[int, Callable[[], str]] = {
    400: lambda: _("The request could not be processed. Reload the page and try again."),
    401: lambda: _("Sign in first."),
    403: lambda: _("Your role does not allow this. If you need it, ask an administrator to "
                   "change your role; the menu shows what you may open."),
    404: lambda: _("There is nothing at this address. Check the address, or go on from the "
                   "menu."),
    405: lambda: _("This address does not accept that method."),
    409: lambda: _("This was already done; it was not done again."),
    413: lambda: _("The request is too large."),
    429: lambda: _("Too many attempts; wait a moment and try again."),
    500: lambda: _("Something went wrong on this server. What you asked may not have been "
                   "done; if you were sending, check the send log before sending again."),
}


#: An error page's heading: what happened, in words (its message says what to do).
_HEADINGS: dict[int, Callable[[], str]] = {
    400: lambda: _("The request could not be processed"),
    401: lambda: _("Sign in first"),
    403: lambda: _("You may not open this"),
    404: lambda: _("Page not found"),
    405: lambda: _("Not possible at this address"),
    409: lambda: _("Already done"),
    413: lambda: _("The request is too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
    502: lambda: _("No usable answer from the gateway"),
    503: lambda: _("Not available right now"),
}


def error_heading(error: ApiError) -> str:
    """The heading of an error page: never a bare status number."""
    if error.code == "csrf":
        return _("The page has expired")
    words = _CODE_TITLES.get(error.code) or _HEADINGS.get(error.status) or _TITLES.get(
        error.status)
    return (words or _HEADINGS[500])()


def status_text(status: int) -> str:
    """An HTTP status in words for a person ('' for one without words of its own)."""
    words = _STATUS_TEXT.get(status)
    return words() if words is not None else ""


def wants_json() -> bool:
    """True when the caller prefers JSON to HTML (or asked with ``?format=json``)."""
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def json_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose answers, errors included, are always JSON."""
    view.json_only = True  # type: ignore[attr-defined]
    return view


def on_expired_form(render: Callable[[str], Any]) -> Callable[[Callable[..., Any]],
                                                                Callable[..., Any]]:
    """Mark a form view: when its post fails the CSRF check (the page was open too long, or
    the session ended), ``render(message)`` answers instead of the error page, with the form
    as it was typed and a fresh token (status 400); it may return None to fall back."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.expired_form = render  # type: ignore[attr-defined]
        return view

    return mark


def _answers_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "json_only", False) or wants_json()


class ApiError(Exception):
    """A request that ends in an error: an HTTP status, a stable code and words for a person.

    ``fields`` maps a field name to its problems; ``extra`` adds keys to the JSON body
    (and is handed to the error page), e.g. ``previous`` for a repeated send.
    """

    def __init__(self, status: int, code: str, message: str, *,
                 fields: Mapping[str, list[str]] | None = None,
                 extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``result``, ``code``, ``message``, ``errors`` when any, extras."""
        body: dict[str, Any] = {"result": "error", "code": self.code, "message": self.message}
        if self.fields:
            body["errors"] = self.fields
        body.update(self.extra)
        return body


def _retry_url(error: ApiError) -> str | None:
    """For an expired page: this address, when it shows the page again on GET."""
    rule = request.url_rule
    if error.code != "csrf" or rule is None or "GET" not in (rule.methods or ()):
        return None
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _respond(error: ApiError) -> Response | tuple[Any, int]:
    if _answers_problem():
        return _problem(error)
    if _answers_json():
        response = jsonify(error.body())
    else:
        response = current_app.make_response(
            render_template("errors/error.html", error=error, heading=error_heading(error),
                            retry_url=_retry_url(error), links=_page_links()))
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _may_not_send() -> bool:
    """True when this request's view needs the right to send and the signed-in person's
    role does not have it (a viewer on the form)."""
    view = current_app.view_functions.get(request.endpoint or "")
    required = getattr(view, "required_permissions", ())
    return (Permission.SEND in required and current_user.is_authenticated
            and not current_user.can(Permission.SEND))


def _page_links() -> list[tuple[str, str]]:
    """Where the error page leads: back to the form for those who may send (and for those
    not signed in, whom it sends to sign in), else to the pages the person's role opens."""
    if not current_user.is_authenticated or current_user.can(Permission.SEND):
        return [(url_for("send.smsform"), _("Back to the form"))]
    links = [(url_for("dashboard.index"), _("To the dashboard"))]
    if current_user.can(Permission.VIEW):
        links.append((url_for("sends.index"), _("To the send log")))
    return links


def from_http(exc: HTTPException) -> ApiError:
    """The ApiError for a Werkzeug HTTP exception (abort(403), 404, CSRF failures, ...)."""
    status = exc.code or 500
    text = _STATUS_TEXT.get(status)
    code = "csrf" if isinstance(exc, CSRFError) else (exc.name or "error").lower().replace(
        " ", "_")
    headers = dict(exc.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    if isinstance(exc, CSRFError):
        return ApiError(status, code, expired_text(kept=False))
    if status == 403 and _may_not_send():
        return ApiError(status, code, _(
            "Your role may not send messages. You can see the dashboard and the send log; "
            "an administrator can give you the sender role."))
    return ApiError(status, code, text() if text else (exc.description or exc.name),
                    headers=headers)


def expired_text(kept: bool) -> str:
    """What a failed CSRF check means to a person: the page expired (not "signed out")."""
    if kept:
        return _("This page has expired, so nothing was done. What you typed is kept below: "
                 "check it and submit again.")
    return _("This page has expired, so nothing was done. Open it again and repeat what you "
             "were doing.")


def _expired(exc: CSRFError) -> Response | tuple[Any, int]:
    """A failed CSRF check: the form again where its view can show it (HTML callers), else
    the error page or JSON error saying the page expired."""
    view = current_app.view_functions.get(request.endpoint or "")
    render = getattr(view, "expired_form", None)
    if render is not None and not _answers_json():
        answer = render(expired_text(kept=True))
        if answer is not None:
            response = current_app.make_response(answer)
            response.status_code = 400
            return response
    return _respond(from_http(exc))


def init_app(app: Flask) -> None:
    """Register the one handler for ApiError and for every HTTP error."""
    app.register_error_handler(ApiError, _respond)
    app.register_error_handler(CSRFError, _expired)
    app.register_error_handler(HTTPException, _respond_http)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(SQLAlchemyError, _database_error)

    @app.before_request
    def nothing_sent_yet() -> None:
        """A request starts with no gateway call made (an app context can outlive one)."""
        this_g().pop(_GATEWAY_CALLED, None)


_GATEWAY_CALLED = "smsform_gateway_called"


def after_send(result: SendResult) -> SendResult:
    """Note, for this request's error handler, a send whose message may have reached the
    gateway: a database failure from here on says it may have gone, never that nothing was
    sent. Every edge that calls ``sending.submit`` in a request passes its result through
    here (the service knows no request)."""
    if result.gateway_called:
        this_g().setdefault(_GATEWAY_CALLED, True)
    return result


def _after_a_send(exc: BaseException) -> bool:
    """True when this request handed a message to the gateway before ``exc``."""
    return bool(g.get(_GATEWAY_CALLED)) or gateway_was_called(exc)


def database_not_created_text() -> str:
    """What a page and a shell command say when the database has none of its tables yet."""
    return _("The database has not been created: run flask --app app upgrade-db")


def _database_missing() -> bool:
    """True when a failed statement met a database that was never created (no tables);
    False when it has its tables, or cannot be asked (then it is out of reach, or busy)."""
    db.session.rollback()  # the request's transaction failed (PostgreSQL: aborted)
    try:
        return not database.created()
    except SQLAlchemyError:
        return False


def _not_created_error() -> ApiError:
    log.error("The database has not been created: run flask --app app upgrade-db (%s %s)",
              request.method, request.path)
    return ApiError(503, "database_not_created", database_not_created_text())


def _database_unavailable(exc: OperationalError) -> Response | tuple[Any, int]:
    """The database was locked past the busy timeout or could not be reached: the request's
    transaction did not commit, so nothing was done (a send's intent is written before the
    gateway call, so nothing was sent; an outcome that could not be written is handled by
    the send service). 503 with Retry-After, never a 500; once this request has handed a
    message to the gateway, it says the message may have gone and asks for no retry. A view
    with a ``database_unavailable`` attribute answers in its own format. A database that
    was never created (SQLite: "no such table") says how to create it instead."""
    if _database_missing():
        return _database_answer(_not_created_error)
    # Never the exception's text: it holds the statement and its parameters (texts, numbers).
    log.error("database unavailable in %s %s: %s", request.method, request.path,
              type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
    return _database_answer(lambda: _unavailable_error(exc))


def _unavailable_error(exc: OperationalError) -> ApiError:
    if _after_a_send(exc):  # a message may have gone out before it failed
        return ApiError(503, "database_unavailable_after_send", _(
            "The database failed after the message was handed to the gateway, so it may "
            "have been sent. Do not send it again before checking the send log and the "
            "results."))
    return ApiError(503, "database_unavailable", _(
        "The database is busy or cannot be reached, so nothing was done and nothing "
        "was sent. Try again in a moment."),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


def _database_answer(make: Callable[[], ApiError]) -> Response | tuple[Any, int]:
    """The database's failure as the view's own format, a problem, JSON or the error page."""
    view = current_app.view_functions.get(request.endpoint or "")
    own = getattr(view, "database_unavailable", None)
    if own is not None:  # a view that answers in a format of its own (the relay's wire),
        return own(make())  # with the error's headers: Retry-After only if nothing was sent
    with force_locale(accepted_language()) if _answers_problem() else nullcontext():
        error = make()
    try:
        return _respond(error)
    except SQLAlchemyError:  # the error page itself needs the database (the signed-in user)
        return Response(error.message, 503, headers=error.headers,
                        mimetype="text/plain")


def _database_error(exc: SQLAlchemyError) -> Response | tuple[Any, int]:
    """Any other database error (a value a column refuses, a broken constraint): a 500
    through the one path. Logged by its kind and where it was raised, never by its text:
    that holds the statement, and a driver's detail can quote the values (a duplicate key's
    value, say), even with the engine's ``hide_parameters``. A statement PostgreSQL could
    not run on a database never created (no such table) says how to create it."""
    if isinstance(exc, ProgrammingError) and _database_missing():
        return _database_answer(_not_created_error)
    wrapped = exc.orig if isinstance(exc, StatementError) else None
    origin = type(wrapped).__name__ if wrapped is not None else "-"
    log.error("database error in %s %s: %s (%s)\n%s", request.method, request.path,
              type(exc).__name__, origin,
              "".join(traceback.format_tb(exc.__traceback__)).rstrip())
    return _respond_http(InternalServerError(original_exception=exc))


def _respond_http(exc: HTTPException) -> Response | tuple[Any, int]:
    """An HTTP error (404, 405, 413, 429, 500, ...) through the one path; a server failure
    on a view with a ``server_failure`` attribute in that view's own format (the relay's
    wire)."""
    if exc.code == 500:
        view = current_app.view_functions.get(request.endpoint or "")
        own = getattr(view, "server_failure", None)
        if own is not None:
            return own()
    return _problem(exc) if _answers_problem() else _respond(from_http(exc))


# --- RFC 9457 problem details: the token API's errors ---------------------------------

PROBLEM_JSON = "application/problem+json"
#: Every JSON answer's content type (app.JSONProvider writes UTF-8 as it is).
JSON_UTF8 = "application/json; charset=utf-8"
#: Each problem's ``type``: this, then its code (the API reference page describes them).
PROBLEM_TYPES = "/static/api/index.html#problem-"
_PREFIXES = "smsform.problem_prefixes"

#: A problem's ``title``: the same for every occurrence of a status.
_TITLES: dict[int, Callable[[], str]] = {
    400: lambda: _("Invalid request"),
    401: lambda: _("Authentication required"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    409: lambda: _("Conflict"),
    413: lambda: _("Request too large"),
    415: lambda: _("Unsupported media type"),
    422: lambda: _("Not sent"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Server error"),
    502: lambda: _("Gateway answer missing"),
    503: lambda: _("Gateway unavailable"),
}
def _database_unavailable_title() -> str:
    return _("Database unavailable")


#: A title of its own where the status's would mislead.
_CODE_TITLES: dict[str, Callable[[], str]] = {
    "database_unavailable": _database_unavailable_title,
    "database_unavailable_after_send": _database_unavailable_title,
    "database_not_created": lambda: _("Database not created"),
}


def answer_problems_under(app: Flask, prefix: str) -> None:
    """Answer every error of a path under ``prefix`` (routed or not) as a problem."""
    app.extensions.setdefault(_PREFIXES, []).append(prefix)


def _answers_problem() -> bool:
    return request.path.startswith(tuple(current_app.extensions.get(_PREFIXES, ())))


def problem_body(error: ApiError) -> dict[str, Any]:
    """The RFC 9457 body: ``type``, ``title``, ``status``, ``detail``, ``code``, the
    per-field ``errors`` when any, and the error's extra members."""
    title = _CODE_TITLES.get(error.code) or _TITLES.get(error.status)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + error.code, "status": error.status, "code": error.code,
        "title": title() if title else str(error.status), "detail": error.message}
    if error.fields:
        body["errors"] = error.fields
    body.update(error.extra)
    return body


def _problem(error: ApiError | HTTPException) -> Response:
    """An error as ``application/problem+json``, worded in the caller's language."""
    with force_locale(accepted_language()):
        if isinstance(error, HTTPException):
            error = from_http(error)
        body = problem_body(error)
    response = current_app.response_class(current_app.json.dumps(body), status=error.status,
                                          mimetype=f"{PROBLEM_JSON}; charset=utf-8")
    response.headers.update(error.headers)
    return response

