"""Words for what the library and the services report: the one place codes become sentences.

The library (``cafe24/``) and the services report problems, outcomes, refusals and result
rows as codes with parameters. Each code gets an English sentence here, which is its message
id; the Korean lives in ``translations/ko`` like every other text. Numbers are written for the
locale ("2,015"), and a sentence whose words follow a count goes through ``ngettext``.

Callers use the package, one way: ``from smsform import messages; messages.problem_text(p)``.
The sentences live by area, each module importing only the services it words:

- ``common``   the request's language, numbers for the locale, the terminal's two languages
- ``send``     a send's problems and outcome, a reused form token or Idempotency-Key
- ``gateway``  transport failures, look-ups, result rows, the dashboard's gateway check
- ``sendlog``  the send log: results, codes, marks, list filters, ``log purge``
- ``accounts`` roles and the audit trail
- ``api``      the token API's (and the CLI's) input
- ``contacts`` the address book's sentences (its refusals are in ``refusals``)
- ``lists``    why a row of an uploaded or pasted list was left out
- ``compliance`` the law's judge of a send: advertisements, the night rule
- ``optouts``  the opt-out list: how a number was recorded, an import's report, a send's
               opted-out numbers
- ``bulk``     bulk jobs: a job's and a batch's state, why a job paused, why the check
               left a row out or will not start a draft
- ``delivery`` delivery status: each recipient's outcome, what a delivery sync did
- ``refusals`` every service's ``Refusal`` (accounts, tokens, relay sites, marks, filters):
               one table by class and code, ``refusal_text`` and ``filter_problems``

The coming areas get a module each, re-exported below like the rest: ``bulk`` (jobs and
batches), ``contacts`` (the address book, lists, opt-outs), ``delivery`` (delivery status)
and ``relay`` (the relay's own words, when it has some); their refusals join the table in
``refusals``.
A new sentence goes into its area's module, never into this file.
"""

from smsform.messages.accounts import (
    AUDIT_ACTION_WORDS,
    CHARSET_WORDS,
    audit_action_text,
    audit_detail_text,
    charset_text,
    role_text,
)
from smsform.messages.api import (
    API_INPUT_COUNTED,
    API_INPUT_SENTENCES,
    API_PROBLEM_SENTENCES,
    api_input_text,
    api_problem_text,
    api_too_many_text,
    check_input_text,
)
from smsform.messages.bulk import (
    BATCH_STATE_WORDS,
    CHECK_MESSAGE_SENTENCES,
    CHECK_ROW_WORDS,
    JOB_STATE_WORDS,
    PAUSE_WORDS,
    batch_meaning_text,
    batch_state_text,
    check_problem_text,
    job_bar_label,
    job_cancelled_text,
    job_problem_text,
    job_state_text,
    list_file_text,
    pause_text,
    time_left_text,
    unknown_note_text,
)
from smsform.messages.common import (
    choice_text,
    format_params,
    in_both,
    language,
    terminal_time,
    whole_number_text,
)
from smsform.messages.compliance import COMPLIANCE_SENTENCES
from smsform.messages.contacts import contacts_number_search_text
from smsform.messages.delivery import (
    DELIVERY_MEANINGS,
    DELIVERY_WORDS,
    delivery_counts_text,
    delivery_outcome_meaning,
    delivery_state_meaning,
    delivery_state_text,
    sync_stopped_text,
    sync_summary_text,
)
from smsform.messages.gateway import (
    ROW_SEND_TYPE_WORDS,
    ROW_STATUS_WORDS,
    credit_failure_text,
    delivery_text,
    gateway_check_text,
    gateway_check_value,
    gateway_failure_text,
    list_throttled_text,
    row_send_type_text,
    row_status_text,
    transport_text,
)
from smsform.messages.lists import (
    LIST_KIND_WORDS,
    ROW_PROBLEM_WORDS,
    list_kind_text,
    row_problem_text,
)
from smsform.messages.optouts import VIA_WORDS, excluded_text, via_text
from smsform.messages.refusals import (
    REFUSALS,
    filter_problem_text,
    filter_problems,
    refusal_text,
)
from smsform.messages.send import (
    KEY_SENTENCES,
    PROBLEM_COUNTED,
    PROBLEM_SENTENCES,
    next_step_text,
    not_sent_again_text,
    not_sent_text,
    outcome_text,
    previous_text,
    problem_text,
    send_result_text,
    unknown_outcome_text,
    unreachable_text,
)
from smsform.messages.sendlog import (
    LOG_MARK_WORDS,
    LOG_RESULT_WORDS,
    SOURCE_WORDS,
    attention_text,
    cost_text,
    forecast_text,
    gateway_code,
    log_code_text,
    log_mark_text,
    log_result_text,
    no_such_send_text,
    purge_count_text,
    purge_future_text,
    purge_text,
    result_code_text,
    source_text,
)

__all__ = [
    "AUDIT_ACTION_WORDS", "audit_action_text", "audit_detail_text", "CHARSET_WORDS",
    "charset_text", "role_text",
    "API_INPUT_COUNTED", "API_INPUT_SENTENCES", "API_PROBLEM_SENTENCES", "api_input_text",
    "api_problem_text", "api_too_many_text", "check_input_text",
    "choice_text", "COMPLIANCE_SENTENCES", "format_params", "in_both", "language", "terminal_time",
    "whole_number_text",
    "DELIVERY_MEANINGS", "DELIVERY_WORDS", "delivery_counts_text",
    "delivery_outcome_meaning", "delivery_state_meaning",
    "delivery_state_text",
    "sync_stopped_text", "sync_summary_text",
    "ROW_SEND_TYPE_WORDS", "ROW_STATUS_WORDS", "delivery_text", "gateway_check_text",
    "credit_failure_text", "gateway_check_value", "gateway_failure_text", "list_throttled_text",
    "row_send_type_text",
    "row_status_text",
    "transport_text",
    "contacts_number_search_text",
    "LIST_KIND_WORDS", "ROW_PROBLEM_WORDS", "list_kind_text", "row_problem_text",
    "VIA_WORDS", "excluded_text", "via_text",
    "BATCH_STATE_WORDS", "JOB_STATE_WORDS", "PAUSE_WORDS", "batch_state_text", "job_state_text",
    "pause_text", "job_bar_label", "list_file_text",
    "CHECK_MESSAGE_SENTENCES", "CHECK_ROW_WORDS", "check_problem_text", "job_problem_text",
    "batch_meaning_text", "job_cancelled_text", "time_left_text", "unknown_note_text",
    "REFUSALS", "filter_problem_text", "filter_problems", "refusal_text",
    "KEY_SENTENCES", "PROBLEM_COUNTED", "PROBLEM_SENTENCES", "not_sent_again_text",
    "not_sent_text", "outcome_text", "previous_text", "problem_text", "send_result_text",
    "unknown_outcome_text", "unreachable_text",
    "LOG_MARK_WORDS", "LOG_RESULT_WORDS", "attention_text", "cost_text", "forecast_text",
    "log_code_text", "log_mark_text",
    "log_result_text", "no_such_send_text",
    "purge_count_text", "purge_future_text", "purge_text", "result_code_text",
    "SOURCE_WORDS", "gateway_code", "next_step_text", "source_text",
]
