"""The last credit known, and the check that a send's cost does not pass it.

The credit is known from the gateway's own answers: a look-up of this process (the
dashboard, ``/smscount``, ``/gateway``) or a send's answer (``success,N``, ``-201,N``...),
which the send log keeps for every process. Before a call whose cost exceeds the last
credit known, the send service asks the gateway once more (the account may have been
topped up since) and refuses the send with the shortfall when it is still short. When no
credit is known, or the send is a test (it costs nothing), nothing is refused here: the
gateway has the last word (``-201``).
"""

from __future__ import annotations

from datetime import datetime

from cafe24.errors import Cafe24Error
from cafe24.text import Problem
from smsform import logs
from smsform.extensions import db
from smsform.models import utcnow
from smsform.services import gateway, hot_writes, sendlog

log = logs.get("credit")
#: The problem code of a send refused for lack of credit (params: needed, credit, shortfall).
CREDIT_SHORT = "credit_short"


def last_known() -> tuple[datetime, int] | None:
    """The newest credit anyone was told, and when (UTC, naive): by a look-up or a send of
    this process, or in a send's answer in the log (which every process writes)."""
    with hot_writes.connect(db.engine) as connection:
        return newest(sendlog.newest_answer(connection))


def newest(logged: tuple[datetime, int] | None) -> tuple[datetime, int] | None:
    """The newer of this process's memory and ``logged`` (the log's newest answer)."""
    known = [c for c in (gateway.gateway().last_credit, logged) if c is not None]
    return max(known, key=lambda c: c[0]) if known else None


def shortfall(cost: int, logged: tuple[datetime, int] | None) -> Problem | None:
    """Why a send of ``cost`` credits cannot be paid for, or None: it costs nothing, no
    credit is known (``logged``: the log's newest answer, as the caller read it), or the
    credit covers it. A last known credit that is short is asked of the gateway again (a
    look-up) before the send is refused; when the gateway cannot say, it stands."""
    if cost <= 0:
        return None
    known = newest(logged)
    if known is None or cost <= known[1]:
        return None
    try:
        credit = gateway.gateway().remaining()  # remembered as the newest credit known
    except Cafe24Error as exc:
        log.info("credit look-up before a send failed (%s): the last known credit stands",
                 type(exc).__name__)
        credit = known[1]
    if cost <= credit:
        return None
    return Problem("credit", CREDIT_SHORT,
                   {"needed": cost, "credit": credit, "shortfall": cost - credit})


def note(remaining: int | None) -> None:
    """Remember the credit a send's answer gave (this process's memory; the log keeps it for
    the others)."""
    if remaining is not None:
        gateway.gateway().last_credit = (utcnow(), remaining)
