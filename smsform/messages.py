"""Words for what the gateway library reports: the one place codes become sentences.

The library (``cafe24/``) reports problems, send outcomes and result rows as codes with
parameters. Each code gets an English sentence here, which is its message id; the Korean
lives in ``translations/ko`` like every other text. Numbers are written for the locale
("2,015"), and a sentence whose words follow a count goes through ``ngettext``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from flask_babel import force_locale, format_number, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from cafe24.answers import ResultRow, SendOutcome, SendStatus
from cafe24.codes import CodeInfo
from cafe24.errors import (
    Cafe24Error,
    ConnectFailed,
    ConnectionDropped,
    GatewayRefused,
    HTTPStatusError,
    InvalidRequest,
    ResponseTimeout,
    UnreadableResponse,
)
from cafe24.schedule import KST
from cafe24.text import Problem
from smsform.models import in_korea
from smsform.services.accounts import AccountError
from smsform.services.gateway_check import Check, Report
from smsform.services.query_args import FilterProblem
from smsform.services.relay import RelayError
from smsform.services.sending import Previous, SendResult, Status

log = logging.getLogger(__name__)

# Problems worded the same whatever their numbers are.
PROBLEM_SENTENCES = {
    "msg_empty": _l("Please enter a message"),
    "msg_too_long": _l("The message is too long: %(length)s bytes / at most %(limit)s bytes"),
    "refused_char": _l("The gateway refuses '됬' (error -202); please write '됐' instead"),
    "subject_too_long": _l("The subject is too long: %(length)s bytes / at most %(limit)s bytes "
                           "(%(hangul)s Hangul characters)"),
    "subject_line_break": _l("The subject must be one line: remove the line break."),
    "name_refused_char": _l("The gateway refuses '됬' in the names list (error -202); "
                            "please write '됐' instead"),
    "name_placeholder_without_destination": _l(
        "To use {name}, list recipients as 'number|name' under names (destination)."),
    "no_sender": _l("Choose a sender number."),
    "invalid_sender": _l("The sender number is not valid."),
    "both_recipient_fields": _l("Use either rphone or destination, not both."),
    "no_recipients": _l("Please enter at least one recipient number"),
    "too_many_recipients": _l("Too many recipients: %(count)s / at most %(limit)s per send"),
    "reservation_incomplete": _l("To reserve, please enter both a date and a time"),
    "reservation_date_invalid": _l("The reservation date is not valid"),
    "reservation_time_invalid": _l("The reservation time is not valid"),
    "repeat_num": _l("The repeat count must be a whole number from %(min)s to %(max)s"),
    "repeat_time": _l("The repeat interval must be a whole number of minutes from %(min)s "
                      "to %(max)s (%(hours)s hours)"),
}

# Problems whose words follow a count: the parameter that holds it, and the sentence.
PROBLEM_COUNTED: dict[str, tuple[str, Callable[..., str]]] = {
    "unsupported_chars": ("count", lambda n, **v: ngettext(
        "This character cannot be sent in EUC-KR: %(chars)s",
        "These characters cannot be sent in EUC-KR: %(chars)s", n, **v)),
    "name_unsupported_chars": ("count", lambda n, **v: ngettext(
        "The names list has a character that cannot be sent in EUC-KR: %(chars)s",
        "The names list has characters that cannot be sent in EUC-KR: %(chars)s", n, **v)),
    "control_chars": ("count", lambda n, **v: ngettext(
        "Remove this control character, which no phone shows: %(chars)s",
        "Remove these control characters, which no phone shows: %(chars)s", n, **v)),
    "name_control_chars": ("count", lambda n, **v: ngettext(
        "The names list has a control character, which no phone shows: %(chars)s",
        "The names list has control characters, which no phone shows: %(chars)s", n, **v)),
    "name_placeholder_without_names": ("count", lambda n, **v: ngettext(
        "The message uses {name} but %(count)s recipient has no name",
        "The message uses {name} but %(count)s recipients have no name", n, **v)),
    "invalid_phone": ("count", lambda n, **v: ngettext(
        "This is not a valid phone number: %(numbers)s",
        "These are not valid phone numbers: %(numbers)s", n, **v)),
    "reservation_too_soon": ("minutes", lambda n, **v: ngettext(
        "The reservation must be at least %(minutes)s minute from now",
        "The reservation must be at least %(minutes)s minutes from now", n, **v)),
    "reservation_too_far": ("days", lambda n, **v: ngettext(
        "The reservation must be at most %(days)s day from now",
        "The reservation must be at most %(days)s days from now", n, **v)),
}

# sendStatus and sendType of a result row (cafe24.answers.ROW_STATUSES, ROW_SEND_TYPES).
ROW_STATUS_WORDS = {
    "1": _l("sending requested"),
    "2": _l("reservation requested"),
    "3": _l("delivered"),
    "9": _l("failed"),
}
ROW_SEND_TYPE_WORDS = {"I": _l("immediate"), "R": _l("reserved")}


def _lang() -> str:
    """The language of this request, for the library's own two-language code tables."""
    locale = get_locale()
    return locale.language if locale is not None else "ko"


def _values(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters as a sentence shows them: whole numbers written for the locale."""
    return {name: format_number(value) if isinstance(value, int) and not isinstance(value, bool)
            else value for name, value in params.items()}


def problem_text(problem: Problem) -> str:
    """The problem as a sentence in the request's language."""
    values = _values(problem.params)
    counted = PROBLEM_COUNTED.get(problem.code)
    if counted is not None:
        count_param, sentence = counted
        return sentence(int(problem.params[count_param]), **values)
    sentence = PROBLEM_SENTENCES.get(problem.code)
    if sentence is None:  # a code added to the library but not here: tests/test_messages.py
        log.error("no sentence for problem code %r", problem.code)
        return str(problem)
    return str(sentence) % values


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
    return exc.message


def outcome_text(outcome: SendOutcome) -> str:
    """What the gateway's answer to a send means, for a person."""
    if outcome.status is SendStatus.UNKNOWN:
        detail = transport_text(outcome.error) if outcome.error else ""
        return _("Unknown whether the message was sent: the gateway's answer was lost "
                 "(%(detail)s). Check the results page before sending again.", detail=detail)
    if outcome.info is not None:
        return outcome.info.text(_lang())
    # Never the gateway's body: it may echo the request (the key, the numbers, the text).
    return codes.describe_send(outcome.code or "").text(_lang())


def not_sent_text(exc: Cafe24Error) -> str:
    """Why a send certainly did not leave: a rule it breaks, or no gateway to reach."""
    if isinstance(exc, InvalidRequest):
        detail = "; ".join(problem_text(p) for p in exc.problems) or exc.message
        return _("Not sent: the request breaks a gateway rule (%(detail)s).", detail=detail)
    return _("Could not reach the gateway; nothing was sent (%(detail)s). Try again later.",
             detail=transport_text(exc))


def gateway_failure_text(exc: Cafe24Error,
                         describe: Callable[[str], CodeInfo] | None = None) -> str:
    """Why a gateway look-up failed, for a person: the code's meaning when the gateway
    refused (``describe`` picks the table), else that no usable answer came."""
    if isinstance(exc, GatewayRefused):
        if describe is not None:
            return describe(exc.code).text(_lang())
        return _("Check the SMS id and key.")
    return _("No answer from the gateway: %(detail)s", detail=transport_text(exc))


def row_status_text(row: ResultRow) -> str:
    """A result row's delivery status in words."""
    word = ROW_STATUS_WORDS.get(row.status)
    return str(word) if word is not None else _("unknown (%(status)s)", status=row.status)


def row_send_type_text(row: ResultRow) -> str:
    """A result row's send type (immediate or reserved) in words; an unknown code as it is."""
    word = ROW_SEND_TYPE_WORDS.get(row.send_type)
    return str(word) if word is not None else row.send_type


def delivery_text(code: str) -> str:
    """What a result row's delivery code (``resultCode``) means, from the library's table."""
    return codes.describe_delivery(code).text(_lang())


def send_result_text(result: SendResult) -> str:
    """What became of a submitted send, for a person."""
    if result.outcome is not None:
        return outcome_text(result.outcome)
    if result.error is not None:
        return not_sent_text(result.error)
    return previous_text(result.as_previous())


def previous_text(previous: Previous) -> str:
    """What is known of the first send under a reused token or key."""
    if previous.status is Status.UNKNOWN:
        return _("Unknown whether the message was sent: the gateway's answer was lost "
                 "(%(detail)s). Check the results page before sending again.",
                 detail=previous.detail)
    if previous.status is Status.NOT_SENT:
        return _("Could not reach the gateway; nothing was sent (%(detail)s). Try again later.",
                 detail=previous.detail)
    return codes.describe_send(previous.code or "").text(_lang())


ACCOUNT_SENTENCES = {
    "username_chars": _l("Use only letters, digits and _ . @ -"),
    "username_taken": _l("The user %(username)s exists already."),
    "unknown_role": _l("Unknown role: %(role)s"),
    "username_length": _l("A user name has %(min)s to %(max)s characters."),
    "password_too_short": _l("The password must be at least %(min)s characters."),
    "password_too_long": _l("The password must be at most %(max)s characters."),
    "unknown_user": _l("There is no user %(username)s."),
    "last_admin": _l("%(username)s is the last active administrator: make another "
                     "administrator first."),
    "wrong_current_password": _l("The current password is wrong."),
    "password_unchanged": _l("Choose a new password, not the current one."),
}


def account_error_text(exc: AccountError) -> str:
    """Why an account could not be made or changed."""
    sentence = ACCOUNT_SENTENCES.get(exc.code)
    return str(sentence) % exc.params if sentence is not None else exc.code


#: What each audited action is called on the audit page.
AUDIT_ACTION_WORDS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Failed sign-in"),
    "sign_in_throttled": _l("Sign-in refused (too many failures)"),
    "sign_out": _l("Signed out"),
    "setup": _l("First administrator created"),
    "user_created": _l("User added"),
    "user_role_changed": _l("Role changed"),
    "user_disabled": _l("User disabled"),
    "user_enabled": _l("User enabled"),
    "user_password_reset": _l("Password set by an administrator"),
    "password_changed": _l("Own password changed"),
    "password_change_failed": _l("Wrong current password on the account page"),
    "send_marked": _l("Send outcome marked"),
    "log_purged": _l("Send log purged"),
    "relay_created": _l("Relay site added"),
    "relay_disabled": _l("Relay site disabled"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
}

def audit_action_text(action: str) -> str:
    """An audited action in words (the code itself when it has none)."""
    words = AUDIT_ACTION_WORDS.get(action)
    return str(words) if words is not None else action


def role_text(role: str) -> str:
    """A role's name for a person."""
    words = {"admin": _l("Administrator"), "sender": _l("Sender (sends and looks up)"),
             "viewer": _l("Viewer (looks up only)")}
    return str(words.get(role, role))


# -- the dashboard and the gateway check ---------------------------------------------

#: A logged send's result, as the dashboard's counts name it.
LOG_RESULT_WORDS = {
    "success": _l("Accepted"),
    "reserved": _l("Reserved"),
    "test": _l("Test only"),
    "refused": _l("Refused"),
    "not_sent": _l("Never sent"),
    "unknown": _l("Outcome unknown"),
    "pending": _l("Being sent"),
}


def log_result_text(result: str) -> str:
    """A send log result (``success``, ``unknown``...) in words; an unknown one as it is."""
    word = LOG_RESULT_WORDS.get(result)
    return str(word) if word is not None else result


def result_code_text(result: str, code: str | None) -> str:
    """A send's ending as its result page names it: words, never the raw ``success``; with
    the gateway's number when it gave one (``-114``), which support asks for."""
    words = log_result_text(result)
    if code and code.lstrip("-").isdigit():
        return _("%(words)s (code %(code)s)", words=words, code=code)
    return words


def attention_text(result: str, code: str | None) -> str:
    """What a refused or unknown send means, and what to do about it."""
    if result == "refused":
        return codes.describe_send(code or "").text(_lang())
    return _("The gateway's answer never came, so the message may or may not have gone out. "
             "Look the recipients up in the results before sending again; an administrator "
             "can then mark the send as sent or not sent.")


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
             code=check.code, meaning=describe(check.code or "").text(_lang())), []


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


def audit_detail_text(detail: Mapping[str, object]) -> str:
    """An audited event's details for a person: a role change as "from → to"."""
    if {"from", "to"} <= detail.keys():
        return f"{role_text(str(detail['from']))} → {role_text(str(detail['to']))}"
    return ", ".join(f"{key}: {value}" for key, value in detail.items())


# --- the send log (/sends) -------------------------------------------------------------

#: Why a list page's filter (the send log's, the API list's, the audit trail's) cannot be used.
FILTER_SENTENCES = {
    "repeated": _l("Give this filter once."),
    "control_chars": _l("Control characters are not allowed here."),
    "unknown_user": _l("There is no user named %(name)s."),
    "unknown_result": _l("Unknown result %(value)s; use one of %(choices)s."),
    "q_too_long": _l("The search is too long: at most %(max)s characters."),
    "q_too_many_words": _l("Search for at most %(max)s words at once."),
    "q_word_too_short": _l("Each word must have at least %(min)s characters."),
    "q_word_too_common": _l("%(word)s appears in too many forms to search for; add a letter "
                            "or another word."),
    "bad_date": _l("Write a date as YYYY-MM-DD (for example 2026-03-01), not %(value)s."),
    "date_out_of_range": _l("Choose a date from %(earliest)s to %(latest)s."),
    "dates_reversed": _l("The end date is before the start date."),
    "bad_page": _l("A page is a whole number from 1 to %(max)s."),
    "bad_format": _l("Unknown format; use html, json or csv."),
    "unknown_action": _l("Unknown action: %(value)s"),
    "too_long": _l("At most %(max)s characters."),
}

LOG_MARK_WORDS = {"sent": _l("checked: sent"), "not_sent": _l("checked: not sent")}


def log_filter_text(code: str, params: Mapping[str, object]) -> str:
    """Why a filter of a list page cannot be used."""
    sentence = FILTER_SENTENCES.get(code)
    if sentence is None:
        log.error("no sentence for log filter code %r", code)
        return code
    return str(sentence) % _values(params)


def filter_problems(problems: Iterable[FilterProblem]) -> dict[str, list[str]]:
    """Each bad filter and why, in words, by field (for a form's fields or a JSON body)."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(log_filter_text(problem.code,
                                                                    problem.params))
    return fields


def log_mark_text(mark: str | None) -> str:
    """An admin's mark on an unknown send, in words ('' when unmarked)."""
    word = LOG_MARK_WORDS.get(mark or "")
    return str(word) if word is not None else ""


def log_code_text(result: str, code: str | None, detail: str | None = None) -> str:
    """What a logged send's code means: the gateway's words for its answers, ours for a send
    that never reached it or whose answer was lost."""
    if result == "pending":
        return _("Waiting for the gateway's answer.")
    if result in ("unknown", "refused"):
        return attention_text(result, code)
    if result == "not_sent":
        return _("Could not reach the gateway; nothing was sent (%(detail)s). Try again later.",
                 detail=detail or "-")
    return codes.describe_send(code or "").text(_lang())


def purge_text(count: int, before: str) -> str:
    """What ``log purge`` did."""
    return ngettext("Removed the texts and numbers of %(count)s send made before %(before)s.",
                    "Removed the texts and numbers of %(count)s sends made before %(before)s.",
                    count, count=format_number(count), before=before)


# --- the token API and the CLI ---------------------------------------------------------

#: Why a value of an API request cannot be read (Pydantic's error types and the API's own).
API_INPUT_SENTENCES = {
    "missing": _l("This field is required."),
    "extra_forbidden": _l("Unknown field: remove it."),
    "string_type": _l("Must be a string."),
    "int_type": _l("Must be a whole number."),
    "int_parsing": _l("Must be a whole number."),
    "int_from_float": _l("Must be a whole number."),
    "bool_type": _l("Must be true or false."),
    "list_type": _l("Must be an array."),
    "model_type": _l("Must be an object."),
    "dict_type": _l("Must be an object."),
    "literal_error": _l("Must be one of: %(expected)s."),
    "greater_than_equal": _l("Must be at least %(ge)s."),
    "less_than_equal": _l("Must be at most %(le)s."),
    "iso_datetime": _l("Write a date and time in ISO 8601, such as 2026-03-01T09:30 (Korea "
                       "time) or 2026-03-01T09:30:00+09:00."),
    "date_type": _l("Write a date as YYYY-MM-DD (for example 2026-03-01)."),
    "date_parsing": _l("Write a date as YYYY-MM-DD (for example 2026-03-01)."),
    "date_from_datetime_parsing": _l("Write a date as YYYY-MM-DD (for example 2026-03-01)."),
    "date_from_datetime_inexact": _l("Write a date as YYYY-MM-DD (for example 2026-03-01)."),
    "json_invalid": _l("The body is not valid JSON."),
    "sms_too_long": _l("Too long for an SMS: %(length)s bytes / at most %(limit)s bytes. "
                       "Send it with type \"lms\" or \"auto\"."),
    "bad_cursor": _l("This cursor was not made here or is damaged: ask again without it."),
    "repeated": _l("Give this parameter once."),
    "not_json_object": _l("The body must be a JSON object."),
    "not_utf8": _l("This is not UTF-8 text: give it in UTF-8."),
    "invalid_idempotency_key": _l("Idempotency-Key must be at most %(max)s printable "
                                  "characters."),
    "idempotency_key_reused": _l("This Idempotency-Key was already used for a different "
                                 "message; nothing was sent. Use a new key for a new message."),
    "in_flight": _l("A send with this Idempotency-Key is still in progress; nothing was sent "
                    "again. Look it up in a moment."),
    "may_not_send": _l("%(username)s may not send messages (a viewer, or a disabled "
                       "account)."),
}

#: Problems whose words follow a count: the parameter that holds it, and the sentence.
API_INPUT_COUNTED: dict[str, tuple[str, Callable[..., str]]] = {
    "too_short": ("min_length", lambda n, **v: ngettext(
        "Give at least %(num)s entry.", "Give at least %(num)s entries.", n, **v)),
    "too_long": ("max_length", lambda n, **v: ngettext(
        "Give at most %(num)s entry.", "Give at most %(num)s entries.", n, **v)),
    "string_too_short": ("min_length", lambda n, **v: ngettext(
        "Must have at least %(num)s character.", "Must have at least %(num)s characters.",
        n, **v)),
    "string_too_long": ("max_length", lambda n, **v: ngettext(
        "Must have at most %(num)s character.", "Must have at most %(num)s characters.",
        n, **v)),
}

#: The library's problems that the API words its own way (its fields are not the form's).
API_PROBLEM_SENTENCES = {
    "name_placeholder_without_destination": _l(
        "To use {name}, give the recipients as objects with a phone and a name."),
}


def api_input_text(code: str, params: Mapping[str, object]) -> str:
    """Why a value of an API request (or a CLI option) cannot be read."""
    counted = API_INPUT_COUNTED.get(code)
    if counted is not None:
        return counted[1](int(params.get(counted[0], 0)))  # type: ignore[arg-type]
    if code == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(params.get("expected", ""))))
        return str(API_INPUT_SENTENCES[code]) % {"expected": choices}
    sentence = API_INPUT_SENTENCES.get(code)
    if sentence is None:
        log.warning("no sentence for API input code %r", code)
        return _("This value is not valid.")
    return str(sentence) % _values(params)


def api_problem_text(problem: Problem) -> str:
    """One of the library's problems, as the API (and the CLI) words it."""
    sentence = API_PROBLEM_SENTENCES.get(problem.code)
    return str(sentence) % _values(problem.params) if sentence else problem_text(problem)


TOKEN_SENTENCES = {
    "name_empty": _l("Give the token a name."),
    "name_too_long": _l("A token name has at most %(max)s characters."),
    "name_chars": _l("A token name cannot hold control characters."),
    "name_taken": _l("There is a token named %(name)s already: choose another name, or "
                     "revoke that one first."),
    "not_found": _l("There is no such token: %(ref)s"),
    "user_disabled": _l("%(username)s is disabled, and a disabled user's tokens do not "
                        "work."),
}


def token_error_text(code: str, params: Mapping[str, object]) -> str:
    """Why a token could not be made, found or revoked."""
    sentence = TOKEN_SENTENCES.get(code)
    return str(sentence) % dict(params) if sentence is not None else code


# --- the relay (/admin/relays, flask --app app relay) ----------------------------------

#: Why a relay site could not be made or found (codes of services.relay.RelayError).
RELAY_SENTENCES = {
    "name_invalid": _l("A name is 1 to %(max)s printable characters."),
    "name_taken": _l("There is already a relay site named %(name)s."),
    "sender_invalid": _l("%(number)s is not a phone number."),
    "no_senders": _l("Give at least one sender number the site may use."),
    "network_invalid": _l("%(value)s is not an address or a network (CIDR, for example "
                          "203.0.113.0/24)."),
    "limit_invalid": _l("A daily limit is a whole number of credits from 1 to %(max)s, or "
                        "empty for no limit."),
    "charset_invalid": _l("%(value)s is not a charset the relay reads: auto, utf-8 or euc-kr."),
    "not_found": _l("There is no relay site named %(name)s."),
}


def relay_error_text(exc: RelayError) -> str:
    """Why a relay site could not be made or found, in words."""
    sentence = RELAY_SENTENCES.get(exc.code)
    return str(sentence) % _values(exc.params) if sentence is not None else exc.code


def purge_count_text(count: int, before: str) -> str:
    """What ``log purge --dry-run`` found."""
    return ngettext("%(count)s send made before %(before)s still has its text and numbers.",
                    "%(count)s sends made before %(before)s still have their texts and numbers.",
                    count, count=format_number(count), before=before)


def purge_future_text(today: str) -> str:
    """Why a purge's cut-off day is refused."""
    return _("The day must not be after today (%(today)s): that would remove today's sends "
             "too.", today=today)


def in_both(words: Callable[..., str], *args: object) -> str:
    """A message for the terminal in Korean, then English: one whole sentence in each."""
    with force_locale("ko"):
        korean = words(*args)
    with force_locale("en"):
        english = words(*args)
    return korean if korean == english else f"{korean} ({english})"


def terminal_time(when: datetime | None) -> str:
    """A time in Korea time for the terminal, or "never"; a naive time is a stored one
    (UTC)."""
    if when is None:
        return "never"
    aware = when.astimezone(KST) if when.tzinfo is not None else in_korea(when)
    return aware.strftime("%Y-%m-%d %H:%M")
