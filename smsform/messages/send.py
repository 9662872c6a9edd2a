"""Words for a send: the library's problems with a message, the gateway's answer to a send,
and what is known of an earlier send under the same token or key."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from cafe24.answers import SendOutcome, SendStatus
from cafe24.errors import Cafe24Error, InvalidRequest
from cafe24.text import Problem
from smsform.messages.bulk import CHECK_COUNTED, CHECK_MESSAGE_SENTENCES
from smsform.messages.common import as_count, format_params, language
from smsform.messages.compliance import COMPLIANCE_SENTENCES
from smsform.messages.gateway import transport_text
from smsform.services.sending import MAX_KEY_LENGTH, Previous, SendResult, Status

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
        "To use {name}, list the recipients as 'number|name' under Insert names."),
    "no_sender": _l("Choose a sender number."),
    "invalid_sender": _l("The sender number is not valid."),
    "both_recipient_fields": _l("Use either rphone or destination, not both."),
    "no_recipients": _l("Please enter at least one recipient number"),
    "too_many_recipients": _l("Too many recipients: %(count)s / at most %(limit)s per send"),
    # Recipients from the address book (services.contacts.add_to_request).
    "address_book_too_many": _l("The chosen groups and contacts hold more than %(limit)s "
                                "recipients, the most one send takes: choose fewer, or send "
                                "to them as a bulk send."),
    "unknown_groups": _l("These groups no longer exist: %(ids)s. Choose the groups again."),
    "unknown_contacts": _l("These contacts no longer exist: %(ids)s. Choose them again."),
    "reservation_incomplete": _l("To reserve, please enter both a date and a time"),
    "reservation_date_invalid": _l("The reservation date is not valid"),
    "reservation_time_invalid": _l("The reservation time is not valid"),
    "repeat_num": _l("The repeat count must be a whole number from %(min)s to %(max)s"),
    "repeat_time": _l("The repeat interval must be a whole number of minutes from %(min)s "
                      "to %(max)s (%(hours)s hours)"),
    "credit_short": _l("Not enough credit: this send needs %(needed)s credits and %(credit)s "
                       "are left (%(shortfall)s short). Nothing was sent; top up the credit "
                       "and send again, or send fewer recipients."),
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
    "name_too_long": ("count", lambda n, **v: ngettext(
        "%(count)s name is longer than %(limit)s characters; shorten it",
        "%(count)s names are longer than %(limit)s characters; shorten them", n, **v)),
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
    # the opt-out list's (services.compliance.opt_outs): an advertisement all opted out,
    # a notice of how many opted-out numbers another send reaches
    "all_opted_out": ("count", lambda n, **v: ngettext(
        "Not sent: the one recipient of this advertisement opted out (수신거부), and an "
        "advertisement may not reach an opted-out number. Nothing was sent or charged.",
        "Not sent: all %(num)s recipients of this advertisement opted out (수신거부), and an "
        "advertisement may not reach an opted-out number. Nothing was sent or charged.",
        n, **v)),
    "opted_out_notice": ("count", lambda n, **v: ngettext(
        "%(num)s of these numbers opted out of advertising (수신거부); this is not an "
        "advertisement, so it is sent to it as well.",
        "%(num)s of these numbers opted out of advertising (수신거부); this is not an "
        "advertisement, so it is sent to them as well.", n, **v)),
}


def problem_text(problem: Problem) -> str:
    """The problem as a sentence in the request's language."""
    values = format_params(problem.params)
    counted = PROBLEM_COUNTED.get(problem.code) or CHECK_COUNTED.get(problem.code)
    if counted is not None:
        count_param, plural = counted
        return plural(as_count(problem.params[count_param]), **values)
    sentence = (PROBLEM_SENTENCES.get(problem.code) or COMPLIANCE_SENTENCES.get(problem.code)
                or CHECK_MESSAGE_SENTENCES.get(problem.code))
    if sentence is None:  # a code added to the library but not here: tests/test_messages.py
        log.error("no sentence for problem code %r", problem.code)
        return str(problem)
    return str(sentence) % values


def unknown_outcome_text(detail: str) -> str:
    """A send whose answer was lost: it may or may not have gone out."""
    return _("Unknown whether the message was sent: the gateway's answer was lost "
             "(%(detail)s). Check the results page before sending again.", detail=detail)


def unreachable_text(detail: str) -> str:
    """A send that certainly did not leave because the gateway could not be reached."""
    return _("Could not reach the gateway; nothing was sent (%(detail)s). Try again later.",
             detail=detail)


#: Why an Idempotency-Key cannot send, worded once for the form's JSON answer and the API.
KEY_SENTENCES = {
    "invalid_idempotency_key": _l("Idempotency-Key must be at most %(max)s printable "
                                  "characters."),
    "idempotency_key_reused": _l("This Idempotency-Key was already used for a different "
                                 "message; nothing was sent. Use a new key for a new message."),
}


def outcome_text(outcome: SendOutcome) -> str:
    """What the gateway's answer to a send means, for a person."""
    if outcome.status is SendStatus.UNKNOWN:
        return unknown_outcome_text(transport_text(outcome.error) if outcome.error else "")
    if outcome.info is not None:
        return outcome.info.text(language())
    # Never the gateway's body: it may echo the request (the key, the numbers, the text).
    return codes.describe_send(outcome.code or "").text(language())


def not_sent_text(exc: Cafe24Error) -> str:
    """Why a send certainly did not leave: a rule it breaks, or no gateway to reach."""
    if isinstance(exc, InvalidRequest):
        detail = "; ".join(problem_text(p) for p in exc.problems) or exc.message
        return _("Not sent: the request breaks a gateway rule (%(detail)s).", detail=detail)
    return unreachable_text(transport_text(exc))


def send_result_text(result: SendResult) -> str:
    """What became of a submitted send, for a person."""
    if result.outcome is not None:
        return outcome_text(result.outcome)
    if result.error is not None:
        return not_sent_text(result.error)
    if result.status is Status.CREDIT_SHORT:
        return "; ".join(problem_text(p) for p in result.problems)
    return previous_text(result.as_previous())


def previous_text(previous: Previous) -> str:
    """What is known of the first send under a reused token or key."""
    if previous.status is Status.UNKNOWN:
        return unknown_outcome_text(previous.detail)
    if previous.status is Status.NOT_SENT:
        return unreachable_text(previous.detail)
    return codes.describe_send(previous.code or "").text(language())


def not_sent_again_text(result: SendResult) -> str:
    """Why a form's token or an Idempotency-Key sent nothing this time."""
    if result.status is Status.DUPLICATE:
        if result.previous and result.previous.status is Status.UNKNOWN:
            return _("This form was sent before, but what became of it is unknown; it was not "
                     "sent again. Check the send log and the results before sending it anew.")
        return _("This form was already sent; it was not sent again.")
    if result.status is Status.IN_FLIGHT:
        return _("This form is being sent right now; it was not sent a second time.")
    if result.status is Status.KEY_INVALID:
        return str(KEY_SENTENCES["invalid_idempotency_key"]) % {"max": MAX_KEY_LENGTH}
    if result.status is Status.KEY_MISMATCH:
        return str(KEY_SENTENCES["idempotency_key_reused"])
    return _("This form has expired or is not valid; open a new one. Nothing was sent.")


def next_step_text(result: SendResult, recipients: int) -> str:
    """The result page's line under its heading for an accepted send: what happens next,
    not the heading again (the gateway's own words for the code are in the facts below)."""
    count = format_number(recipients)
    if result.status is Status.RESERVED:
        return ngettext(
            "The gateway keeps it for %(count)s recipient until the time below (Korea time); "
            "the results page lists it from then.",
            "The gateway keeps it for %(count)s recipients until the time below (Korea time); "
            "the results page lists it from then.", recipients, count=count)
    if result.status is Status.TEST:
        return _("The gateway checked the request and found nothing wrong with it. To send it "
                 "for real, write it again without ticking the test send.")
    return ngettext(
        "The gateway is delivering it to %(count)s recipient, usually within seconds; the "
        "results page shows whether it arrived.",
        "The gateway is delivering it to %(count)s recipients, usually within seconds; the "
        "results page shows whether each arrived.", recipients, count=count)
