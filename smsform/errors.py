"""The one error path: ``ApiError`` for answers that end a request, one handler for all.

A view that cannot go on raises ``ApiError`` (or Werkzeug's ``abort``); the handler here
answers in JSON when the caller wants JSON (or the view only speaks JSON) and with the
error page otherwise. No view builds an error body by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

#: HTTP statuses in words for a person, by status code.
_STATUS_TEXT: dict[int, Callable[[], str]] = {
    400: lambda: _("The request could not be processed. Reload the page and try again."),
    401: lambda: _("Sign in first."),
    403: lambda: _("You are not allowed to do this."),
    404: lambda: _("Page not found."),
    405: lambda: _("This address does not accept that method."),
    409: lambda: _("This was already done; it was not done again."),
    413: lambda: _("The request is too large."),
    429: lambda: _("Too many attempts; wait a moment and try again."),
}


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


def _respond(error: ApiError) -> Response | tuple[Any, int]:
    if _answers_json():
        response = jsonify(error.body())
    else:
        response = current_app.make_response(
            render_template("errors/error.html", error=error))
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def from_http(exc: HTTPException) -> ApiError:
    """The ApiError for a Werkzeug HTTP exception (abort(403), 404, CSRF failures, ...)."""
    status = exc.code or 500
    text = _STATUS_TEXT.get(status)
    code = "csrf" if isinstance(exc, CSRFError) else (exc.name or "error").lower().replace(
        " ", "_")
    headers = dict(exc.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    return ApiError(status, code, text() if text else (exc.description or exc.name),
                    headers=headers)


def init_app(app: Flask) -> None:
    """Register the one handler for ApiError and for every HTTP error."""
    app.register_error_handler(ApiError, _respond)
    app.register_error_handler(HTTPException, lambda exc: _respond(from_http(exc)))
