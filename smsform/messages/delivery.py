"""Words for delivery status: each recipient's outcome as the gateway's result list told
it (``services.delivery``), and what a delivery sync did."""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cafe24 import codes
from smsform.messages.common import language, word_for
from smsform.states import Delivery

#: A recipient's delivery, for a person.
DELIVERY_WORDS: dict[str, object] = {
    Delivery.WAITING.value: _l("Waiting for the report"),
    Delivery.DELIVERED.value: _l("Reached the phone"),
    Delivery.FAILED.value: _l("Failed"),
    Delivery.NO_REPORT.value: _l("No report"),
}

#: What each outcome means, in a sentence (the pages' legends and the API's meaning).
DELIVERY_MEANINGS: dict[str, object] = {
    Delivery.WAITING.value: _l("The gateway accepted it and has not yet said whether it "
                               "arrived."),
    Delivery.DELIVERED.value: _l("The gateway's result list says it reached the phone."),
    Delivery.FAILED.value: _l("The gateway's result list says it did not reach the phone; "
                              "its credit is refunded."),
    Delivery.NO_REPORT.value: _l("The gateway accepted it and never said it arrived within "
                                 "the report window."),
}


def delivery_state_text(state: str | None) -> str:
    """A recipient's delivery in words (no value: waiting)."""
    return word_for(DELIVERY_WORDS, state or Delivery.WAITING.value)


def delivery_state_meaning(state: str | None) -> str:
    """What a recipient's delivery means, in a sentence."""
    return word_for(DELIVERY_MEANINGS, state or Delivery.WAITING.value)


def delivery_outcome_meaning(state: str | None, code: str | None) -> str:
    """What one recipient's delivery means: the gateway's meaning of a failure's code when
    the list gave one, else the outcome's own sentence."""
    if code:
        return codes.describe_delivery(code).text(language())
    return delivery_state_meaning(state)


def sync_summary_text(report: object) -> str:
    """One delivery sync's figures, in a sentence."""
    values = {name: format_number(getattr(report, name)) for name in (
        "calls", "listed", "matched", "foreign", "delivered", "failed", "no_report",
        "resolved")}
    return _("Delivery sync: %(calls)s list calls, %(listed)s records listed, %(matched)s "
             "matched to logged recipients (%(foreign)s sent by other tools, not imported); "
             "written: %(delivered)s delivered, %(failed)s failed, %(no_report)s without a "
             "report; %(resolved)s unknown sends seen in the list.", **values)


def sync_stopped_text(stopped: str, detail: str = "") -> str:
    """Why a delivery sync stopped before it read everything."""
    if stopped == "-102":
        return _("The delivery sync stopped: the gateway refused the account's id or key "
                 "(-102). Check CAFE24_SMS_USER_ID and CAFE24_SMS_SECURE_KEY.")
    if stopped == "transport":
        return _("The delivery sync stopped: the gateway's result list could not be read "
                 "(%(detail)s). It is tried again at the next sync.", detail=detail or "-")
    return _("The delivery sync stopped: the gateway answered %(code)s.", code=stopped)


def delivery_counts_text(counts: dict[str, int]) -> str:
    """A send's recipients by delivery outcome, in the outcomes' order: "Delivered 3 ·
    Failed 1" (outcomes with none are left out)."""
    parts = [f"{delivery_state_text(state.value)} {format_number(counts[state.value])}"
             for state in (Delivery.DELIVERED, Delivery.FAILED, Delivery.WAITING,
                           Delivery.NO_REPORT) if counts.get(state.value)]
    return " · ".join(parts)
