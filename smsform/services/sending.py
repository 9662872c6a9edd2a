"""The "send once" service: every way in (form, JSON, later API, relay, CLI, bulk) calls
``submit`` and gets a typed ``SendResult``; each edge only maps it to its own format.

``submit`` owns the whole life of a send: the one judgement of the request, the claim of
its send token or ``Idempotency-Key`` (committed before anything leaves), the single
gateway call (never retried once the bytes may have left) and the record of its outcome.
No HTTP in here: no status codes, no pages, no sentences.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from flask import g
from sqlalchemy.exc import SQLAlchemyError

from cafe24.answers import SendOutcome, SendStatus
from cafe24.calls import SendRequest
from cafe24.errors import Cafe24Error, ConnectFailed, InvalidRequest
from cafe24.text import Problem
from smsform import logs
from smsform.services import gateway, sendlog, tokens

log = logs.get("send")

#: The longest Idempotency-Key a caller may choose.
MAX_KEY_LENGTH = 40


class Status(StrEnum):
    """How a submitted send ended."""

    SUCCESS = "success"  # the gateway accepted it for sending now
    RESERVED = "reserved"  # accepted for a later time
    TEST = "test"  # a testflag dry run: nothing sent, nothing charged
    REFUSED = "refused"  # the gateway said no, with a code; nothing sent
    NOT_SENT = "not_sent"  # the gateway was not reached (or the client refused); nothing sent
    UNKNOWN = "unknown"  # the request may have gone out, but no answer came back
    INVALID = "invalid"  # the request breaks a rule; nothing sent
    DUPLICATE = "duplicate"  # its token or key already sent once; not sent again
    IN_FLIGHT = "in_flight"  # its token or key is being sent right now; not sent again
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a status: the form's token is not valid
    KEY_INVALID = "key_invalid"  # the Idempotency-Key is not usable
    KEY_MISMATCH = "key_mismatch"  # the Idempotency-Key was used for another request
    OVER_LIMIT = "over_limit"  # the caller's own allowance (a relay site's day) is spent

    @property
    def accepted(self) -> bool:
        """True for the three endings in which the gateway took the send."""
        return self in (Status.SUCCESS, Status.RESERVED, Status.TEST)


_FROM_OUTCOME = {
    SendStatus.SUCCESS: Status.SUCCESS,
    SendStatus.RESERVED: Status.RESERVED,
    SendStatus.TEST: Status.TEST,
    SendStatus.REFUSED: Status.REFUSED,
    SendStatus.UNKNOWN: Status.UNKNOWN,
}


@dataclass(frozen=True)
class Actor:
    """Who is sending, and by which way in (``form``, ``json``; later ``api``, ``relay``...)."""

    user_id: int | None  # None for a relay site (its name stands for it)
    name: str
    source: str
    address: str | None = None


@dataclass(frozen=True)
class SendKey:
    """What makes a send happen once: a form's ``send_token`` or a caller's
    ``Idempotency-Key`` (unique per user)."""

    value: str
    from_header: bool = False

    @classmethod
    def form_token(cls, token: str | None) -> SendKey | None:
        """The key of a form's one-time token, or None when the post carried none."""
        token = (token or "").strip()
        return cls(token) if token else None

    @classmethod
    def header(cls, value: str | None) -> SendKey | None:
        """The key of an ``Idempotency-Key`` header, or None when there was none."""
        return None if value is None else cls(value.strip(), from_header=True)

    @property
    def usable(self) -> bool:
        """A header key must be 1 to 40 printable characters."""
        return bool(self.value) and (not self.from_header or (
            len(self.value) <= MAX_KEY_LENGTH and self.value.isprintable()))


@dataclass(frozen=True)
class Previous:
    """What is known of the first send under a reused token or key (None: nothing)."""

    status: Status
    code: str | None
    remaining: int | None
    detail: str = ""


@dataclass(frozen=True)
class SendResult:
    """What became of one submitted send, as codes and values."""

    status: Status
    request: SendRequest
    outcome: SendOutcome | None = None
    error: Cafe24Error | None = None
    problems: tuple[Problem, ...] = ()
    previous: Previous | None = field(default=None)
    send_id: int | None = None  # the send log's row, when one was written
    logged_at: datetime | None = None  # when that row was written (UTC, naive)
    #: False when the database refused the outcome after the call: the row stays
    #: ``pending`` (then ``unknown``) while this result says what the gateway answered.
    outcome_logged: bool = True

    @property
    def code(self) -> str | None:
        """The gateway's answer code when it gave one, else the status's own word."""
        if self.outcome is not None and self.outcome.code and self.status in (
                Status.SUCCESS, Status.RESERVED, Status.TEST, Status.REFUSED):
            return self.outcome.code
        return self.status.value

    @property
    def logged_as(self) -> str:
        """The send log's ``result`` for this ending (of a send that reached the call)."""
        return _LOG_RESULT[self.status]

    @property
    def remaining(self) -> int | None:
        """Credits left, when the gateway said."""
        return self.outcome.remaining if self.outcome else None

    @property
    def detail(self) -> str:
        """What our side knows of a failure (a transport error's own words), else ''."""
        error = self.error or (self.outcome.error if self.outcome else None)
        return error.message if error else ""

    def as_previous(self) -> Previous:
        """This result as a later repeat of the same key will be told it."""
        return Previous(self.status, self.code, self.remaining, self.detail)


def submit(request: SendRequest, actor: Actor, key: SendKey | None = None, *,
           now: datetime | None = None, input_problems: Sequence[Problem] = (),
           admit: Callable[[int], bool] | None = None) -> SendResult:
    """Judge ``request`` once, log it and claim ``key`` in one commit, send once, log the
    outcome.

    ``input_problems`` are what the edge found while reading its input (a date that is
    not a date); they are reported together with the request's own. ``admit``, when
    given, is asked with the committed intent row's id before the gateway call, so an
    allowance can count every send logged so far, concurrent ones included; a refusal
    ends the send as not sent (``OVER_LIMIT``), its row kept.
    """
    problems = (*input_problems, *request.problems(now))
    if problems:
        return SendResult(Status.INVALID, request, problems=problems)
    send_key, digest = None, None
    if key is not None:
        if not key.usable:
            return SendResult(Status.KEY_INVALID, request)
        if key.from_header:
            send_key, digest = tokens.header_key(actor.user_id, key.value), (
                sendlog.request_hash(request))
        else:
            send_key = tokens.form_key(key.value, actor.user_id)
            if send_key is None:
                return SendResult(Status.TOKEN_INVALID, request)
    claim = sendlog.record_intent(request, user_id=actor.user_id, actor=actor.name,
                                  source=actor.source, address=actor.address,
                                  send_key=send_key, digest=digest)
    if isinstance(claim, sendlog.Taken):
        return _taken(request, claim)
    if admit is not None and not admit(claim.send_id):
        sendlog.record_outcome(
            claim.send_id, result="not_sent", code=Status.OVER_LIMIT.value, remaining=None,
            answer="", detail="over the allowance", duration_ms=0, release_key=True,
            user_id=None, sender=None)
        return SendResult(Status.OVER_LIMIT, request, send_id=claim.send_id)
    started = time.monotonic()
    result = replace(_call(request, actor), send_id=claim.send_id, logged_at=claim.created_at)
    try:
        sendlog.record_outcome(
            claim.send_id, result=result.logged_as, code=result.code,
            remaining=result.remaining, answer=result.outcome.raw if result.outcome else "",
            detail=result.detail, duration_ms=round((time.monotonic() - started) * 1000),
            release_key=result.status in (Status.REFUSED, Status.NOT_SENT),
            user_id=actor.user_id, sender=request.sender if result.status.accepted else None)
    except SQLAlchemyError as exc:
        # The gateway has answered: say what it said rather than fail the request. The
        # row stays pending (then unknown) and keeps its key, so nothing is sent again,
        # until an administrator marks it from this line and the gateway's results.
        log.error("send outcome NOT LOGGED send_id=%s user=%s status=%s code=%s: %s",
                  claim.send_id, actor.name, result.status.value, result.code,
                  type(exc).__name__)
        return replace(result, outcome_logged=False)
    return result


#: How each ending is written in the send log's ``result`` column.
_LOG_RESULT = {
    Status.SUCCESS: "success", Status.RESERVED: "reserved", Status.TEST: "test",
    Status.REFUSED: "refused", Status.NOT_SENT: "not_sent", Status.UNKNOWN: "unknown",
}


def _taken(request: SendRequest, taken: sendlog.Taken) -> SendResult:
    """The key already belongs to a logged send: say so, with what is known of it."""
    if not taken.same_request:
        return SendResult(Status.KEY_MISMATCH, request, send_id=taken.send_id)
    result = sendlog.effective_result(taken.result, taken.created_at)
    if result == "pending":
        return SendResult(Status.IN_FLIGHT, request, send_id=taken.send_id)
    previous = Previous(Status(result), taken.code, taken.remaining, taken.detail or "")
    return SendResult(Status.DUPLICATE, request, previous=previous, send_id=taken.send_id)


def _call(request: SendRequest, actor: Actor) -> SendResult:
    """The one gateway call, logged before and after (never the key, never the text)."""
    log.info("send intent user=%s source=%s kind=%s recipients=%d cost=%d test=%s "
             "reserved=%s", actor.name, actor.source, request.kind, request.recipient_count,
             request.cost, request.test, request.reserve_at is not None)
    g.smsform_gateway_called = True  # from here, a failure cannot say "nothing was sent"
    try:
        outcome = gateway.client().send(request, validate=False)  # judged in submit
    except (ConnectFailed, InvalidRequest) as exc:
        log.warning("send not sent user=%s: %s", actor.name, exc.message)
        return SendResult(Status.NOT_SENT, request, error=exc)
    status = _FROM_OUTCOME[outcome.status]
    level = logging.ERROR if status is Status.UNKNOWN else logging.INFO
    log.log(level, "send outcome user=%s status=%s code=%s remaining=%s", actor.name,
            status.value, outcome.code, outcome.remaining)
    return SendResult(status, request, outcome=outcome)
