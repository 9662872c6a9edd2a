"""The "send once" service: every way in (form, JSON, later API, relay, CLI, bulk) calls
``submit`` and gets a typed ``SendResult``; each edge only maps it to its own format.

``submit`` owns the whole life of a send: the one judgement of the request, the claim of
its send token or ``Idempotency-Key`` (committed before anything leaves), the single
gateway call (never retried once the bytes may have left) and the record of its outcome.
No HTTP in here: no status codes, no pages, no sentences.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cafe24.answers import SendOutcome, SendStatus
from cafe24.calls import SendRequest
from cafe24.errors import Cafe24Error, ConnectFailed, InvalidRequest
from cafe24.text import Problem
from smsform import logs
from smsform.services import gateway, tokens

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
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a status: the form's token is not valid
    KEY_INVALID = "key_invalid"  # the Idempotency-Key is not usable

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

    user_id: int
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

    def as_record(self) -> dict[str, Any]:
        """The stored form (codes, never prose and never a gateway body)."""
        return {"status": self.status.value, "code": self.code, "remaining": self.remaining,
                "detail": self.detail}

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> Previous | None:
        """Read a stored record; records from before this version are read by their words."""
        if not record:
            return None
        status = record.get("status")
        if status is None:  # an older record: result/code/outcome_unknown
            if record.get("outcome_unknown"):
                status = Status.UNKNOWN
            elif record.get("result") in ("success", "reserved", "test"):
                status = record["result"]
            else:
                status = Status.REFUSED
        return cls(Status(status), record.get("code"), record.get("remaining"),
                   record.get("detail", ""))


@dataclass(frozen=True)
class SendResult:
    """What became of one submitted send, as codes and values."""

    status: Status
    request: SendRequest
    outcome: SendOutcome | None = None
    error: Cafe24Error | None = None
    problems: tuple[Problem, ...] = ()
    previous: Previous | None = field(default=None)

    @property
    def code(self) -> str | None:
        """The gateway's answer code when it gave one, else the status's own word."""
        if self.outcome is not None and self.outcome.code and self.status in (
                Status.SUCCESS, Status.RESERVED, Status.TEST, Status.REFUSED):
            return self.outcome.code
        return self.status.value

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
           now: datetime | None = None, input_problems: Sequence[Problem] = ()) -> SendResult:
    """Judge ``request`` once, claim ``key``, send once, record the outcome.

    ``input_problems`` are what the edge found while reading its input (a date that is
    not a date); they are reported together with the request's own.
    """
    problems = (*input_problems, *request.problems(now))
    if problems:
        return SendResult(Status.INVALID, request, problems=problems)
    token = None
    if key is not None:
        token, refusal = _claim(key, actor, request)
        if refusal is not None:
            return refusal
    result = _call(request, actor)
    if token is not None:
        if result.status in (Status.REFUSED, Status.NOT_SENT):
            tokens.release(token)  # nothing went out: the corrected form may use it again
        else:
            tokens.finish(token, result.as_previous().as_record())
    return result


def _claim(key: SendKey, actor: Actor, request: SendRequest) -> tuple[str | None,
                                                                     SendResult | None]:
    """The claimed token's name, or the result that ends the send here."""
    if not key.usable:
        return None, SendResult(Status.KEY_INVALID, request)
    token = tokens.from_key(key.value, actor.user_id) if key.from_header else key.value
    claim = tokens.claim(token, actor.user_id)
    if claim.ok:
        return token, None
    if claim.reason == "used":
        return None, SendResult(Status.DUPLICATE, request,
                                previous=Previous.from_record(claim.outcome))
    return None, SendResult(Status.TOKEN_INVALID, request)


def _call(request: SendRequest, actor: Actor) -> SendResult:
    """The one gateway call, logged before and after (never the key, never the text)."""
    log.info("send intent user=%s source=%s kind=%s recipients=%d cost=%d test=%s "
             "reserved=%s", actor.name, actor.source, request.kind, request.recipient_count,
             request.cost, request.test, request.reserve_at is not None)
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
