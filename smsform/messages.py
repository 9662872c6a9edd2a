"""Words for what the gateway library reports: the one place codes become sentences.

The library (``cafe24/``) reports problems, send outcomes and result rows as codes with
parameters. Each code gets an English sentence here, which is its message id; the Korean
lives in ``translations/ko`` like every other text. Numbers are written for the locale
("2,015"), and a sentence whose words follow a count goes through ``ngettext``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from flask_babel import format_number, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from cafe24.answers import ResultRow, SendOutcome, SendStatus
from cafe24.codes import CodeInfo
from cafe24.errors import Cafe24Error, GatewayRefused, InvalidRequest
from cafe24.text import Problem
from smsform.services.accounts import AccountError
from smsform.services.sending import Previous, SendResult, Status

log = logging.getLogger(__name__)

# Problems worded the same whatever their numbers are.
PROBLEM_SENTENCES = {
    "msg_empty": _l("Please enter a message"),
    "msg_too_long": _l("The message is too long: %(length)s bytes / at most %(limit)s bytes"),
    "refused_char": _l("The gateway refuses '됬' (error -202); please write '됐' instead"),
    "subject_too_long": _l("The subject is too long: %(length)s bytes / at most %(limit)s bytes "
                           "(%(hangul)s Hangul characters)"),
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


def outcome_text(outcome: SendOutcome) -> str:
    """What the gateway's answer to a send means, for a person."""
    if outcome.status is SendStatus.UNKNOWN:
        detail = outcome.error.message if outcome.error else ""
        return _("Unknown whether the message was sent: the gateway's answer was lost "
                 "(%(detail)s). Check the results page before sending again.", detail=detail)
    return outcome.info.text(_lang()) if outcome.info else outcome.raw


def not_sent_text(exc: Cafe24Error) -> str:
    """Why a send certainly did not leave: a rule it breaks, or no gateway to reach."""
    if isinstance(exc, InvalidRequest):
        detail = "; ".join(problem_text(p) for p in exc.problems) or exc.message
        return _("Not sent: the request breaks a gateway rule (%(detail)s).", detail=detail)
    return _("Could not reach the gateway; nothing was sent (%(detail)s). Try again later.",
             detail=exc.message)


def gateway_failure_text(exc: Cafe24Error,
                         describe: Callable[[str], CodeInfo] | None = None) -> str:
    """Why a gateway look-up failed, for a person: the code's meaning when the gateway
    refused (``describe`` picks the table), else that no usable answer came."""
    if isinstance(exc, GatewayRefused):
        if describe is not None:
            return describe(exc.code).text(_lang())
        return _("Check the SMS id and key.")
    return _("No answer from the gateway: %(detail)s", detail=exc.message)


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
}


def account_error_text(exc: AccountError) -> str:
    """Why an account could not be made or changed."""
    sentence = ACCOUNT_SENTENCES.get(exc.code)
    return str(sentence) % exc.params if sentence is not None else exc.code
