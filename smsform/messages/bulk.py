"""Words for bulk jobs (services.bulk, services.bulk_check): a job's and a batch's state,
why a job paused (its refusals, ``BulkRefused``, are in ``refusals``), why the check left
a row out or will not start a draft. The pages, the API's ``detail`` and the CLI take them
from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from cafe24 import codes
from cafe24.text import Problem
from smsform.messages.common import language, word_for
from smsform.services.lists import RowProblem
from smsform.states import BatchState, JobPause, JobState

#: A job's state, for a person.
JOB_STATE_WORDS: dict[str, object] = {
    JobState.CHECKING.value: _l("Checking"),
    JobState.SCHEDULED.value: _l("Scheduled"),
    JobState.RUNNING.value: _l("Sending"),
    JobState.PAUSED.value: _l("Paused"),
    JobState.DONE.value: _l("Done"),
    JobState.CANCELLED.value: _l("Cancelled"),
}

#: A batch's state (and so each of its recipients' outcome), for a person.
BATCH_STATE_WORDS: dict[str, object] = {
    BatchState.WAITING.value: _l("Waiting"),
    BatchState.SENDING.value: _l("Being sent"),
    BatchState.ACCEPTED.value: _l("Accepted by the gateway"),
    BatchState.REFUSED.value: _l("Refused by the gateway (nothing sent)"),
    BatchState.NOT_SENT.value: _l("Not sent"),
    BatchState.UNKNOWN.value: _l("Unknown: the worker stopped during the call"),
    BatchState.CANCELLED.value: _l("Cancelled before it was sent"),
}

#: Why a job paused, as the job's page says it (what happened, and what to do).
PAUSE_WORDS: dict[str, object] = {
    JobPause.PERSON.value: _l("Paused by a person. Resume to send the rest."),
    JobPause.AUTH.value: _l("The gateway refused the account's id or key (-102): every "
                            "batch would be refused. Fix the key, then resume."),
    JobPause.CREDIT.value: _l("The credit ran out (-201): top up the account, then resume; "
                              "the refused batch goes again."),
    JobPause.SENDER.value: _l("The sender number is not registered at the gateway (-114): "
                              "register it, then resume."),
    JobPause.BLOCKED.value: _l("The gateway refused the send (-105): every batch would be "
                               "refused. Ask Cafe24, then resume."),
    JobPause.TRANSPORT.value: _l("Three batches in a row did not reach the gateway: check "
                                 "the network or the gateway, then resume."),
    JobPause.NIGHT.value: _l("An advertisement may not be sent from 21:00 to 08:00: the job "
                             "goes on by itself at 08:00 (Korea time)."),
    JobPause.LATE.value: _l("The job's time passed while the worker was not running: start "
                            "it now or cancel it."),
}


def list_file_text(path: str, reason: str) -> str:
    """A list's file that could not be opened (the CLI's ``--file``)."""
    return _("The file %(path)s cannot be read: %(reason)s", path=path, reason=reason)


def job_bar_label(job_id: int) -> str:
    """The CLI's progress bar of a job."""
    return _("Job %(id)s", id=job_id)


def job_state_text(state: str) -> str:
    """A job's state in words (the code itself when it has none)."""
    return word_for(JOB_STATE_WORDS, state)


def batch_state_text(state: str) -> str:
    """A batch's (and its recipients') outcome in words."""
    return word_for(BATCH_STATE_WORDS, state)


def pause_text(reason: str | None) -> str:
    """Why a job paused, in words ("" when it did not)."""
    return word_for(PAUSE_WORDS, reason) if reason else ""


# -- the check (services.bulk_check) -------------------------------------------------------

#: Why the check left a row out, by its code (``bulk_check.ROW_CODES``; ``no_name`` and
#: the reader's codes are worded in ``messages.lists``).
CHECK_ROW_WORDS: dict[str, LazyString] = {
    "missing_field": _l("The text uses this column, and the row leaves it empty"),
    "unsupported_chars": _l("A merged value holds characters a text message cannot carry"),
    "merged_too_long": _l("The merged text is longer than an LMS can be (2,000 bytes)"),
    "opted_out": _l("Opted out of advertisements (수신거부): not sent this advertisement"),
}

#: Why a draft cannot start, by the check's own codes (``bulk_check.MESSAGE_CODES``); the
#: library's and the law's codes are worded in ``messages.send`` and
#: ``messages.compliance``.
CHECK_MESSAGE_SENTENCES: dict[str, LazyString] = {
    "unknown_field": _l("The text uses {%(field)s}, but the list has no column of that "
                        "name. Its columns: %(columns)s."),
    "no_name_column": _l("The text uses {name}, but no column of the list holds names: "
                         "choose the name column, or take {name} out of the text."),
}


#: The check's message problems whose words follow a count, as ``messages.send`` keeps
#: its own (``PROBLEM_COUNTED``): the parameter that holds it, and the sentence.
CHECK_COUNTED: dict[str, tuple[str, Callable[..., str]]] = {
    "sms_too_long": ("count", lambda n, **v: ngettext(
        "SMS was chosen, but %(count)s merged text is longer than an SMS can be "
        "(%(length)s bytes, the limit is %(limit)s): choose automatic or LMS, or shorten "
        "the text.",
        "SMS was chosen, but %(count)s merged texts are longer than an SMS can be (the "
        "longest %(length)s bytes, the limit is %(limit)s): choose automatic or LMS, or "
        "shorten the text.", n, **v)),
}


def job_problem_text(problem: RowProblem) -> str:
    """Why a row of a bulk job's list was left out, by the reader or by the check (the one
    ``messages.row_problem_text``, which knows ``CHECK_ROW_WORDS``)."""
    from smsform.messages.lists import row_problem_text  # it imports this module

    return row_problem_text(problem)


def check_problem_text(problem: Problem) -> str:
    """Why a bulk job's draft cannot start: the check's own codes, the gateway library's
    and the law's (the one ``messages.problem_text``, which knows the check's codes; the
    API's ``api_problem_text`` too)."""
    from smsform.messages.send import problem_text  # it imports this module

    return problem_text(problem)


#: What each outcome means for the recipient, in the report (a refusal: the gateway's
#: own words for its code).
BATCH_MEANING_WORDS: dict[str, object] = {
    BatchState.WAITING.value: _l("Not handed over yet."),
    BatchState.SENDING.value: _l("Being handed over to the gateway now."),
    BatchState.ACCEPTED.value: _l("The gateway took the message for this number."),
    BatchState.NOT_SENT.value: _l("Never reached the gateway: nothing was sent or charged."),
    BatchState.UNKNOWN.value: _l("The answer never came: the message may or may not have "
                                 "gone. It is not sent again; look the number up in the "
                                 "results."),
    BatchState.CANCELLED.value: _l("The job was cancelled before this batch went: not sent."),
}


def batch_meaning_text(state: str, code: str | None) -> str:
    """What a batch's outcome means for its recipients: a refusal in the gateway's words."""
    if state == BatchState.REFUSED:
        return codes.describe_send(code or "").text(language())
    return word_for(BATCH_MEANING_WORDS, state, "")


def job_cancelled_text(went: int) -> str:
    """What a cancel did: the batches not handed over stopped; ``went`` recipients had
    been handed over before it."""
    if not went:
        return _("The job is cancelled: nothing was sent.")
    return ngettext("The job is cancelled: %(count)s recipient had been handed over to the "
                    "gateway; the rest are not sent.",
                    "The job is cancelled: %(count)s recipients had been handed over to the "
                    "gateway; the rest are not sent.", went, count=format_number(went))


def time_left_text(left: timedelta | None, state: str) -> str:
    """How long the rest of a job will take at the measured pace."""
    if state in (JobState.DONE, JobState.CANCELLED):
        return _("None")
    if left is None:
        return _("Not known yet")
    seconds = left.total_seconds()
    if seconds < 60:
        return _("Under a minute")
    minutes = round(seconds / 60)
    if minutes < 120:
        return ngettext("About %(count)s minute", "About %(count)s minutes", minutes,
                        count=format_number(minutes))
    hours = round(minutes / 60)
    return ngettext("About %(count)s hour", "About %(count)s hours", hours,
                    count=format_number(hours))


def unknown_note_text(unknown: int) -> str:
    """What a job with recipients of unknown outcome means ("" with none)."""
    if not unknown:
        return ""
    return ngettext("%(count)s recipient's batch was in flight when its worker stopped: it "
                    "is not sent again. An administrator can check the gateway's results and "
                    "mark its send in the send log.",
                    "%(count)s recipients' batches were in flight when their worker stopped: "
                    "they are not sent again. An administrator can check the gateway's "
                    "results and mark their sends in the send log.", unknown,
                    count=format_number(unknown))
