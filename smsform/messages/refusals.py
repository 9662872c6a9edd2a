"""Words for every service's refusals (``smsform.services.refusals.Refusal``): one table,
by the refusing class and its code, and one way to word it.

A code of one class means nothing to another (``not_found`` of a token is not that of a
relay site), so the table is keyed by the class; a subclass's code falls back to its bases.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from smsform.messages.common import format_params
from smsform.messages.sendlog import NO_SUCH_SEND
from smsform.services.accounts import AccountError
from smsform.services.api_tokens import TokenError
from smsform.services.bulk import BulkRefused
from smsform.services.bulk_intake import IntakeRefused
from smsform.services.contacts import ContactError
from smsform.services.lists import ListRefused
from smsform.services.optouts import OptOutError
from smsform.services.query_args import FilterError, FilterProblem
from smsform.services.refusals import Refusal
from smsform.services.relay_sites import RelayError
from smsform.services.retry import RetryRefused
from smsform.services.sendlog import MarkRefused
from smsform.services.templates import TemplateError

log = logging.getLogger(__name__)

#: Sentences two services' refusals share (a list's search, its pages, control characters).
CONTROL_CHARS = _l("Control characters are not allowed here.")
SEARCH_TOO_LONG = _l("The search is too long: at most %(max)s characters.")
BAD_PAGE = _l("A page is a whole number from 1 to %(max)s.")

#: Why each service said no, by its class and code.
REFUSALS: dict[type[Refusal], dict[str, LazyString]] = {
    # Accounts (services.accounts): the setup and sign-in pages, /account, /admin, the CLI.
    AccountError: {
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
    },
    # API tokens (services.api_tokens): /account/tokens and ``flask --app app token``.
    TokenError: {
        "name_empty": _l("Give the token a name."),
        "name_too_long": _l("A token name has at most %(max)s characters."),
        "name_chars": _l("A token name cannot hold control characters."),
        "name_taken": _l("There is a token named %(name)s already: choose another name, or "
                         "revoke that one first."),
        "not_found": _l("There is no such token: %(ref)s"),
        "user_disabled": _l("%(username)s is disabled, and a disabled user's tokens do not "
                            "work."),
        "too_many_tokens": _l("%(username)s has %(max)s live tokens already, the most one user "
                              "may have: revoke one that is no longer used first."),
    },
    # Relay sites (services.relay_sites): /admin/relays and ``flask --app app relay``.
    RelayError: {
        "name_invalid": _l("A name is 1 to %(max)s printable characters."),
        "name_taken": _l("There is already a relay site named %(name)s."),
        "sender_invalid": _l("%(number)s is not a phone number."),
        "no_senders": _l("Give at least one sender number the site may use."),
        "network_invalid": _l("%(value)s is not an address or a network (CIDR, for example "
                              "203.0.113.0/24)."),
        "limit_invalid": _l("A daily limit is a whole number of credits from 1 to %(max)s, or "
                            "empty for no limit."),
        "charset_invalid": _l("%(value)s is not a charset the relay reads: auto, utf-8 or "
                              "euc-kr."),
        "not_found": _l("There is no relay site named %(name)s."),
    },
    # Message templates (services.templates): /templates, the API, ``flask --app app send``.
    TemplateError: {
        "name_invalid": _l("A template's name is 1 to %(max)s printable characters."),
        "name_taken": _l("There is already a template named %(name)s: choose another name."),
        "kind_invalid": _l("Unknown kind %(value)s; use one of %(choices)s."),
        "text_invalid": _l("The text would not send as it is: fix what is marked."),
        "sms_too_long": _l("Too long for an SMS: %(length)s bytes / at most %(limit)s bytes. "
                           "Choose auto or LMS."),
        "not_found": _l("There is no template %(ref)s (it may have been deleted)."),
    },
    # An admin's mark on an unknown send (services.sendlog.mark).
    MarkRefused: {
        "not_found": NO_SUCH_SEND,
        "not_unknown": _l("Only a send whose outcome is unknown can be marked."),
    },
    # Bulk jobs (services.bulk): /jobs, the API's jobs and ``flask --app app bulk``.
    BulkRefused: {
        "not_found": _l("There is no bulk job %(job)s."),
        "not_allowed": _l("Only the job's sender or an administrator may start or control "
                          "this job."),
        "not_checking": _l("This job has been started already."),
        "not_live": _l("Only a job that is sending or scheduled can be paused."),
        "not_paused": _l("Only a paused job can be resumed."),
        "final": _l("This job has ended already: there is nothing left to cancel."),
        "nothing_to_send": _l("No recipient of this list can be sent to: nothing to start."),
        "credit_short": _l("The credit cannot pay for this job: it needs %(needed)s credits, "
                           "%(credit)s are left; %(shortfall)s are missing."),
        "night": _l("An advertisement may not be sent from 21:00 to 08:00 (Korea time): "
                    "schedule it for %(resumes)s or later."),
        "key_taken": _l("This Idempotency-Key made job %(id)s already."),
        "no_upload": _l("This list was pasted, not uploaded: there is no file to read again. "
                        "Paste it again on a new bulk send with its columns in order."),
    },
    # Retry the failed (services.retry): the job and send pages' retry buttons.
    RetryRefused: {
        "not_found": _l("There is no such job or send."),
        "not_allowed": _l("Only its sender or an administrator may retry its failed "
                          "recipients."),
        "purged": _l("The text and numbers of this send were removed after the retention "
                     "period: there is nothing to send again."),
        "nothing_failed": _l("No recipient's delivery failed: there is nothing to retry."),
        "retried": _l("Job %(id)s retries these failed recipients already: retry that "
                      "job's own failures if some are left."),
    },
    # The opt-out list (services.optouts): /optouts, the API and ``flask --app app optout``.
    OptOutError: {
        "invalid_phone": _l("%(value)s is not a Korean phone number."),
        "memo_too_long": _l("A memo has at most %(max)s characters."),
        "control_chars": CONTROL_CHARS,
        "reason_required": _l("Say why the number comes off the opt-out list: the reason is "
                              "kept with its history."),
        "reason_too_long": _l("A reason has at most %(max)s characters."),
        "not_found": _l("%(number)s is not on the opt-out list."),
        "query_too_long": SEARCH_TOO_LONG,
        "query_not_number": _l("Search by a phone number or a part of it (digits, with or "
                               "without dashes)."),
        "whole_number_only": _l("Numbers are shown to you masked: search by a whole number "
                                "(for example 010-1234-5678), not a part of one."),
        "bad_page": BAD_PAGE,
    },
    # A list page's filters (the send log's, the API list's, the audit trail's): the whole
    # refusal, then each problem's code (services.query_args.FilterProblem).
    FilterError: {
        "bad_filter": _l("Some filters cannot be used."),
        "repeated": _l("Give this filter once."),
        "control_chars": CONTROL_CHARS,
        "unknown_user": _l("There is no user named %(name)s."),
        "unknown_result": _l("Unknown result %(value)s; use one of %(choices)s."),
        "unknown_delivery": _l("Unknown delivery %(value)s; use one of %(choices)s."),
        "q_too_long": SEARCH_TOO_LONG,
        "q_too_many_words": _l("Search for at most %(max)s words at once."),
        "q_word_too_short": _l("Each word must have at least %(min)s characters."),
        "q_word_too_common": _l("%(word)s appears in too many forms to search for; add a letter "
                                "or another word."),
        "q_too_broad": _l("These words together are too broad to search for (more than "
                          "%(max)s forms): use fewer two-letter words, or longer ones."),
        "search_too_slow": _l("This search took too long and was stopped: narrow it with "
                              "dates, a user, a result or a longer word."),
        "bad_date": _l("Write a date as YYYY-MM-DD (for example 2026-03-01), not %(value)s."),
        "date_out_of_range": _l("Choose a date from %(earliest)s to %(latest)s."),
        "dates_reversed": _l("The end date is before the start date."),
        "bad_page": BAD_PAGE,
        "bad_format": _l("Unknown format; use html, json or csv."),
        "unknown_action": _l("Unknown action: %(value)s"),
        "too_long": _l("At most %(max)s characters."),
    },
    # The address book (services.contacts).
    ContactError: {
        "phone_invalid": _l("%(value)s is not a phone number the gateway accepts."),
        "phone_taken": _l("%(phone)s is already in the address book."),
        "name_too_long": _l("A name may have at most %(max)s characters."),
        "name_control_chars": _l("A name is one line of text, without control characters."),
        "memo_too_long": _l("A memo may have at most %(max)s characters."),
        "field_invalid": _l("The field %(field)s cannot be kept: a field has a name of up to "
                            "40 characters (not name or phone) and a text of up to 500."),
        "too_many_fields": _l("A contact may have at most %(max)s other fields."),
        "group_name_invalid": _l("A group's name is one line of 1 to %(max)s characters."),
        "group_taken": _l("There is already a group named %(name)s."),
        "no_such_contact": _l("There is no contact %(id)s."),
        "no_such_group": _l("There is no group %(id)s."),
        "too_many_recipients": _l("More than %(limit)s recipients: one send takes at most "
                                  "%(limit)s. Send to a list this large as a bulk send."),
    },
    # A list that cannot be read (services.lists): the contacts and opt-out imports, bulk.
    ListRefused: {
        "empty": _l("The file is empty: it holds no rows to read."),
        "too_large": _l("The file is too large: at most %(limit)s bytes."),
        "too_many_rows": _l("The list has too many rows: at most %(limit)s."),
        "not_text": _l("This file cannot be read as a list: it is not a CSV or text file "
                       "(a CSV saved as UTF-8 or as Excel saves it, or an .xlsx or .xls)."),
        "not_workbook": _l("This file is not an Excel workbook, though its name says so: "
                           "open it in Excel and save it again as .xlsx or CSV."),
        "zip_bomb": _l("This workbook would unpack to far more than a list holds, and is not "
                       "read: save the sheet again as .xlsx or CSV."),
        "workbook_locked": _l("This workbook is protected by a password: save it again "
                              "without one."),
        "no_phone_column": _l("No column of phone numbers was found (columns: %(columns)s): "
                              "give it a header such as \"phone\", or choose it."),
        "unknown_column": _l("There is no column %(column)s (columns: %(columns)s)."),
    },
    # A list handed over by the API or the CLI that did not become a job
    # (services.bulk_intake): nothing was sent, nothing kept.
    IntakeRefused: {
        "nothing_to_send": _l("No row of the list can be sent: every row was left out (the "
                              "row report says why). Nothing was sent."),
        "message": _l("The message cannot be sent as it is (each problem is named beside "
                      "its field). Nothing was sent."),
        "credit_short": _l("The job costs %(needed)s credits, and %(credit)s are left: "
                           "%(shortfall)s short. Nothing was sent."),
        "not_started": _l("The job could not be started. Nothing was sent."),
        "idempotency_key_reused": _l("This Idempotency-Key made job %(id)s with another list "
                                     "or message: use a new key for a new job."),
    },
}


def _sentence(kind: type[Refusal], code: str, params: Mapping[str, object]) -> str:
    for cls in kind.__mro__:
        sentence = REFUSALS.get(cls, {}).get(code)
        if sentence is not None:
            return str(sentence) % format_params(params)
    # A code added to a service but not here: tests/test_refusals.py.
    log.error("no sentence for %s code %r", kind.__name__, code)
    return code


def refusal_text(refusal: Refusal) -> str:
    """Why a service refused, in the request's language."""
    return _sentence(type(refusal), refusal.code, refusal.params)


def filter_problem_text(problem: FilterProblem) -> str:
    """Why one filter of a list page cannot be used."""
    return _sentence(FilterError, problem.code, problem.params)


def filter_problems(problems: Iterable[FilterProblem]) -> dict[str, list[str]]:
    """Each bad filter and why, in words, by field (for a form's fields or a JSON body)."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(filter_problem_text(problem))
    return fields
