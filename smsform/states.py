"""The vocabularies of what the app keeps track of: one ``StrEnum`` per stored state.

Each state is written here once, as the strings its column holds, with named sets for the
questions asked of it (which ones the gateway took, which count against a limit...). The
models, the services and every edge import it from here; nobody writes the strings again.
The words for a person live in ``smsform.messages``, keyed by these members.

A bulk job's state, a batch's state and why a job paused follow the same pattern (and the
coming delivery state will): each a ``StrEnum`` with ``ClassVar`` sets beside it.
This module imports nothing of the app, so every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Result(StrEnum):
    """A send log row's ``result``: how a send that reached the log ended (or not yet).

    The order is a send's life: ``pending`` when it is logged, then its ending. A row still
    ``pending`` after the gateway's timeouts is shown as ``unknown``
    (``services.sendlog.effective_result``).
    """

    PENDING = "pending"  # logged, the gateway's answer not yet in
    SUCCESS = "success"  # the gateway accepted it for sending now
    RESERVED = "reserved"  # accepted for a later time
    TEST = "test"  # a testflag dry run: taken, nothing sent, nothing charged
    REFUSED = "refused"  # the gateway said no, with a code; nothing sent
    NOT_SENT = "not_sent"  # the gateway was not reached (or we refused first); nothing sent
    UNKNOWN = "unknown"  # the request may have gone out, but no answer came back

    #: The gateway took it (a test too): the edges answer these as a success.
    ACCEPTED: ClassVar[tuple[Result, ...]]
    #: The gateway took it and charged for it.
    CHARGED: ClassVar[tuple[Result, ...]]
    #: Sent, or possibly sent: counted against an allowance (a relay site's daily limit).
    COUNTED: ClassVar[tuple[Result, ...]]
    #: Stored for good (no age turns them into another): what the counts table sums.
    SUMMED: ClassVar[tuple[Result, ...]]

    @property
    def accepted(self) -> bool:
        """True when the gateway took the send."""
        return self in Result.ACCEPTED


# Tuples in the members' order, so a query built from one is the same each time.
Result.ACCEPTED = (Result.SUCCESS, Result.RESERVED, Result.TEST)
Result.CHARGED = (Result.SUCCESS, Result.RESERVED)
Result.COUNTED = (Result.PENDING, Result.SUCCESS, Result.RESERVED, Result.UNKNOWN)
Result.SUMMED = (Result.SUCCESS, Result.RESERVED, Result.TEST, Result.REFUSED, Result.NOT_SENT)


class OptOutVia(StrEnum):
    """How an opt-out (수신거부) was recorded: the ``via`` of ``optouts`` and of the
    removals' history."""

    HAND = "hand"  # typed on the opt-out page
    FILE = "file"  # a file (or pasted lines) imported on the page
    API = "api"  # POST /api/v1/optouts
    RELAY = "relay"  # a relay site's call
    CLI = "cli"  # flask --app app optout add|import


class JobState(StrEnum):
    """A bulk job's ``state`` (services.bulk): its life from the check page to its end.

    ``checking`` while the person reads the check page (nothing sent, cancellable), then
    ``scheduled`` (a time in the future) or ``running``; ``paused`` by a person or a stop
    rule (``JobPause``); ``done`` when no batch is left waiting, ``cancelled`` when a person
    stopped it (the batches already handed over stay as they went).
    """

    CHECKING = "checking"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"

    #: Started and not ended: the worker (or the clock) still has something to do.
    LIVE: ClassVar[tuple[JobState, ...]]
    #: Ended for good.
    FINAL: ClassVar[tuple[JobState, ...]]
    #: A person may still cancel it.
    CANCELLABLE: ClassVar[tuple[JobState, ...]]


JobState.LIVE = (JobState.SCHEDULED, JobState.RUNNING, JobState.PAUSED)
JobState.FINAL = (JobState.DONE, JobState.CANCELLED)
JobState.CANCELLABLE = (JobState.CHECKING, JobState.SCHEDULED, JobState.RUNNING,
                        JobState.PAUSED)


class BatchState(StrEnum):
    """A bulk job's batch's ``state``: one gateway call of at most 999 recipients.

    ``sending`` is committed before the call (and the send log's intent row in its own
    commit), its outcome after, exactly as a single send; a batch found ``sending`` after a
    worker died takes its send log row's result (``unknown`` past the unknown window: never
    sent again) or, with no row, goes back to ``waiting`` (nothing left).
    """

    WAITING = "waiting"  # not yet handed over
    SENDING = "sending"  # claimed by a worker: its call is being made
    ACCEPTED = "accepted"  # the gateway took it (success, reserved or a test)
    REFUSED = "refused"  # the gateway said no, with a code; nothing sent
    NOT_SENT = "not_sent"  # the gateway was not reached, or the app refused it first
    UNKNOWN = "unknown"  # in flight when its worker died, past the unknown window
    CANCELLED = "cancelled"  # the job was cancelled before it was handed over

    #: Ended: never handed over again.
    FINAL: ClassVar[tuple[BatchState, ...]]
    #: Still to go (or going).
    OPEN: ClassVar[tuple[BatchState, ...]]
    #: Handed over to the gateway (or possibly): what "went" counts on a cancel.
    HANDED_OVER: ClassVar[tuple[BatchState, ...]]


BatchState.FINAL = (BatchState.ACCEPTED, BatchState.REFUSED, BatchState.NOT_SENT,
                    BatchState.UNKNOWN, BatchState.CANCELLED)
BatchState.OPEN = (BatchState.WAITING, BatchState.SENDING)
BatchState.HANDED_OVER = (BatchState.SENDING, BatchState.ACCEPTED, BatchState.REFUSED,
                          BatchState.UNKNOWN)


class JobPause(StrEnum):
    """Why a bulk job is ``paused`` (``jobs.pause_reason``)."""

    PERSON = "person"  # someone pressed pause
    AUTH = "auth"  # -102: the gateway refused the account's id or key
    CREDIT = "credit"  # -201, or the app's own credit check
    SENDER = "sender"  # -114: the sender number is not registered
    BLOCKED = "blocked"  # -105
    TRANSPORT = "transport"  # three batches in a row did not reach the gateway
    NIGHT = "night"  # an advertisement reached 21:00 KST: resumes itself at 08:00
    LATE = "late"  # a scheduled job found more than SMSFORM_BULK_LATE_AFTER late


class Delivery(StrEnum):
    """A recipient's delivery outcome (``send_recipients.delivery``), as the gateway's result
    list (``sms_list.php``) tells it and the delivery sync (``services.delivery``) keeps it.

    ``waiting`` is stored as no value (NULL): every recipient of a send the gateway accepted
    is waiting until the list says more, so the send path writes nothing for it. A test, a
    refusal or a send that never went has no delivery at all (its send's result says why).
    """

    WAITING = "waiting"  # accepted; the list has not said it arrived or failed (NULL)
    DELIVERED = "delivered"  # sendStatus 3
    FAILED = "failed"  # sendStatus 9 (refunded when the list gives a refundDate)
    NO_REPORT = "no_report"  # accepted, and nothing said within the window (24 h / 72 h)

    #: Written by the sync: what a recipient can be once the list has spoken (or not).
    STORED: ClassVar[tuple[Delivery, ...]]
    #: Ended: the sync does not look for it again.
    FINAL: ClassVar[tuple[Delivery, ...]]

    @property
    def stored(self) -> str | None:
        """The column's value for this outcome (None for ``waiting``)."""
        return None if self is Delivery.WAITING else self.value


Delivery.STORED = (Delivery.DELIVERED, Delivery.FAILED, Delivery.NO_REPORT)
Delivery.FINAL = (Delivery.DELIVERED, Delivery.FAILED, Delivery.NO_REPORT)
