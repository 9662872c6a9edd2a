"""Words for the token API and the CLI that shares its readers: why a value of a request
cannot be read and the library's problems in the API's terms (a token's refusals are in
``refusals``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from cafe24.text import Problem
from smsform.messages.common import as_count, format_params
from smsform.messages.send import KEY_SENTENCES, problem_text

log = logging.getLogger(__name__)

_WHOLE_NUMBER = _l("Must be a whole number.")
_OBJECT = _l("Must be an object.")
_DATE = _l("Write a date as YYYY-MM-DD (for example 2026-03-01).")


#: Why a value of an API request cannot be read (Pydantic's error types and the API's own).
API_INPUT_SENTENCES = {
    "missing": _l("This field is required."),
    "extra_forbidden": _l("Unknown field: remove it."),
    "string_type": _l("Must be a string."),
    "int_type": _WHOLE_NUMBER,
    "int_parsing": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "bool_type": _l("Must be true or false."),
    "list_type": _l("Must be an array."),
    "model_type": _OBJECT,
    "dict_type": _OBJECT,
    "literal_error": _l("Must be one of: %(expected)s."),
    "greater_than_equal": _l("Must be at least %(ge)s."),
    "less_than_equal": _l("Must be at most %(le)s."),
    "iso_datetime": _l("Write a date and time in ISO 8601, such as 2026-03-01T09:30 (Korea "
                       "time) or 2026-03-01T09:30:00+09:00."),
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "json_invalid": _l("The body is not valid JSON."),
    "sms_too_long": _l("Too long for an SMS: %(length)s bytes / at most %(limit)s bytes. "
                       "Send it with type \"lms\" or \"auto\"."),
    "bad_cursor": _l("This cursor was not made here or is damaged: ask again without it."),
    "repeated": _l("Give this parameter once."),
    "repeated_member": _l("Give this member once: a JSON object names each member only once "
                          "(which of two would count is not yours to guess)."),
    "not_json_object": _l("The body must be a JSON object."),
    "text_and_template": _l("Give text or template_id (the CLI: --text or --template), not "
                            "both."),
    "not_utf8": _l("This is not UTF-8 text: give it in UTF-8."),
    **KEY_SENTENCES,
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
        return counted[1](as_count(params.get(counted[0], 0)))
    if code == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(params.get("expected", ""))))
        return str(API_INPUT_SENTENCES[code]) % {"expected": choices}
    sentence = API_INPUT_SENTENCES.get(code)
    if sentence is None:
        log.warning("no sentence for API input code %r", code)
        return _("This value is not valid.")
    return str(sentence) % format_params(params)


def api_problem_text(problem: Problem) -> str:
    """One of the library's problems, as the API (and the CLI) words it."""
    sentence = API_PROBLEM_SENTENCES.get(problem.code)
    return str(sentence) % format_params(problem.params) if sentence else problem_text(problem)


def api_too_many_text(limit: int, jobs: str) -> str:
    """A send past 999 recipients, pointing to the bulk jobs' address."""
    return _("More than %(limit)s recipients: one send takes at most %(limit)s. Send a list "
             "this large as a bulk job: %(jobs)s.", **format_params({"limit": limit}), jobs=jobs)


def check_input_text(problems: str) -> str:
    """A refused request's summary: every problem of its fields on one line."""
    return _("Check your input: %(problems)s", problems=problems)
