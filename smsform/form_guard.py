"""Checks on posted input that forms cannot make, because Werkzeug has already smoothed it.

- Bytes that are not UTF-8: Werkzeug turns them into U+FFFD (multipart) or back into
  literal ``%C3(`` text (URL-encoded), so ``msg=%C3%28`` would be sent as four other
  characters. The raw body and query string are checked instead; a request with such
  bytes gets 400 before any view runs.
- A single-valued field sent twice (``testflag=N&testflag=Y``): a form reads the first, a
  person may have meant the second (a test turned into a paid send). The send edge
  refuses it with 400.
- The body limit: ``SMSFORM_MAX_BODY_BYTES`` (1 MiB) on every route, except a view marked
  ``takes_list_upload`` (the bulk job's upload), whose posts may be as large as a list
  (``SMSFORM_LIST_MAX_BYTES``, 20 MB, and room for the form's other fields).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Request, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from smsform.current import this_app, this_request
from smsform.errors import ApiError

URLENCODED = "application/x-www-form-urlencoded"
#: The bodies Werkzeug parses into a form (and so may smooth).
_FORMS = (URLENCODED, "multipart/form-data")
#: Bytes a list upload's post may carry besides the list itself (the form's other fields,
#: the multipart boundaries), so a list at the limit is read and one over it is refused by
#: the list reader's own words rather than by a bare 413.
LIST_FORM_ROOM = 256 * 1024


def takes_list_upload(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose posts carry a recipient list: its body (and a pasted list's form
    field) may be as large as SMSFORM_LIST_MAX_BYTES allows, not SMSFORM_MAX_BODY_BYTES."""
    view.takes_list_upload = True  # type: ignore[attr-defined]
    return view


def _list_limit(endpoint: str | None) -> int | None:
    """The body limit of ``endpoint``'s view when it takes a list upload, else None."""
    view = current_app.view_functions.get(endpoint or "")
    if not getattr(view, "takes_list_upload", False):
        return None
    return current_app.extensions["smsform.settings"].list_max_bytes + LIST_FORM_ROOM


class RawFormRequest(Request):
    """Flask's request, keeping a URL-encoded body's bytes when it parses the form (the
    form is parsed from them), so they can be checked as they came.

    A body without a length (chunked) stops being read at ``MAX_CONTENT_LENGTH``; Werkzeug
    would parse what it read of it, so reaching the limit is refused here with 413. A
    refused body then reads as an empty form, so the error page (whose context may look
    at the form) does not refuse it a second time.
    """

    @property
    def max_content_length(self) -> int | None:
        """Flask's per-request limit; a list upload's view (``takes_list_upload``) takes
        the list limit instead of MAX_CONTENT_LENGTH."""
        if self._max_content_length is None and current_app and self.url_rule is not None:
            limit = _list_limit(self.endpoint)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """Flask's limit on one non-file field; a list upload's view lets a pasted list
        be as large as a file."""
        if self._max_form_memory_size is None and current_app and self.url_rule is not None:
            limit = _list_limit(self.endpoint)
            if limit is not None:
                return limit
        return super().max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        try:
            if self.mimetype == URLENCODED:
                data = self.get_data(cache=True)  # a too long Content-Length: 413 unread
                limit = self.max_content_length
                if self.content_length is None and limit is not None and len(data) >= limit:
                    raise RequestEntityTooLarge()
            super()._load_form_data()
        except RequestEntityTooLarge:
            self._cached_data = b""
            self.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
            raise


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _pairs_are_utf8(raw: bytes) -> bool:
    """True when every name and value of ``a=b&c=d`` decodes as UTF-8 once unquoted.

    The whole is unquoted at once: the separators are ASCII, which no UTF-8 sequence holds
    and no ``%XX`` escape spans, so the whole decodes exactly when every part does."""
    if b"%" not in raw:
        return _utf8(raw)
    return _utf8(unquote_to_bytes(raw.replace(b"+", b" ")))


def undecodable_part() -> str | None:
    """Where the request holds bytes that are not UTF-8 (``query`` or ``body``), or None."""
    if not _pairs_are_utf8(request.query_string):
        return "query"
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.mimetype == URLENCODED:
        request.form  # noqa: B018 - parse it (and cache the bytes) if nothing has yet
        raw = request.get_data(cache=True)
        return None if _pairs_are_utf8(raw) else "body"
    if request.mimetype == "multipart/form-data":
        values = [*request.form.keys(), *(v for vs in request.form.listvalues() for v in vs)]
        return "body" if any("\ufffd" in v for v in values) else None
    return None


def refuse_undecodable() -> None:
    """Answer 400 when the query string or a posted form holds bytes that are not UTF-8
    (not on views that read the raw body themselves: the relay reads Cafe24's wire)."""
    req = this_request()  # on every request: the object, not the proxy (smsform.current)
    if not req.query_string and req.mimetype not in _FORMS:
        return  # nothing Werkzeug would smooth (a JSON body is read by its own parser)
    view = this_app().view_functions.get(req.endpoint or "")
    if getattr(view, "reads_raw_body", False):
        return
    if undecodable_part() is not None:
        raise ApiError(400, "invalid_encoding", _(
            "The request holds bytes that are not UTF-8 text; nothing was done. "
            "Send the form as UTF-8."))


def refuse_repeated(names: Iterable[str]) -> None:
    """Answer 400 when any of ``names``, each one value in the form, came more than once."""
    form = request.form
    if all(len(values) == 1 for values in dict.values(form)):  # a MultiDict's value lists
        return
    repeated = sorted(name for name in names if len(form.getlist(name)) > 1)
    if repeated:
        message = _("Each of these fields may be sent only once: %(fields)s. Nothing was sent.",
                    fields=", ".join(repeated))
        raise ApiError(400, "repeated_field", message,
                       fields={name: [message] for name in repeated})
