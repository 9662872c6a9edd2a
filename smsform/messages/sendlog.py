"""Words for the send log (/sends, the dashboard's counts, ``log purge``): a logged send's
result and code, an admin's mark, ``log purge``'s counts (a filter's refusals are in
``refusals``)."""

from __future__ import annotations

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from cafe24 import codes
from smsform.messages.common import language, word_for
from smsform.messages.send import unreachable_text
from smsform.states import Result

#: A send that is not in the log (or not the caller's to see).
NO_SUCH_SEND = _l("There is no such send.")


def no_such_send_text() -> str:
    """Why a send asked for by its id is not shown."""
    return str(NO_SUCH_SEND)


#: A logged send's result, as the dashboard's counts name it (keyed by the stored string).
LOG_RESULT_WORDS: dict[str, LazyString] = {
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
    return word_for(LOG_RESULT_WORDS, result)


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



#: The way a send came in (the log's ``source``), as the pages and the CSV name it.
SOURCE_WORDS = {
    "form": _l("Web form"),
    "json": _l("Web form (JSON)"),
    "api": _l("API"),
    "relay": _l("Relay"),
    "cli": _l("Command line (CLI)"),
    "optout": _l("Opt-out confirmation"),
    "bulk": _l("Bulk job"),
}


def source_text(source: str) -> str:
    """The way a send came in, in words; an unknown one as it is."""
    return word_for(SOURCE_WORDS, source)


def gateway_code(code: str | None) -> str:
    """The gateway's numeric answer code (``-114``), which support asks for; '' for the
    words it answers with (``success``, ``Test Success!``), which the result already says."""
    return code if code and code.lstrip("-").isdigit() else ""


LOG_MARK_WORDS = {"sent": _l("checked: sent"), "not_sent": _l("checked: not sent")}


def log_mark_text(mark: str | None) -> str:
    """An admin's mark on an unknown send, in words ('' when unmarked)."""
    return word_for(LOG_MARK_WORDS, mark or "", "")


#: A send this app refused before the call, by its logged code.
NOT_SENT_HERE = {
    "credit_short": _l("Not sent: its cost was over the credit left, so it never reached the "
                       "gateway."),
    "over_limit": _l("Not sent: the relay site's daily limit was spent, so it never reached "
                     "the gateway."),
}


def log_code_text(result: str, code: str | None, detail: str | None = None) -> str:
    """What a logged send's code means: the gateway's words for its answers, ours for a send
    that never reached it or whose answer was lost."""
    if result == Result.PENDING:
        return _("Waiting for the gateway's answer.")
    if result in (Result.UNKNOWN, Result.REFUSED):
        return attention_text(result, code)
    if result == Result.NOT_SENT and code in NOT_SENT_HERE:
        return str(NOT_SENT_HERE[code])
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


def cost_text(cost: int | None, forecast: int, result: str) -> str:
    """What a logged send was charged: the count, or while nobody knows, that it is not
    known and at most the forecast."""
    if cost is not None:
        return format_number(cost)
    if result == Result.PENDING:
        return _("Not known yet (at most %(forecast)s)", forecast=format_number(forecast))
    return _("Unknown (at most %(forecast)s)", forecast=format_number(forecast))


def forecast_text(forecast: int) -> str:
    """The credits a send was forecast to use, named as a forecast."""
    return _("Forecast: %(count)s", count=format_number(forecast))
