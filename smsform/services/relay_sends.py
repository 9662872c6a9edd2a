"""What a relay site asks of the gateway through this app: sends, its credit, its senders.

A relayed send is read from the wire's fields like the form's (``form_input``), checked for
what the site may do (its sender numbers, an SMS that is too long, its daily limit through
``relay_gate.Admission``), and sent through ``sending.submit`` like every other way in:
logged with source ``relay`` and the site's name, sent once with the master key, which
never leaves this app. A test-only site's sends are always tests. No HTTP in here: the
relay's views read the wire and write the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from cafe24.phone import normalize_phone
from smsform import logs
from smsform.services import form_input, gateway, sending
from smsform.services.relay_gate import Admission, Denial
from smsform.services.relay_sites import SOURCE, Site, allowance

log = logs.get("relay")


def sender_allowed(site: Site, sender: str) -> bool:
    """True when ``sender`` is one of the site's numbers."""
    return (normalize_phone(sender) or sender) in site.senders


@dataclass(frozen=True)
class RelaySend:
    """What became of one relayed send: refused before the gateway (``denied``), or the
    send service's result; ``remaining`` is what the site is told it has left."""

    denied: Denial | None = None
    result: sending.SendResult | None = None
    remaining: int | None = None


def send(site: Site, fields: Mapping[str, str], address: str | None) -> RelaySend:
    """Read the wire's fields into a request, check what the site may do, and send it
    through the one send path."""
    draft = form_input.build_request(fields)
    request = draft.request
    if site.test_only and not request.test:
        request = replace(request, test=True)
    number = normalize_phone(request.sender)
    if number is not None and not sender_allowed(site, number):
        return RelaySend(Denial.SENDER)
    if not request.lms and request.kind == "L":  # the form would switch; the gateway refuses
        return RelaySend(Denial.SMS_TOO_LONG)
    admission = Admission(site, request.cost)
    left = admission.plainly_over()
    if left is not None:
        return RelaySend(Denial.DAILY_LIMIT, remaining=left)
    actor = sending.Actor(user_id=None, name=site.name, source=SOURCE, address=address)
    result = sending.submit(sending.SendOrder(
        request, actor, input_problems=tuple(draft.problems),
        admit=admission.admit if admission.limited else None))
    if result.status is sending.Status.OVER_LIMIT:
        log.info("relay site=%s over its daily limit (concurrent sends)", site.name)
        return RelaySend(Denial.DAILY_LIMIT, remaining=allowance(site))
    if result.status is sending.Status.CREDIT_SHORT:
        # Refused by the send service, as the gateway would (-201): the credit last known,
        # capped by what the site may still spend today.
        known = result.problems[0].params["credit"]
        assert isinstance(known, int)  # credit.shortfall's own count
        return RelaySend(result=result, remaining=allowance(site, known))
    # What it may spend, not the real credit: its limit left after this send.
    return RelaySend(result=result, remaining=admission.left_after(result.remaining))


def remaining(site: Site) -> int:
    """``sms_remain.php`` for a site: its allowance (the real credit when it has no limit).

    :raises cafe24.errors.Cafe24Error: the gateway could not say.
    """
    real = gateway.client().remaining()
    left = allowance(site, real)
    return real if left is None else left


def senders(site: Site) -> list[str]:
    """``smsSenderPhone.php`` for a site: its numbers that the gateway lists as approved.

    :raises cafe24.errors.Cafe24Error: the gateway could not say.
    """
    registered = {normalize_phone(n) or n for n in gateway.gateway().senders()}
    return [number for number in site.senders if number in registered]
