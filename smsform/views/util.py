"""Small helpers shared by the views."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from config import origin
from smsform.errors import ApiError
from smsform.permissions import Permission
from smsform.services.audit import AuditActor
from smsform.services.visibility import Reader


def acting_user() -> AuditActor:
    """The signed-in user as the audit names them, with the request's address."""
    return AuditActor(current_user.username, current_user.id, request.remote_addr)


def numbers_masked() -> bool:
    """True when the signed-in user sees every recipient number masked (viewers)."""
    return not current_user.can(Permission.SEE_NUMBERS)


#: An address in a failure's own words (the client names the gateway's URL, e.g. "could
#: not connect to https://sslsms.cafe24.com").
_ADDRESS = re.compile(r"https?://[^\s,;()]+")


def failure_detail(detail: str | None) -> str | None:
    """A logged failure's own words as the signed-in user may see them: with the gateway's
    address for those who may check the gateway (as /gateway shows it), else with the
    address written as "the gateway"."""
    if not detail or current_user.can(Permission.CHECK_GATEWAY):
        return detail
    return _ADDRESS.sub("the gateway", detail)


def log_reader() -> Reader:
    """The signed-in user (or token) as the send log's visibility rule sees them."""
    return Reader(current_user.id, current_user.role)


def refuse_number_search(searching_by_number: bool) -> None:
    """A viewer may not search by number: the masked digits would be guessed in turn (a
    sender's search finds only their own sends: services.visibility)."""
    if searching_by_number and not log_reader().searches_people:
        raise ApiError(403, "numbers_hidden", _(
            "Searching by phone number needs the right to see numbers; viewers see them "
            "masked. Search by words of the text instead."))


def split_url(url: str) -> SplitResult | None:
    """``url``'s parts, or None when it cannot be read (``http://[::1`` raises ValueError in
    urlsplit): a link from outside is never trusted to parse."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after sign-in, or None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers and Werkzeug drop tabs and newlines, so "/\t/evil" would become "//evil".
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    parts = split_url(target)
    return target if parts is not None and not parts.scheme and not parts.netloc else None


def safe_return_url(target: str | None) -> str | None:
    """``returnurl`` if it is a path on this site, or an absolute URL whose scheme, host and
    port are those of SMSFORM_PUBLIC_ORIGIN or an SMSFORM_RETURN_HOSTS entry, else None.

    The request's ``Host`` header is never trusted for this: anyone can send any.
    """
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    if safe_next(target):
        return target
    parts = split_url(target)
    if parts is None or parts.username is not None or parts.password is not None:
        return None  # https://shop.example.com@evil.example/ reads as the shop to a person
    allowed = current_app.extensions["smsform.settings"].return_origins
    found = origin(target)
    return target if found is not None and found in allowed else None
