"""Words for the send log (/sends, the dashboard's counts, ``log purge``): a logged send's
result and code, an admin's mark, and why a list page's filter cannot be used."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from smsform.messages.common import format_params, language
from smsform.messages.send import unreachable_text
from smsform.services.query_args import FilterProblem
from smsform.states import Result

log = logging.getLogger(__name__)


#: A logged send's result, as the dashboard's counts name it.
LOG_RESULT_WORDS = {
    Result.SUCCESS: _l("Accepted"),
    Result.RESERVED: _l("Reserved"),
    Result.TEST: _l("Test only"),
    Result.REFUSED: _l("Refused"),
    Result.NOT_SENT: _l("Never sent"),
    Result.UNKNOWN: _l("Outcome unknown"),
    Result.PENDING: _l("Being sent"),
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
    if result == Result.REFUSED:
        return codes.describe_send(code or "").text(language())
    return _("The gateway's answer never came, so the message may or may not have gone out. "
             "Look the recipients up in the results before sending again; an administrator "
             "can then mark the send as sent or not sent.")


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
    "q_too_broad": _l("These words together are too broad to search for (more than "
                      "%(max)s forms): use fewer two-letter words, or longer ones."),
    "search_too_slow": _l("This search took too long and was stopped: narrow it with "
                          "dates, a user, a result or a longer word."),
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
    return str(sentence) % format_params(params)


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
    if result == Result.PENDING:
        return _("Waiting for the gateway's answer.")
    if result in (Result.UNKNOWN, Result.REFUSED):
        return attention_text(result, code)
    if result == Result.NOT_SENT:
        return unreachable_text(detail or "-")
    return codes.describe_send(code or "").text(language())


def purge_text(count: int, before: str) -> str:
    """What ``log purge`` did."""
    return ngettext("Removed the texts and numbers of %(count)s send made before %(before)s.",
                    "Removed the texts and numbers of %(count)s sends made before %(before)s.",
                    count, count=format_number(count), before=before)


def purge_count_text(count: int, before: str) -> str:
    """What ``log purge --dry-run`` found."""
    return ngettext("%(count)s send made before %(before)s still has its text and numbers.",
                    "%(count)s sends made before %(before)s still have their texts and numbers.",
                    count, count=format_number(count), before=before)


def purge_future_text(today: str) -> str:
    """Why a purge's cut-off day is refused."""
    return _("The day must not be after today (%(today)s): that would remove today's sends "
             "too.", today=today)
