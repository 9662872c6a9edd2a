"""The "send once" service: every way in (form, JSON, API, relay, CLI, later the bulk
worker) puts its send in a ``SendOrder``, calls ``submit`` and gets a typed ``SendResult``;
each edge only maps it to its own format.

``submit`` owns the whole life of a send: the one judgement of the request, the claim of
its send token or ``Idempotency-Key`` (committed before anything leaves), the single
gateway call (never retried once the bytes may have left) and the record of its outcome.
No HTTP in here: no status codes, no pages, no sentences, no request globals (a worker has
no request). Whether the gateway was called is told by the result
(``SendResult.gateway_called``) or, for an exception that escapes once the call began, by
``gateway_was_called(exc)``; an edge tells its own error handler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from cafe24.answers import SendOutcome, SendStatus
from cafe24.calls import SendRequest
from cafe24.client import PreparedSend
from cafe24.errors import Cafe24Error, ConnectFailed, InvalidRequest
from cafe24.text import Problem
from smsform import logs
from smsform.extensions import db
from smsform.models import utcnow
from smsform.services import (
    compliance,
    contacts,
    credit,
    gateway,
    hot_writes,
    optouts,
    sendlog,
    tokens,
)
from smsform.states import Result

log = logs.get("send")

#: The longest Idempotency-Key a caller may choose.
MAX_KEY_LENGTH = 40


class Status(StrEnum):
    """How a submitted send ended."""

    # The six endings of a send that reached the log are its results (smsform.states).
    SUCCESS = Result.SUCCESS  # the gateway accepted it for sending now
    RESERVED = Result.RESERVED  # accepted for a later time
    TEST = Result.TEST  # a testflag dry run: nothing sent, nothing charged
    REFUSED = Result.REFUSED  # the gateway said no, with a code; nothing sent
    NOT_SENT = Result.NOT_SENT  # the gateway was not reached (or the client refused)
    UNKNOWN = Result.UNKNOWN  # the request may have gone out, but no answer came back
    INVALID = "invalid"  # the request breaks a rule; nothing sent
    DUPLICATE = "duplicate"  # its token or key already sent once; not sent again
    IN_FLIGHT = "in_flight"  # its token or key is being sent right now; not sent again
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a status: the form's token is not valid
    KEY_INVALID = "key_invalid"  # the Idempotency-Key is not usable
    KEY_MISMATCH = "key_mismatch"  # the Idempotency-Key was used for another request
    OVER_LIMIT = "over_limit"  # the caller's own allowance (a relay site's day) is spent
    CREDIT_SHORT = "credit_short"  # the cost passes the credit known; nothing sent (problems)

    @property
    def accepted(self) -> bool:
        """True for the three endings in which the gateway took the send."""
        return self.value in Result.ACCEPTED


_FROM_OUTCOME = {
    SendStatus.SUCCESS: Status.SUCCESS,
    SendStatus.RESERVED: Status.RESERVED,
    SendStatus.TEST: Status.TEST,
    SendStatus.REFUSED: Status.REFUSED,
    SendStatus.UNKNOWN: Status.UNKNOWN,
}


@dataclass(frozen=True)
class Actor:
    """Who is sending, and by which way in (``form``, ``json``, ``api``, ``relay``, ``cli``)."""

    user_id: int | None  # None for a relay site (its name stands for it)
    name: str
    source: str
    address: str | None = None


#: The way in whose accepted sends set the sender the form starts on next time: the form's
#: own. A number sent through the API, the relay, the CLI or a JSON script is not the
#: person's choice on the form.
REMEMBERS_SENDER = "form"


class KeyKind(StrEnum):
    """Where a send key comes from, which says how it is checked and stored."""

    FORM_TOKEN = "form_token"  # noqa: S105 - a kind: a form's signed one-time ``send_token``
    HEADER = "header"  # a caller's ``Idempotency-Key`` (JSON, API, CLI), unique per user
    JOB_BATCH = "job_batch"  # one batch of a bulk job, named by the job (the bulk issue)


@dataclass(frozen=True)
class SendKey:
    """What makes a send happen once: a form's ``send_token``, a caller's
    ``Idempotency-Key`` (unique per user) or a bulk job's batch."""

    value: str
    kind: KeyKind = KeyKind.FORM_TOKEN

    @classmethod
    def form_token(cls, token: str | None) -> SendKey | None:
        """The key of a form's one-time token, or None when the post carried none."""
        token = (token or "").strip()
        return cls(token) if token else None

    @classmethod
    def header(cls, value: str | None) -> SendKey | None:
        """The key of an ``Idempotency-Key`` header, or None when there was none."""
        return None if value is None else cls(value.strip(), KeyKind.HEADER)

    @classmethod
    def job_batch(cls, job_id: int, batch: int) -> SendKey:
        """The key of batch ``batch`` of bulk job ``job_id``: a batch is sent once, however
        often a worker picks it up again."""
        return cls(f"{job_id}:{batch}", KeyKind.JOB_BATCH)

    @property
    def job(self) -> tuple[int, int] | None:
        """A job batch's job id and batch number (the send log keeps them), else None."""
        if self.kind is not KeyKind.JOB_BATCH:
            return None
        job, _, batch = self.value.partition(":")
        return (int(job), int(batch)) if job.isdigit() and batch.isdigit() else None

    @property
    def usable(self) -> bool:
        """A header key must be 1 to 40 printable characters; a token, not empty."""
        if self.kind is KeyKind.HEADER:
            return 0 < len(self.value) <= MAX_KEY_LENGTH and self.value.isprintable()
        return bool(self.value)


@dataclass(frozen=True)
class SendOrder:
    """Everything one send needs, as an edge (or a worker) read it.

    ``input_problems`` are what the edge found while reading its input (a date that is not
    a date); they are reported together with the request's own. ``admit``, when given, is
    asked with the committed intent row's id before the gateway call, so an allowance can
    count every send logged so far, concurrent ones included; a refusal ends the send as
    not sent (``OVER_LIMIT``), its row kept. Then a cost over the credit last known
    (``services.credit``) ends it as not sent too (``CREDIT_SHORT``, the shortfall in
    ``problems``, its key free again). ``now`` is the time the request is judged at
    (tests; None: the clock).
    """

    request: SendRequest
    actor: Actor
    key: SendKey | None = None
    input_problems: tuple[Problem, ...] = ()
    admit: Callable[[int], bool] | None = None
    now: datetime | None = None
    #: Address book groups and contacts (ids) whose members are added to the recipients
    #: (``contacts.add_to_request``: one indexed read per group; none without them).
    groups: tuple[int, ...] = ()
    contacts: tuple[int, ...] = ()
    advertising: bool = False
    #: A job batch's recipients as the send log keeps them (JSON), written out when the
    #: job was made, beside its prepared request (``SendRequest.prepared``): used only
    #: while the request keeps them all (an opted-out number taken out unpacks it).
    logged_recipients: str | None = None
    #: Called in the thread beside the gateway call (after a job batch's row copy, in the
    #: app's context; at once before the call on an in-memory database): a bulk worker
    #: prepares its next batch there while this one waits on the network.
    beside: Callable[[], object] | None = None
    #: Called with the outcome's transaction and the result, after the outcome is written
    #: and before it commits: a bulk worker records its batch in the same commit. Its
    #: return value is the result's ``joined``; should the transaction fail, the outcome
    #: is written alone.
    then: Callable[[Connection, SendResult], object] | None = None
    #: The outcome of a call handed back unwritten (``SendResult.unwritten``), for its
    #: caller to write: a bulk worker writes it beside its next batch's call (or at once,
    #: when none follows). A send that ends before the call writes its own as always.
    later: bool = False


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
    #: The law's view (services.compliance): an advertisement, the recipients removed
    #: before the call, and what it noted without refusing the send.
    advertising: bool = False
    excluded: tuple[compliance.Excluded, ...] = ()
    notices: tuple[Problem, ...] = ()
    #: What the order's ``then`` returned, its transaction committed with the outcome's
    #: (None: it had none, or that transaction failed and the outcome went alone).
    joined: object = None
    #: The outcome not yet written (``SendOrder.later``): its caller writes it.
    unwritten: Unwritten | None = field(default=None, repr=False)

    @property
    def code(self) -> str | None:
        """The gateway's answer code when it gave one, else the status's own word."""
        if self.outcome is not None and self.outcome.code and self.status in (
                Status.SUCCESS, Status.RESERVED, Status.TEST, Status.REFUSED):
            return self.outcome.code
        return self.status.value

    @property
    def logged_as(self) -> Result:
        """The send log's ``result`` for this ending (of a send that reached the call)."""
        if self.status in (Status.OVER_LIMIT, Status.CREDIT_SHORT):
            return Result.NOT_SENT  # refused here, before the call
        return Result(self.status.value)

    @property
    def cost(self) -> int | None:
        """Credits the gateway charged for this send: the forecast when it took it (none for
        a test), 0 when it refused it or was never reached (or nothing was sent this time),
        None when nobody knows (at most ``request.cost``)."""
        if self.status is Status.UNKNOWN:
            return None
        return self.request.cost if self.status in (Status.SUCCESS, Status.RESERVED) else 0

    @property
    def remaining(self) -> int | None:
        """Credits left, when the gateway said."""
        return self.outcome.remaining if self.outcome else None

    @property
    def detail(self) -> str:
        """What our side knows of a failure (a transport error's own words), else ''."""
        error = self.error or (self.outcome.error if self.outcome else None)
        return error.message if error else ""

    @property
    def gateway_called(self) -> bool:
        """True when the request may have reached the gateway: from then on, a failure must
        never say that nothing was sent."""
        return self.status in _CALLED

    def as_previous(self) -> Previous:
        """This result as a later repeat of the same key will be told it."""
        return Previous(self.status, self.code, self.remaining, self.detail)


_RESULT_FIELDS = frozenset(f.name for f in fields(SendResult))


def _changed(result: SendResult, **changes: Any) -> SendResult:
    """``dataclasses.replace(result, **changes)`` without its walk of the fields and its
    fifteen frozen assignments (two on every send's path; each almost 1 % of an API send's own
    instructions: docs/performance.md). SendResult has no ``__post_init__`` and every field is in
    ``__init__``, so the copy of its attributes is the object ``replace`` makes."""
    if not changes.keys() <= _RESULT_FIELDS:
        raise TypeError(f"SendResult has no field {sorted(changes.keys() - _RESULT_FIELDS)}")
    changed = object.__new__(SendResult)
    changed.__dict__.update(result.__dict__, **changes)
    return changed


#: The endings of a send whose bytes may have reached the gateway.
_CALLED = frozenset({Status.SUCCESS, Status.RESERVED, Status.TEST, Status.REFUSED,
                     Status.UNKNOWN})
_GATEWAY_CALLED = "smsform_gateway_called"


def gateway_was_called(exc: BaseException) -> bool:
    """True when ``exc`` escaped ``submit`` after the gateway call began."""
    return getattr(exc, _GATEWAY_CALLED, False)


def _send_key(order: SendOrder) -> tuple[str | None, str | None] | Status:
    """The stored key and request digest of the order's key, or why the key cannot send."""
    key, request = order.key, order.request
    if key is None:
        return None, None
    if not key.usable:
        return Status.KEY_INVALID
    if key.kind is KeyKind.JOB_BATCH:
        return tokens.batch_key(key.value), sendlog.request_hash(request)
    user_id = order.actor.user_id
    if user_id is None:  # a header key or a form token is a user's own: a relay site has none
        return Status.KEY_INVALID if key.kind is KeyKind.HEADER else Status.TOKEN_INVALID
    if key.kind is KeyKind.HEADER:
        return tokens.header_key(user_id, key.value), sendlog.request_hash(request)
    send_key = tokens.form_key(key.value, user_id)
    return Status.TOKEN_INVALID if send_key is None else (send_key, None)


def submit(order: SendOrder) -> SendResult:
    """Judge the order once (the address book's recipients added, the law's judge, then
    the request's own rules), log it and claim its key in one commit, send once, log the
    outcome (see ``SendOrder`` for what each part does). The result carries the request as
    judged (an advertisement's text built) and what the law's judge found. Prepared
    recipients (``SendRequest.prepared``: a job batch's, judged by its check) are trusted
    only under a job batch's key with no address book added; any other send has them
    unpacked and judged one by one."""
    ready = judge_order(order)
    if isinstance(ready, SendResult):
        return ready
    claim = sendlog.record_intent(ready.request, **_intent_values(ready))
    if isinstance(claim, sendlog.Taken):
        return ready.told(_taken(ready.request, claim))
    return send_logged(ready, claim)


@dataclass(frozen=True)
class Ready:
    """An order judged and keyed, nothing written yet (``judge_order``): the part of
    ``submit`` before its intent. A bulk worker makes its next batch's while the one
    before is being called, and logs it (``log_intent``, ``log_claimed_intent``) with its
    claim on the way from that one's answer to its own call; ``at`` is when it was judged
    (UTC, naive: the opt-out list's changes since then are looked for before it is
    logged)."""

    order: SendOrder
    judged: compliance.Judged
    send_key: str | None
    digest: str | None
    at: datetime
    #: The request's form body encoded ahead (``encoded``), or None: encoded at the call.
    prepared: PreparedSend | None = field(default=None, repr=False)

    @property
    def request(self) -> SendRequest:
        """The request as judged (an advertisement's text built, opted-out numbers out)."""
        return self.judged.request

    def encoded(self) -> Ready:
        """This order with its request's form body encoded now (beside the call before
        it: a step less between that call's answer and this one's request); as it is when
        the request cannot be encoded (its call says why)."""
        try:
            return replace(self, prepared=gateway.client().prepare_send(self.request))
        except InvalidRequest:
            return self

    def told(self, result: SendResult) -> SendResult:
        """``result`` with what the law's judge found."""
        judged = self.judged
        if judged.advertising or judged.excluded or judged.notices:
            return _changed(result, advertising=judged.advertising,
                            excluded=judged.excluded, notices=judged.notices)
        return result


def judge_order(order: SendOrder) -> Ready | SendResult:
    """Everything ``submit`` does before it writes: the address book's recipients added,
    the law's judge (its opt-out look-up a read), the request's own rules and its key. A
    result when the order cannot be sent (nothing written), else the order ``Ready``."""
    if order.request.prepared is not None and (
            order.key is None or order.key.kind is not KeyKind.JOB_BATCH
            or order.groups or order.contacts):
        order = replace(order, request=order.request.unprepared(), logged_recipients=None)
    if order.groups or order.contacts:
        added = contacts.add_to_request(order.request, order.groups, order.contacts)
        if isinstance(added, list):
            return SendResult(Status.INVALID, order.request,
                              problems=(*order.input_problems, *added))
        order = replace(order, request=added)
    at = utcnow()
    judged = compliance.judge(order.request, order.advertising, order.now)
    request = judged.request
    problems = (*order.input_problems, *request.problems(order.now), *judged.problems)
    if problems:
        return Ready(order, judged, None, None, at).told(
            SendResult(Status.INVALID, request, problems=problems))
    keyed = _send_key(order if request is order.request else replace(order, request=request))
    if isinstance(keyed, Status):
        return Ready(order, judged, None, None, at).told(SendResult(keyed, request))
    return Ready(order, judged, keyed[0], keyed[1], at)


def _intent_values(ready: Ready) -> dict[str, Any]:
    order, judged = ready.order, ready.judged
    actor = order.actor
    return {"user_id": actor.user_id, "actor": actor.name, "source": actor.source,
            "address": actor.address, "send_key": ready.send_key, "digest": ready.digest,
            "advertising": judged.advertising,
            "job": order.key.job if order.key is not None else None,
            "logged": order.logged_recipients if ready.request.prepared is not None else None,
            **optouts.log_values(judged.excluded, judged.notices)}


def log_intent(connection: Connection, ready: Ready,
               answered: tuple[datetime, int] | None) -> sendlog.Claimed:
    """Write the ready order's intent row inside ``connection``'s transaction (a bulk
    worker's claim of its batch): committed with it, before the call; ``answered`` the
    newest credit known as the caller read it. Raises ``IntegrityError`` when its key is
    taken (the caller's transaction is then lost)."""
    return sendlog.write_intent(connection, ready.request, **_intent_values(ready),
                                answered=answered)


def log_claimed_intent(connection: Connection, ready: Ready, claim: Any,
                       claim_params: dict[str, Any],
                       answered: tuple[datetime, int] | None) -> sendlog.Claimed | None:
    """The ready job batch's intent row written in one statement with its claim
    (``sendlog.write_claimed_intent``, PostgreSQL), None when the claim took no row."""
    values = _intent_values(ready)
    job = values.pop("job")
    del values["logged"]  # kept in the job's payload (``sendlog.RECIPIENTS_JSON``)
    return sendlog.write_claimed_intent(connection, claim, ready.request,
                                        claim_params=claim_params, answered=answered,
                                        job=job, **values)


def send_logged(ready: Ready, claim: sendlog.Claimed, *,
                before: Callable[[], object] | None = None) -> SendResult:
    """The rest of ``submit`` once the ready order's intent is committed (``claim``): the
    caller's allowance and the credit known asked, the one gateway call (the order's
    ``beside`` run beside it, ``before`` ahead of that: see ``sendlog.RowCopy``), the
    outcome written (with the order's ``then``) or handed back (``SendOrder.later``)."""
    order, request, actor = ready.order, ready.request, ready.order.actor
    copying = sendlog.RowCopy(claim, order.beside, before)  # a job batch's rows too
    if order.admit is not None and not order.admit(claim.send_id):
        copying.finish()
        sendlog.record_outcome(
            claim.send_id, result=Result.NOT_SENT, code=Status.OVER_LIMIT.value, cost=0,
            remaining=None,
            answer="", detail="over the allowance", duration_ms=0, release_key=True,
            user_id=None, sender=None, indexed=copying.indexed)
        return ready.told(SendResult(Status.OVER_LIMIT, request, send_id=claim.send_id))
    short = credit.shortfall(request.cost, claim.last_answer)
    if short is not None:
        log.info("send refused user=%s: cost=%d over the credit known (%d)", actor.name,
                 request.cost, short.params["credit"])
        copying.finish()
        sendlog.record_outcome(
            claim.send_id, result=Result.NOT_SENT, code=Status.CREDIT_SHORT.value, cost=0,
            remaining=None, answer="", detail="over the credit known", duration_ms=0,
            release_key=True, user_id=None, sender=None, indexed=copying.indexed)
        return ready.told(SendResult(Status.CREDIT_SHORT, request, problems=(short,),
                                     send_id=claim.send_id, logged_at=claim.created_at))
    try:
        return ready.told(_send_and_record(request, actor, claim, copying, order.then,
                                           ready.prepared, later=order.later))
    except BaseException as exc:
        setattr(exc, _GATEWAY_CALLED, True)  # a failure from here cannot say "nothing sent"
        raise


def _send_and_record(request: SendRequest, actor: Actor, claim: sendlog.Claimed,
                     copying: sendlog.RowCopy,
                     then: Callable[[Connection, SendResult], object] | None = None,
                     prepared: PreparedSend | None = None, *,
                     later: bool = False) -> SendResult:
    """The call and the record of its outcome (a database that refuses it is survived);
    ``then`` joins the outcome's transaction (``SendOrder.then``); ``later``: the outcome
    handed back unwritten (``SendOrder.later``)."""
    started = time.monotonic()
    try:
        called = _call(request, actor, sent=copying.start, prepared=prepared)
    finally:
        copying.finish_quietly()
    result = _changed(called, send_id=claim.send_id, logged_at=claim.created_at)
    outcome: dict[str, Any] = {
        "result": result.logged_as, "code": result.code, "cost": result.cost,
        "remaining": result.remaining, "answer": result.outcome.raw if result.outcome else "",
        "detail": result.detail, "duration_ms": round((time.monotonic() - started) * 1000),
        "release_key": result.status in (Status.REFUSED, Status.NOT_SENT),
        "user_id": actor.user_id,
        "sender": request.sender_number if result.status.accepted
        and actor.source == REMEMBERS_SENDER else None}
    try:
        copying.finish()
    except SQLAlchemyError as exc:
        _not_logged(result, actor.name, exc)
        return _changed(result, outcome_logged=False)
    unwritten = Unwritten(result, outcome, then, actor.name, copying.indexed)
    if later:
        return _changed(result, unwritten=unwritten)
    logged, joined = unwritten.write()
    return _changed(result, outcome_logged=logged, joined=joined)


class Unwritten:
    """A call's outcome not yet written (``SendOrder.later``), written once by ``write``
    from whichever thread comes first (a bulk worker's: beside its next call)."""

    def __init__(self, result: SendResult, outcome: dict[str, Any],
                 then: Callable[[Connection, SendResult], object] | None, actor: str,
                 indexed: bool) -> None:
        self.result, self._outcome, self._then = result, outcome, then
        self._actor, self._indexed = actor, indexed
        self._lock = threading.Lock()
        self._written: tuple[bool, object] | None = None

    def write(self) -> tuple[bool, object]:
        """Write the outcome (with the order's ``then`` in its transaction; alone should
        that fail); whether it was written, and what ``then`` returned (None: it went
        alone). A database that refuses it is survived: the row stays pending (then
        unknown) and keeps its key, so nothing is sent again."""
        with self._lock:
            if self._written is None:
                self._written = self._write()
            return self._written

    def _write(self) -> tuple[bool, object]:
        result = self.result
        send_id = result.send_id
        assert send_id is not None
        try:
            if self._then is not None:
                joined = _record_joined(send_id, self._outcome, self._then, result)
                if joined is not None:
                    sendlog.after_outcome(send_id, indexed=self._indexed)
                    return True, joined
            sendlog.record_outcome(send_id, **self._outcome, indexed=self._indexed)
        except SQLAlchemyError as exc:
            _not_logged(result, self._actor, exc)
            return False, None
        return True, None


def _not_logged(result: SendResult, actor: str, exc: SQLAlchemyError) -> None:
    """The gateway has answered but the database refused its outcome: say so (what the
    result says goes to the caller rather than a failure), for an administrator to mark it
    from this line and the gateway's results."""
    log.error("send outcome NOT LOGGED send_id=%s user=%s status=%s code=%s: %s",
              result.send_id, actor, result.status.value, result.code, type(exc).__name__)


def _record_joined(send_id: int, outcome: dict[str, Any],
                   then: Callable[[Connection, SendResult], object],
                   result: SendResult) -> object:
    """The outcome and ``then`` in one transaction; what ``then`` returned, or None when
    the transaction failed (nothing of it was kept: the caller writes the outcome alone)."""
    try:
        with db.engine.begin() as connection:
            sendlog.write_outcome(connection, send_id, **outcome)
            return then(connection, result)
    except SQLAlchemyError as exc:
        log.warning("send %s: its outcome and what follows it could not be written together "
                    "(%s); the outcome goes alone", send_id, type(exc).__name__)
        return None


def _taken(request: SendRequest, taken: sendlog.Taken) -> SendResult:
    """The key already belongs to a logged send: say so, with what is known of it."""
    if not taken.same_request:
        return SendResult(Status.KEY_MISMATCH, request, send_id=taken.send_id)
    result = sendlog.effective_result(taken.result, taken.created_at)
    if result == Result.PENDING:
        return SendResult(Status.IN_FLIGHT, request, send_id=taken.send_id)
    previous = Previous(Status(result), taken.code, taken.remaining, taken.detail or "")
    return SendResult(Status.DUPLICATE, request, previous=previous, send_id=taken.send_id)


def _call(request: SendRequest, actor: Actor, sent: Callable[[], object] | None = None,
          prepared: PreparedSend | None = None) -> SendResult:
    """The one gateway call, logged before and after (never the key, never the text);
    ``sent`` once its request has left, ``prepared`` its body if encoded ahead
    (``Cafe24Client.send``)."""
    log.info("send intent user=%s source=%s kind=%s recipients=%d cost=%d test=%s "
             "reserved=%s", actor.name, actor.source, request.kind, request.recipient_count,
             request.cost, request.test, request.reserve_at is not None)
    hot_writes.let_go_for_now()  # none held through the call that another request needs
    try:
        outcome = gateway.client().send(request, validate=False, sent=sent,  # judged in submit
                                        prepared=prepared)
    except (ConnectFailed, InvalidRequest) as exc:
        log.warning("send not sent user=%s: %s", actor.name, exc.message)
        return SendResult(Status.NOT_SENT, request, error=exc)
    status = _FROM_OUTCOME[outcome.status]
    credit.note(outcome.remaining)
    level = logging.ERROR if status is Status.UNKNOWN else logging.INFO
    log.log(level, "send outcome user=%s status=%s code=%s remaining=%s", actor.name,
            status.value, outcome.code, outcome.remaining)
    return SendResult(status, request, outcome=outcome)
