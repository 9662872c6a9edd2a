"""Words for the gateway itself: what went wrong on the way to it, a look-up's failure, the
rows of its result list, and the dashboard's gateway check."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from cafe24.answers import ResultRow
from cafe24.codes import CodeInfo
from cafe24.errors import (
    Cafe24Error,
    ConnectFailed,
    ConnectionDropped,
    GatewayRefused,
    HTTPStatusError,
    ResponseTimeout,
    UnreadableResponse,
)
from smsform.messages.common import language, word_for
from smsform.services.gateway_check import Check, Report

# sendStatus and sendType of a result row (cafe24.answers.ROW_STATUSES, ROW_SEND_TYPES).
ROW_STATUS_WORDS = {
    "1": _l("sending requested"),
    "2": _l("reservation requested"),
    "3": _l("delivered"),
    "9": _l("failed"),
}
ROW_SEND_TYPE_WORDS = {"I": _l("immediate"), "R": _l("reserved")}


def transport_text(exc: Cafe24Error) -> str:
    """What went wrong between us and the gateway, in the reader's language (the library's
    own message, English and for developers, stays in the send log's detail)."""
    if isinstance(exc, ConnectFailed):
        return _("no connection could be made")
    if isinstance(exc, ResponseTimeout):
        return _("no complete answer came in time")
    if isinstance(exc, ConnectionDropped):
        return _("the connection broke before the answer came")
    if isinstance(exc, HTTPStatusError):
        return _("the gateway answered HTTP %(status)s", status=exc.status_code or "?")
    if isinstance(exc, UnreadableResponse):
        return _("the answer was not in the gateway's format")
    return _("the request to the gateway failed")  # exc.message names its address


def gateway_failure_text(exc: Cafe24Error,
                         describe: Callable[[str], CodeInfo] | None = None) -> str:
    """Why a gateway look-up failed, for a person: the code's meaning when the gateway
    refused (``describe`` picks the table), else that no usable answer came."""
    if isinstance(exc, GatewayRefused):
        if describe is not None:
            return describe(exc.code).text(language())
        return _("Check the SMS id and key.")
    if isinstance(exc, UnreadableResponse):
        return _("The gateway answered, but the answer was not in the gateway's format, so "
                 "nothing of it can be shown. Try again later.")
    return _("No answer from the gateway: %(detail)s", detail=transport_text(exc))


def credit_failure_text(exc: Cafe24Error) -> str:
    """Why the dashboard shows no credit: one sentence of what happened, then what the
    gateway's code means or what to do (never a sentence inside another)."""
    if isinstance(exc, GatewayRefused):
        return _("The gateway would not say how much credit is left. %(meaning)s",
                 meaning=codes.describe_remain(exc.code).text(language()))
    if isinstance(exc, UnreadableResponse):
        return _("The gateway's answer about the credit left was not in its format, so it "
                 "cannot be shown. Try again later.")
    return _("The gateway did not say how much credit is left (%(detail)s). Try again in a "
             "moment.", detail=transport_text(exc))


def list_throttled_text(wait: int) -> str:
    """Why the result list is not asked now: this user's pages asked it too often."""
    return ngettext(
        "The gateway's result list was asked too often: try again in %(seconds)s second. A page "
        "of SMS and LMS together asks it twice, and each later page more: choose SMS or LMS "
        "to page far back.",
        "The gateway's result list was asked too often: try again in %(seconds)s seconds. A page "
        "of SMS and LMS together asks it twice, and each later page more: choose SMS or LMS "
        "to page far back.", wait, seconds=format_number(wait))


def row_status_text(row: ResultRow) -> str:
    """A result row's delivery status in words."""
    word = ROW_STATUS_WORDS.get(row.status)
    return str(word) if word is not None else _("unknown (%(status)s)", status=row.status)


def row_send_type_text(row: ResultRow) -> str:
    """A result row's send type (immediate or reserved) in words; an unknown code as it is."""
    return word_for(ROW_SEND_TYPE_WORDS, row.send_type)


def delivery_text(code: str) -> str:
    """What a result row's delivery code (``resultCode``) means, from the library's table."""
    return codes.describe_delivery(code).text(language())


def gateway_check_value(name: str, value: object) -> str:
    """What a passed look-up found, in words."""
    if name == "remaining" and isinstance(value, int):
        return ngettext("%(count)s credit left", "%(count)s credits left", value,
                        count=format_number(value))
    if name == "senders" and isinstance(value, list):
        return ngettext("%(count)s registered number: %(numbers)s",
                        "%(count)s registered numbers: %(numbers)s", len(value),
                        count=format_number(len(value)), numbers=", ".join(value)
                        ) if value else _("No registered number")
    if name == "results" and isinstance(value, int):
        return ngettext("%(count)s message today", "%(count)s messages today", value,
                        count=format_number(value))
    return str(value)


def _refused_text(check: Check, report: Report) -> tuple[str, list[str]]:
    """A gateway code other than -102: its meaning from the library's table."""
    if check.name == "senders":
        return _("The gateway refused to list the sender numbers (answer %(code)s).",
                 code=check.code), [
            _("This look-up uses the same SMS id and key: when the other look-ups fail with "
              "-102, fix the id and key first.")]
    describe = codes.describe_remain if check.name == "remaining" else codes.describe_list
    return _("The gateway refused the look-up with code %(code)s: %(meaning)s",
             code=check.code, meaning=describe(check.code or "").text(language())), []


def _auth_text(check: Check, report: Report) -> tuple[str, list[str]]:
    """-102: the causes the gateway's documentation and its users know."""
    return _("The gateway refused the SMS id and key (-102, authentication failed). The "
             "network is fine: the gateway answered. One of these is the cause:"), [
        _("The SMS id or the key in the settings is wrong: compare CAFE24_SMS_USER_ID "
          "(now %(user_id)s) and CAFE24_SMS_SECURE_KEY with Cafe24's My service management "
          "> Source examples page, character for character, with no spaces.",
          user_id=report.user_id),
        _("The key was reissued at Cafe24: a new key replaces the old one at once. Put the "
          "new key in CAFE24_SMS_SECURE_KEY and restart the app."),
        _("The account may not use the API: sending through your own site must be allowed "
          "for this SMS account. Check the SMS service's settings at Cafe24 or ask Cafe24's "
          "support."),
    ]


def _no_senders_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("No sender number is registered, so nothing can be sent: the gateway refuses "
             "an unregistered sender with -114."), [
        _("Register a number at Cafe24 under My service management > Sender numbers. Korean "
          "law requires every sender number to be registered in advance."),
        _("Only numbers whose registration is complete are listed; a number under review "
          "appears here once Cafe24 approves it."),
    ]


def _connect_text(check: Check, report: Report) -> tuple[str, list[str]]:
    causes = [_("Cafe24 may be down or under maintenance: try again in a few minutes."),
              _("This server may not reach %(url)s (a firewall, a proxy or DNS): check that "
                "it can open that address.", url=report.base_url)]
    if not report.default_base_url and not report.simulated:
        causes.append(_("CAFE24_SMS_BASE_URL is set to %(url)s, not the usual "
                        "https://sslsms.cafe24.com: check the address.", url=report.base_url))
    return _("Could not connect to %(url)s: the connection was refused or timed out, or the "
             "name or the certificate did not check out. The gateway was never reached, so "
             "this is an outage or a network problem, not the SMS id or key.",
             url=report.base_url), causes


def _read_timeout_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("%(url)s took the connection but gave no answer within %(seconds)s seconds. "
             "The gateway is slow or down: an outage, not the settings.",
             url=report.base_url, seconds=format_number(report.read_timeout)), [
        _("Try again in a few minutes. A send at such a moment has an unknown outcome: check "
          "the results before sending it again.")]


def _dropped_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("The connection to %(url)s broke before an answer came. This is an outage or "
             "a network problem (a proxy, a firewall or an unstable line), not the settings.",
             url=report.base_url), []


def _http_status_text(check: Check, report: Report) -> tuple[str, list[str]]:
    status = check.status_code or 0
    if status >= 500:
        return _("%(url)s answered HTTP %(status)s, a server error on the gateway's side (or "
                 "of a proxy in front of it). This is an outage, not the settings: try again "
                 "later.", url=report.base_url, status=status), []
    return _("%(url)s answered HTTP %(status)s instead of the gateway's answer: the address "
             "may be wrong (CAFE24_SMS_BASE_URL), or a proxy in between refused the request.",
             url=report.base_url, status=status), []


def _unreadable_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("%(url)s answered, but not in the gateway's format (for example a maintenance "
             "page, or the page of a proxy in between). This is an outage or something in the "
             "way, not the SMS id or key. The answer is in the server's log, with the key "
             "removed.", url=report.base_url), []


def _transport_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("The exchange with %(url)s failed. This is a network problem or an outage, not "
             "the settings.", url=report.base_url), []


def _skipped_text(check: Check, report: Report) -> tuple[str, list[str]]:
    return _("Not asked: the look-up above found the gateway out of reach, and asking again "
             "now would only wait as long. Check again in a few minutes."), []


_CHECK_TEXTS = {
    "skipped": _skipped_text,
    "auth": _auth_text, "refused": _refused_text, "no_senders": _no_senders_text,
    "connect": _connect_text, "read_timeout": _read_timeout_text, "dropped": _dropped_text,
    "http_status": _http_status_text, "unreadable": _unreadable_text,
    "transport": _transport_text,
}


def gateway_check_text(check: Check, report: Report) -> tuple[str, list[str]]:
    """What a look-up's failure (or an empty sender list) means, and its likely causes;
    ``check`` and ``report`` come from ``services.gateway_check``."""
    words = _CHECK_TEXTS.get(str(check.kind))
    return words(check, report) if words is not None else ("", [])
