"""``/api/v1``: the token API. Bearer tokens only (no session, no CSRF), JSON in and out,
every error an RFC 9457 problem (``smsform.errors``) in the caller's language.

A send is read by ``api_schemas.MessageIn`` into a SendRequest, handed to
``sending.submit`` and its result mapped once (``_answer``), from the send log's row, so
an ``Idempotency-Key`` replay answers exactly what the first call did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from functools import cache, lru_cache, wraps
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.urls import iri_to_uri

from cafe24.errors import Cafe24Error, ConnectFailed, InvalidRequest
from cafe24.phone import MAX_RECIPIENTS
from cafe24.text import Problem
from smsform import logs, messages
from smsform.api_openapi import JOBS_PATH, PREFIX, document
from smsform.api_schemas import (
    MAX_BODY_BYTES,
    Balance,
    DeliveryOut,
    InputProblem,
    MessageDetail,
    MessageIn,
    MessageInfo,
    MessagePage,
    MessageQuery,
    MessageSent,
    RecipientOut,
    RepeatOut,
    Senders,
    TemplateList,
    TemplateOut,
    api_field,
    input_problems,
)
from smsform.current import extension, this_app, this_request, this_user
from smsform.errors import JSON_UTF8, PROBLEM_TYPES, ApiError, after_send
from smsform.ids import MAX_ID
from smsform.limiter import credential_refused, credential_wait, request_wait
from smsform.login import act_as, bearer_token
from smsform.permissions import Permission, requires
from smsform.services import (
    api_messages,
    api_tokens,
    compliance,
    contacts,
    gateway,
    sending,
    sendlog_query,
    templates,
)
from smsform.services.api_messages import MessageRow
from smsform.services.api_tokens import TokenUser
from smsform.services.sending import Actor, SendKey, SendOrder, SendResult, Status
from smsform.services.sendlog_query import FilterError
from smsform.services.templates import TemplateError
from smsform.services.visibility import Reader
from smsform.states import Result
from smsform.views.util import failure_detail, log_reader, refuse_number_search

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

bp = Blueprint("api", __name__, url_prefix=PREFIX)
M = TypeVar("M", bound=BaseModel)
log = logs.get("api")

#: Endpoints that answer without a token.
PUBLIC = frozenset({"api.openapi"})
_JSON_TYPES = ("application/json",)


@bp.before_request
def authenticate() -> None:
    """Let only a live token through (a session's user never counts here, and none is
    loaded), make its user ``current_user``, then count it. Every word of the API's
    answers is in the caller's language (Accept-Language: ``i18n.select_locale``)."""
    req, settings = this_request(), extension("smsform.settings")
    req.max_content_length = min(MAX_BODY_BYTES, settings.max_body_bytes)
    if req.endpoint in PUBLIC:
        return
    presented = bearer_token(req)
    user = None
    if presented:
        _refuse_flooding_address(req.remote_addr)
        user = api_tokens.authenticate(presented)
    if user is None:
        error = 'Bearer realm="smsform"'
        if presented:
            error += ', error="invalid_token"'
            credential_refused("api_token", req.remote_addr,
                               api_tokens.public_part(presented))
        raise ApiError(401, "unauthorized", _(
            "Send a valid API token: Authorization: Bearer <token>. Tokens are made on "
            "the account page."), headers={"WWW-Authenticate": error})
    act_as(user)
    _count(user, settings.api_rate)


def _refuse_flooding_address(address: str | None) -> None:
    """429 for an address that presented too many wrong tokens lately (even a right one)."""
    wait = credential_wait("api_token", address)
    if wait:
        raise ApiError(429, "too_many_failures", ngettext(
            "Too many wrong tokens from this address: try again in %(num)s second.",
            "Too many wrong tokens from this address: try again in %(num)s seconds.", wait),
            headers={"Retry-After": str(wait)})


def _count(user: TokenUser, rate: str) -> None:
    """Count one request of the token and of its user (all their tokens together); past
    ``rate`` (SMSFORM_API_RATE) for either, 429 with Retry-After."""
    wait = request_wait(rate, "smsform-api", str(user.token_id))
    if wait:
        raise ApiError(429, "too_many_requests", ngettext(
            "Too many requests with this token: try again in %(num)s second.",
            "Too many requests with this token: try again in %(num)s seconds.", wait),
            headers={"Retry-After": str(wait)})
    wait = request_wait(rate, "smsform-api-user", str(user.id))
    if wait:
        raise ApiError(429, "too_many_requests", ngettext(
            "Too many requests with this account's tokens together: try again in "
            "%(num)s second.",
            "Too many requests with this account's tokens together: try again in "
            "%(num)s seconds.", wait),
            headers={"Retry-After": str(wait)})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document, made from the models that validate the requests."""
    return Response(_document_json(), mimetype=JSON_UTF8)


@cache
def _document_json() -> str:
    return json.dumps(document(), ensure_ascii=False)


# --- sending -----------------------------------------------------------------------------


def invalid(own: list[InputProblem], problems=()) -> ApiError:
    """400 with every problem beside its field."""
    fields: dict[str, list[str]] = {}
    for item in own:
        fields.setdefault(item.field, []).append(messages.api_input_text(item.code,
                                                                         item.params))
    for problem in problems:
        fields.setdefault(api_field(problem), []).append(messages.api_problem_text(problem))
    malformed = any(item.code in ("json_invalid", "not_json_object") for item in own)
    return ApiError(400, "malformed_json" if malformed else "invalid",
                    messages.check_input_text(_summary(fields)),
                    fields=fields)


def refused_by_law(first: Problem, problems: tuple[Problem, ...]) -> ApiError:
    """422 with the law's code (``ad_night``, ``ad_label_variant``...) and its values (the
    times in ISO 8601, Korea time), every problem beside its field. Nothing was sent."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(api_field(problem), []).append(messages.api_problem_text(problem))
    extra: dict[str, Any] = {
        name: compliance.minute_at(str(value)).isoformat() if name in ("at", "resume")
        else value for name, value in first.params.items()}
    return ApiError(422, first.code, messages.api_problem_text(first), fields=fields,
                    extra=extra)


#: The problems of a send with more recipients than one call takes (typed, or with the
#: address book's groups and contacts added).
_TOO_MANY = frozenset({"too_many_recipients", "address_book_too_many"})


def _to_jobs(first: Problem, problems: tuple[Problem, ...]) -> ApiError:
    """422 ``too_many_recipients`` for a send past 999 numbers, pointing to the bulk jobs'
    address (``jobs``), every problem beside its field. Nothing was sent."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(api_field(problem), []).append(messages.api_problem_text(problem))
    limit = int(str(first.params.get("limit", MAX_RECIPIENTS)))
    extra: dict[str, Any] = {"limit": limit, "jobs": JOBS_PATH}
    if "count" in first.params:
        extra["count"] = first.params["count"]
    return ApiError(422, "too_many_recipients", messages.api_too_many_text(limit, JOBS_PATH),
                    fields=fields, extra=extra)


def _summary(fields: dict[str, list[str]]) -> str:
    """Every field's problems on one line: ``from: Must be a string. to: …``."""
    return " ".join(f"{name}: {text}" for name, texts in fields.items() for text in texts)


def repeated_members(raw: bytes) -> list[str]:
    """The members a JSON text names twice in one object, at any depth, in order (a parser
    keeps one of the two silently: ``{"to": ["A"], "to": ["B"]}`` would send to B).

    Parsed by one decoder made once, whose hook looks further only at an object that lost
    a member (``_objects``): a decoder and a closure made per request were 2 % of an API
    send's own instructions."""
    repeated: list[str] = []
    reading = _repeated.set(repeated)
    try:  # what json.loads does with bytes, on the decoder made once
        _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError):  # not JSON: the model's reading says so
        return []
    finally:
        _repeated.reset(reading)
    return repeated


#: The names ``repeated_members`` has found repeated so far, in the text it is reading.
_repeated: ContextVar[list[str]] = ContextVar("smsform_repeated_members")


def _objects(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object as a dict; its repeated names noted at their second mention."""
    made = dict(items)
    if len(made) != len(items):
        repeated, seen = _repeated.get(), set()
        for name, _value in items:
            if name in seen and name not in repeated:
                repeated.append(name)
            seen.add(name)
    return made


_DECODER = json.JSONDecoder(object_pairs_hook=_objects)


def _body() -> MessageIn:
    """The JSON body as a MessageIn."""
    return json_body(MessageIn)


def json_body(model: type[M]) -> M:
    """The JSON body as ``model`` (415 when it is not JSON, 413 when too large, 400 when a
    member is given twice or breaks the model)."""
    req = this_request()
    if req.mimetype not in _JSON_TYPES:
        raise ApiError(415, "unsupported_media_type", _(
            "Send the body as JSON, with Content-Type: application/json."))
    raw = req.get_data(cache=False)  # a too long Content-Length: 413 unread
    limit = req.max_content_length
    if req.content_length is None and limit is not None and len(raw) >= limit:
        raise RequestEntityTooLarge()  # a chunked body is cut at the limit, not refused
    if repeated := repeated_members(raw):
        raise invalid([InputProblem(name, "repeated_member") for name in repeated])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        found = input_problems(exc)
        for i, item in enumerate(found):
            if item.field == "body" and item.code == "model_type":
                found[i] = InputProblem("body", "not_json_object")
        raise invalid(found) from None


def writable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse a read-only token with 403 and the reason (before any other check)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if getattr(this_user(), "read_only", False):
            raise ApiError(403, "read_only_token", _(
                "This token is read-only: it may list and read, but not send. Make a token "
                "without read-only on the account page to send."))
        return view(*args, **kwargs)

    return wrapped


@bp.post("/messages")
@writable
@requires(Permission.SEND)
def send_message() -> Response:
    """Send one message once; 201 when the gateway took it."""
    body = _with_template(_body())
    send_request, reading, own = body.to_request()
    if own:
        raise invalid(own, [*reading, *send_request.problems()])
    req = this_request()
    key = SendKey.header(req.headers.get("Idempotency-Key"))
    user = this_user()  # one look-up, not two
    actor = Actor(user.id, user.username, "api", req.remote_addr)  # also for _answer
    if body.groups or body.contacts:  # their names are judged with theirs (add_to_request)
        reading = [p for p in reading if p.code not in contacts.PLACEHOLDER_CODES]
    return _answer(after_send(sending.submit(SendOrder(
        send_request, actor, key, input_problems=tuple(reading), groups=tuple(body.groups),
        contacts=tuple(body.contacts), advertising=body.advertising))), actor)


def _with_template(body: MessageIn) -> MessageIn:
    """The body with its ``template_id``'s text (one look-up by the id; none without it)."""
    if problems := body.text_problems():
        raise invalid(problems)
    if body.template_id is None:
        return body
    saved = templates.get(body.template_id)
    if saved is None:
        text = messages.refusal_text(TemplateError("not_found", ref=str(body.template_id)))
        raise ApiError(400, "invalid", messages.check_input_text(f"template_id: {text}"),
                       fields={"template_id": [text]})
    return body.from_template(saved.text, saved.subject, saved.kind, saved.advertising)


def _answer(result: SendResult, actor: Actor) -> Response:
    """The one place a send's result becomes an API answer (``actor``: who sent it)."""
    status = result.status
    if status is Status.INVALID:
        too_many = next((p for p in result.problems if p.code in _TOO_MANY), None)
        if too_many is not None:
            raise _to_jobs(too_many, result.problems)
        law = compliance.refused_by_law(result.problems)
        if law is not None:
            raise refused_by_law(law, result.problems)
        raise invalid([], result.problems)
    if status in (Status.KEY_INVALID, Status.TOKEN_INVALID):
        text = messages.api_input_text("invalid_idempotency_key",
                                       {"max": sending.MAX_KEY_LENGTH})
        raise ApiError(400, "invalid_idempotency_key", text,
                       fields={"Idempotency-Key": [text]})
    if status is Status.IN_FLIGHT:
        raise ApiError(409, "in_flight", messages.api_input_text("in_flight", {}),
                       extra={"id": result.send_id})
    if status is Status.KEY_MISMATCH:
        raise ApiError(422, "idempotency_key_reused",
                       messages.api_input_text("idempotency_key_reused", {}),
                       extra={"id": result.send_id})
    row = api_messages.answer_row(result, user_id=actor.user_id, user=actor.name,
                                  source="api")
    if row is None:  # pragma: no cover - every send that reached the log has its row
        raise RuntimeError(f"send {result.send_id} has no log row")
    if status is Status.CREDIT_SHORT:
        [problem] = result.problems
        raise ApiError(422, Status.CREDIT_SHORT.value, messages.api_problem_text(problem),
                       extra={**MessageSent.json_of(row), **problem.params,
                              "type": PROBLEM_TYPES + Status.CREDIT_SHORT.value})
    refused_here = status is Status.NOT_SENT and isinstance(result.error, InvalidRequest)
    return logged_answer(row, replayed=status is Status.DUPLICATE, refused_here=refused_here)


#: The HTTP status of each logged ending that is not a 201.
_FAILED: dict[str, int] = {Result.REFUSED: 422, Result.UNKNOWN: 502, Result.PENDING: 502,
                           Result.NOT_SENT: 503}


def logged_answer(row: MessageRow, *, replayed: bool = False,
                  refused_here: bool = False) -> Response:
    """201 with the send, or its problem, built from the send log's row."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    body = MessageSent.json_of(row)
    if row.result in Result.ACCEPTED:
        answer = json_answer(body, 201, **headers)
        # get_message's address, written as url_for writes it (the script root, then
        # the route): a send's answer is on every send's path
        answer.location_uri = _messages_uri(this_request().script_root) + str(row.id)
        return answer
    raise ApiError(400 if refused_here else _FAILED[row.result], row.code or row.result,
                   messages.log_code_text(row.result, row.code, failure_detail(row.detail)),
                   extra={**body, "type": PROBLEM_TYPES + row.result}, headers=headers)


# --- reading -------------------------------------------------------------------------------


_QUERY_NAMES = frozenset(MessageQuery.model_json_schema(by_alias=True)["properties"])


def query_args(model: type[M], names: frozenset[str] | None = None) -> M:
    """The query string as ``model``: 400 for a parameter given twice (of ``names`` only,
    when given) or one the model refuses."""
    args = request.args.to_dict(flat=False)
    repeated = [InputProblem(name, "repeated") for name, values in args.items()
                if len(values) > 1 and (names is None or name in names)]
    if repeated:
        raise invalid(repeated)
    try:
        return model.model_validate({name: values[0] for name, values in args.items()})
    except ValidationError as exc:
        raise invalid(input_problems(exc)) from None


class Answer(Response):
    """An answer of the API. Its ``Location``, when it is a URI already (``location_uri``),
    goes to the server as it is: Werkzeug reads every ``Location`` in ``headers`` as an IRI
    and turns it into a URI on each answer (``iri_to_uri``: 1.5 % of a send's own
    instructions, for an address made of the script root and digits)."""

    location_uri: str | None = None

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """Werkzeug's headers, then ``location_uri`` as the ``Location``."""
        headers = super().get_wsgi_headers(environ)
        if self.location_uri is not None:
            headers["Location"] = self.location_uri
        return headers


@lru_cache(maxsize=64)
def _messages_uri(script_root: str) -> str:
    """The URI of the sends' addresses under ``script_root`` (a send's is this and its id:
    digits, which a URI keeps as they are)."""
    return iri_to_uri(f"{script_root}{PREFIX}/messages/")


def json_answer(body: Mapping[str, Any], status: int = 200, **headers: str) -> Answer:
    """A JSON answer of the API (UTF-8, as every answer of it is written)."""
    return Answer(this_app().json.dumps(body), status, mimetype=JSON_UTF8, headers=headers)


def refused_beside(field: str, text: str) -> ApiError:
    """400 with a service's refusal beside the member it belongs to."""
    return ApiError(400, "invalid", messages.check_input_text(f"{field}: {text}"),
                    fields={field: [text]})


def _filter(query: MessageQuery) -> sendlog_query.LogFilter:
    """The send log's own reading of the filters (a phone number or words in ``q``)."""
    args = {"result": [query.result or ""], "delivery": [query.delivery or ""], "q": [query.q],
            "from": [query.day_from.isoformat() if query.day_from else ""],
            "to": [query.day_to.isoformat() if query.day_to else ""]}
    try:
        return sendlog_query.parse_filter(args)
    except FilterError as exc:
        raise _filter_refused(exc) from None


def _filter_refused(exc: FilterError) -> ApiError:
    """A 400 naming each filter the log could not read."""
    fields = messages.filter_problems(exc.problems)
    return ApiError(400, "invalid", messages.check_input_text(_summary(fields)),
                    fields=fields)


def _info(row: MessageRow, reader: Reader | None = None) -> MessageInfo:
    masked = bool(row.excluded) and not (reader or log_reader()).in_full(row.user_id)
    return MessageInfo(**MessageSent.of(row, masked).model_dump(), sender=row.sender,
                       user=row.user, source=row.source, test=row.test, marked=row.marked)


@bp.get("/messages")
@requires(Permission.VIEW)
def list_messages() -> dict[str, Any]:
    """The send log, newest first, as /sends shows it to the token's user."""
    query = query_args(MessageQuery, _QUERY_NAMES)
    log_filter = _filter(query)
    refuse_number_search(bool(log_filter.phone))
    after = None
    if query.cursor is not None:
        after = api_messages.decode_cursor(query.cursor)
        if after is None:
            raise invalid([InputProblem("cursor", "bad_cursor")])
    reader = log_reader()
    try:
        rows, following = api_messages.page(log_filter, reader=reader, after=after,
                                            limit=query.limit)
    except FilterError as exc:  # a word of the text with too many forms
        raise _filter_refused(exc) from None
    return MessagePage(
        items=[_info(row, reader) for row in rows],
        next_cursor=api_messages.encode_cursor(following) if following else None,
    ).model_dump(mode="json", by_alias=True)


def _not_found() -> ApiError:
    return ApiError(404, "not_found", messages.no_such_send_text())


@bp.get("/messages/<int:send_id>")
@requires(Permission.VIEW)
def get_message(send_id: int) -> dict[str, Any]:
    """One send, as /sends/<id> shows it to the token's user (services.visibility)."""
    row = api_messages.message(send_id) if send_id <= MAX_ID else None
    if row is None:
        raise _not_found()
    full = sendlog_query.detail(send_id, reader=log_reader(), with_answer=False)
    if full is None:  # pragma: no cover - rows are never deleted
        raise _not_found()
    repeat = (RepeatOut(count=full.repeat_num, every_minutes=full.repeat_minutes)
              if full.repeat_num else None)
    return MessageDetail(
        **_info(row).model_dump(by_alias=True), text=full.row.text, subject=full.row.subject,
        to=[RecipientOut(phone=r.phone, name=r.name, delivery=delivery_out(r))
            for r in full.recipients],
        reserve_at=full.reserve_at, repeat=repeat, finished_at=full.finished_at,
    ).model_dump(mode="json", by_alias=True)


class Delivered(Protocol):
    """A recipient with its delivery columns (a logged send's, or a job's)."""

    @property
    def delivery(self) -> str | None: ...
    @property
    def delivery_at(self) -> datetime | None: ...
    @property
    def delivery_code(self) -> str | None: ...
    @property
    def refunded_at(self) -> datetime | None: ...
    @property
    def ambiguous(self) -> bool: ...


def delivery_out(recipient: Delivered) -> DeliveryOut | None:
    """A recipient's delivery for the API (None when the send reached no phone)."""
    if recipient.delivery is None:
        return None
    return DeliveryOut(
        state=recipient.delivery, at=recipient.delivery_at, code=recipient.delivery_code,
        meaning=messages.delivery_outcome_meaning(recipient.delivery, recipient.delivery_code),
        refunded_at=recipient.refunded_at, ambiguous=recipient.ambiguous)


def _gateway_failed(exc: Cafe24Error) -> ApiError:
    """A look-up the gateway did not answer: 503 when it was not reached, else 502."""
    return ApiError(503 if isinstance(exc, ConnectFailed) else 502, "gateway_error",
                    messages.gateway_failure_text(exc))


@bp.get("/balance")
@requires(Permission.VIEW)
def balance() -> dict[str, Any]:
    """Credits left and what they buy."""
    try:
        remaining = gateway.client().remaining()
    except Cafe24Error as exc:
        raise _gateway_failed(exc) from None
    return Balance.of(remaining).model_dump(mode="json")


@bp.get("/senders")
@requires(Permission.VIEW)
def senders() -> dict[str, Any]:
    """The registered sender numbers."""
    try:
        numbers = gateway.gateway().senders()
    except Cafe24Error as exc:
        raise _gateway_failed(exc) from None
    return Senders(senders=numbers).model_dump(mode="json")


@bp.get("/templates")
@requires(Permission.VIEW)
def list_templates() -> dict[str, Any]:
    """The team's saved templates, by name."""
    return TemplateList(items=[TemplateOut.of(t) for t in templates.list_all()]).model_dump(
        mode="json")


@bp.get("/templates/<int:template_id>")
@requires(Permission.VIEW)
def get_template(template_id: int) -> dict[str, Any]:
    """One template."""
    saved = templates.get(template_id) if template_id <= MAX_ID else None
    if saved is None:
        raise ApiError(404, "not_found", messages.refusal_text(
            TemplateError("not_found", ref=str(template_id))))
    return TemplateOut.of(saved).model_dump(mode="json")
