"""The vocabularies of what the app keeps track of: one ``StrEnum`` per stored state.

Each state is written here once, as the strings its column holds, with named sets for the
questions asked of it (which ones the gateway took, which count against a limit...). The
models, the services and every edge import it from here; nobody writes the strings again.
The words for a person live in ``smsform.messages``, keyed by these members.

The coming states follow the same pattern, in this module: a bulk job's state, a batch's
state and a delivery's state are each a ``StrEnum`` with ``ClassVar`` sets beside it.
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
