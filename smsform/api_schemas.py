"""The token API's bodies as Pydantic models: the one source that validates requests,
shapes answers and writes the OpenAPI document (``smsform.api_openapi``).

A request body is read strictly (no "5" for 5, no "true" for true, no unknown member);
each refusal becomes an ``InputProblem`` (field, code, parameters) that
``smsform.messages`` words in the caller's language. Reading a valid body into a
``SendRequest`` is ``MessageIn.to_request``; judging it stays with the request itself
(``SendRequest.problems``, through ``sending.submit``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from cafe24 import message, schedule
from cafe24.calls import SendRequest
from cafe24.phone import MAX_RECIPIENTS, Recipient, normalize_phone
from cafe24.schedule import KST
from cafe24.text import Problem, normalize_newlines, normalize_text
from smsform.ids import MAX_ID
from smsform.services.api_messages import MessageRow
from smsform.services.sendlog_query import MAX_QUERY_LENGTH, mask_phone
from smsform.services.templates import SavedText
from smsform.states import BatchState, Delivery, JobPause, JobState, Result

#: The largest body ``POST /api/v1/messages`` reads: 999 named recipients and a full LMS
#: fit in a tenth of it.
MAX_BODY_BYTES = 256 * 1024
PAGE_LIMIT, MAX_PAGE_LIMIT = 20, 100
MAX_PHONE_LENGTH = 40
MAX_CURSOR_LENGTH = 200
#: ISO 8601 date and time, seconds and offset optional (no offset: Korea time).
ISO_DATETIME = (r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                r"(Z|[+-]\d{2}:?\d{2})?$")
_ISO_DATETIME = re.compile(ISO_DATETIME)

#: The API's name for each field of the library's problems (the form's names).
API_FIELDS = {"msg": "text", "subject": "subject", "sphone": "from", "rphone": "to",
              "destination": "to", "rdate": "reserve_at", "rtime": "reserve_at",
              "repeatNum": "repeat.count", "repeatTime": "repeat.every_minutes",
              "smsType": "type"}


#: A send log result as the API names it: the Literal of smsform.states.Result's values
#: (made from the enum, so one list; a type checker sees the str it is).
if TYPE_CHECKING:
    ResultName = str
else:
    ResultName = Literal[tuple(r.value for r in Result)]
if TYPE_CHECKING:
    DeliveryName = str
else:
    DeliveryName = Literal[tuple(d.value for d in Delivery)]


@dataclass(frozen=True)
class InputProblem:
    """A body or query value the API cannot read: where (dotted), a code and parameters
    (worded by ``smsform.messages.api_input_text``)."""

    field: str
    code: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)


def input_problems(exc: ValidationError) -> list[InputProblem]:
    """Pydantic's refusals as InputProblems (``to.2.phone``; the body itself is ``body``)."""
    found = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        found.append(InputProblem(where, error["type"], dict(error.get("ctx") or {})))
    return found


def api_field(problem: Problem) -> str:
    """The API's field for one of the library's problems."""
    return API_FIELDS.get(problem.field, problem.field)


# --- what a caller sends -----------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True)


class RecipientIn(BaseModel):
    """A recipient with a name for ``{name}`` in the text."""

    model_config = _STRICT | ConfigDict(json_schema_extra={
        "examples": [{"phone": "010-2222-3333", "name": "홍길동"}]})

    phone: str = Field(min_length=1, max_length=MAX_PHONE_LENGTH,
                       description="A Korean phone number, with or without dashes.")
    # Judged composed, as every way in judges names (cafe24.message.check_names): a name
    # pasted as jamo has more code points than characters.
    name: str = Field(default="", description=(
        f"Fills {{name}} in the text for this recipient; at most {message.NAME_LIMIT} "
        "characters."), json_schema_extra={"maxLength": message.NAME_LIMIT})


def _recipient(value: Any) -> Any:
    """A plain number reads as a recipient without a name."""
    return {"phone": value} if isinstance(value, str) else value


RecipientItem = Annotated[RecipientIn, BeforeValidator(
    _recipient, json_schema_input_type=Annotated[
        str, Field(min_length=1, max_length=MAX_PHONE_LENGTH)] | RecipientIn)]


class RepeatIn(BaseModel):
    """Send the same message again ``count`` times, ``every_minutes`` apart."""

    model_config = _STRICT

    count: int = Field(ge=schedule.REPEAT_NUM_MIN, le=schedule.REPEAT_NUM_MAX)
    every_minutes: int = Field(ge=schedule.REPEAT_TIME_MIN, le=schedule.REPEAT_TIME_MAX)


def _reserve_at(value: Any) -> datetime | None:
    """ISO 8601 date and time; without an offset it is Korea time."""
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise PydanticCustomError("iso_datetime", "not an ISO 8601 date and time")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("iso_datetime", "not an ISO 8601 date and time") from None
    return when.replace(tzinfo=KST) if when.tzinfo is None else when


ReserveAt = Annotated[datetime | None, PlainValidator(_reserve_at), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": ISO_DATETIME}, {"type": "null"}],
    "description": "When to send, in ISO 8601; Korea time (+09:00) when it has no offset. "
                   "At least 10 minutes and at most 365 days ahead.",
    "examples": ["2030-03-01T09:30:00", "2030-03-01T09:30:00+09:00"]})]


class MessageIn(BaseModel):
    """``POST /api/v1/messages``: one message to one or more recipients."""

    model_config = _STRICT | ConfigDict(json_schema_extra={"examples": [
        {"from": "02-123-4567", "to": ["010-2222-3333"], "text": "안녕하세요"},
        {"from": "02-123-4567", "to": [{"phone": "010-2222-3333", "name": "홍길동"}],
         "text": "{name}님, 주문하신 상품이 발송되었습니다.", "type": "auto", "test": True},
        {"from": "02-123-4567", "to": [{"phone": "010-2222-3333", "name": "홍길동"}],
         "template_id": 1}],
        # text or template_id, never both (MessageIn.text_problems).
        "oneOf": [{"required": ["text"]}, {"required": ["template_id"]}]})

    sender: str = Field(alias="from", min_length=1, max_length=MAX_PHONE_LENGTH,
                        description="A registered sender number.")
    # Counted by the send's judge (each number once), not here: more than 999 answers 422
    # too_many_recipients pointing to /api/v1/jobs, the way for a list that large.
    to: list[RecipientItem] = Field(default_factory=list, description=(
        "Phone numbers, or objects with a phone and a name (any name makes the send use "
        "names). May be left out when `groups` or `contacts` name the recipients. More "
        "than 999 numbers are refused (422 too_many_recipients): send a larger list as a "
        "bulk job, POST /api/v1/jobs."), json_schema_extra={"maxItems": MAX_RECIPIENTS})
    groups: list[Annotated[int, Field(ge=1, le=2**53)]] = Field(
        default_factory=list, max_length=100, description=(
            "Address book groups (ids, GET /groups) whose contacts are added to `to`, each "
            "number once, their names filling {name}; more than 999 recipients in all is "
            "refused (bulk sends take more)."))
    contacts: list[Annotated[int, Field(ge=1, le=2**53)]] = Field(
        default_factory=list, max_length=MAX_RECIPIENTS,
        description="Address book contacts (ids) added to `to` in the same way.")
    # Either may be left out, neither may be null (documented without null: text_problems).
    text: Annotated[str | None, WithJsonSchema({
        "type": "string", "minLength": 1, "maxLength": message.LMS_LIMIT,
        "description": "The message; {name} is replaced by each recipient's name. Give it "
                       "or template_id."})] = Field(default=None, min_length=1,
                                                    max_length=message.LMS_LIMIT)
    template_id: Annotated[int | None, WithJsonSchema({
        "type": "integer", "minimum": 1, "maximum": MAX_ID,
        "description": "Send a saved template's text instead of text (GET "
                       "/api/v1/templates); its subject and type too, unless given here."})
    ] = Field(default=None, ge=1, le=MAX_ID)
    subject: str = Field(default="", max_length=message.SUBJECT_LIMIT,
                         description="The LMS subject (ignored for an SMS).")
    type: Literal["auto", "sms", "lms"] = Field(default="auto", description=(
        "auto: an SMS up to 90 bytes (EUC-KR), an LMS past them; sms: refused past 90 "
        "bytes; lms: always an LMS."))
    reserve_at: ReserveAt = None
    repeat: RepeatIn | None = None
    test: bool = Field(default=False, description="A dry run: checked by the gateway, "
                                                  "not sent, not charged.")
    advertising: bool = Field(default=False, description=(
        "An advertisement (광고성 메시지): the app writes (광고) and the sender's name at "
        "the start and the free opt-out line at the end, and refuses it between 21:00 and "
        "08:00 Korea time. A text that starts with (광고) is an advertisement either way, "
        "checked as written."))

    def to_request(self) -> tuple[SendRequest, list[Problem], list[InputProblem]]:
        """The SendRequest, the problems found reading it (``{name}`` without names) and
        the API's own (an ``sms`` too long for one)."""
        named = any(r.name.strip() for r in self.to)
        recipients = _distinct(self.to)
        msg = normalize_newlines(self.text or "")
        request = SendRequest(
            msg=msg, sender=self.sender.strip(),
            recipients=() if named else tuple(r.phone for r in recipients),
            named=tuple(recipients) if named else (),
            subject=self.subject.strip(), lms=self.type == "lms", reserve_at=self.reserve_at,
            repeat_num=self.repeat.count if self.repeat else None,
            repeat_minutes=self.repeat.every_minutes if self.repeat else None,
            test=self.test)
        reading = message.check_placeholder(msg, recipients if named else None)
        own = []
        if self.type == "sms" and request.kind == "L":
            own.append(InputProblem("type", "sms_too_long", {
                "length": message.euckr_length(normalize_text(msg)),
                "limit": message.SMS_LIMIT}))
        return request, reading, own


    def text_problems(self) -> list[InputProblem]:
        """``text`` or ``template_id``: exactly one of the two."""
        given = self.model_fields_set
        if "text" in given and self.text is None:
            return [InputProblem("text", "string_type")]
        if "template_id" in given and self.template_id is None:
            return [InputProblem("template_id", "int_type")]
        if self.text is None and self.template_id is None:
            return [InputProblem("text", "missing")]
        if self.text is not None and self.template_id is not None:
            return [InputProblem("template_id", "text_and_template")]
        return []

    def from_template(self, text: str, subject: str, kind: str,
                      advertising: bool) -> MessageIn:
        """This send with a template's text, and its subject, type (and advertising switch,
        where the API has one) unless the body gives them."""
        given = self.model_fields_set
        update: dict[str, Any] = {"text": text}
        for name, value in (("subject", subject), ("type", kind),
                            ("advertising", advertising)):
            if name in type(self).model_fields and name not in given:
                update[name] = value
        return self.model_copy(update=update)


def _distinct(items: list[RecipientIn]) -> list[Recipient]:
    """Each number once (its first name wins), canonical where it is a number; what is not
    a number stays as given, for the request's judge to report."""
    seen: set[str] = set()
    out = []
    for item in items:
        number = normalize_phone(item.phone)
        key = number or item.phone.strip()
        if key not in seen:
            seen.add(key)
            out.append(Recipient(key, item.name.strip()))
    return out


class MessageQuery(BaseModel):
    """``GET /api/v1/messages``: the send log's filters and a page of them."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    cursor: str | None = Field(default=None, max_length=MAX_CURSOR_LENGTH, description=(
        "next_cursor of the page before; leave out for the newest page."))
    limit: int = Field(default=PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    result: ResultName | None = Field(default=None, description="Only sends that ended so.")
    delivery: DeliveryName | None = Field(default=None, description=(
        "Only sends with a recipient whose delivery is this, as the gateway's result list "
        "told it (waiting: not yet told)."))
    day_from: date | None = Field(default=None, alias="from",
                                  description="From this day (Korea time), inclusive.")
    day_to: date | None = Field(default=None, alias="to",
                                description="Up to this day (Korea time), inclusive.")
    q: str = Field(default="", max_length=MAX_QUERY_LENGTH, description=(
        "A recipient's phone number or a part of it (the last four digits), a recipient's "
        "name or its beginning, or words of the text (all of them). Numbers and names are "
        "found only in the sends the token's user sees in full."))


# --- what the API answers ----------------------------------------------------------------



def json_time(moment: datetime) -> str:
    """A time as Pydantic writes it in JSON: ISO 8601, ``Z`` for UTC."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class MessageSent(BaseModel):
    """A send as ``POST /api/v1/messages`` answers it (and replays it)."""

    id: int = Field(description="The send log's id: GET /api/v1/messages/{id}.")
    result: ResultName
    code: str | None = Field(description="The gateway's answer code (success, reserved, "
                                         "test, -114, ...), or ours when it gave none.")
    kind: Literal["sms", "lms"]
    recipients: int
    cost: int | None = Field(description=(
        "Credits the gateway charged: the forecast once it took the send; 0 for a test, a "
        "refusal or a send that never reached it; null while the outcome is pending or "
        "unknown (it is then at most the forecast)."))
    forecast: int = Field(description=(
        "Credits the send uses if the gateway takes it (recipients x credits per message x "
        "repeats; 0 for a test), as forecast when it was logged."))
    remaining: int | None = Field(description="Credits left, when the gateway said.")
    created_at: datetime
    advertising: bool = Field(description=(
        "The law saw an advertisement: sent with advertising, or a text that starts with "
        "(광고)."))

    excluded: list[str] = Field(default_factory=list, description=(
        "Numbers on the opt-out list (수신거부) this advertisement left out before the "
        "call (not sent, not charged); masked where the reader sees the send masked."))
    opted_out: int = Field(default=0, description=(
        "How many of the numbers are on the opt-out list: left out of an advertisement, "
        "or, for any other send, sent to all the same."))

    @classmethod
    def of(cls, row: MessageRow, masked: bool = False) -> MessageSent:
        """A logged send as the API (and ``send --json``) tells it (``masked``: the numbers
        it left out as a reader who sees the send masked reads them)."""
        return cls(id=row.id, result=row.result, code=row.code, kind=row.kind,
                   recipients=row.recipients, cost=row.cost, forecast=row.forecast,
                   remaining=row.remaining,
                   created_at=row.created_at, advertising=row.advertising,
                   excluded=[mask_phone(p) for p in row.excluded] if masked
                   else list(row.excluded), opted_out=row.opted_out)

    @staticmethod
    def json_of(row: MessageRow) -> dict[str, Any]:
        """``of(row).model_dump(mode="json")`` without building and dumping the model: what
        every send's answer carries, written straight from the row (the same members and
        values: tests/test_api_answers.py compares the two)."""
        return {"id": row.id, "result": row.result, "code": row.code, "kind": row.kind,
                "recipients": row.recipients, "cost": row.cost, "forecast": row.forecast,
                "remaining": row.remaining, "created_at": json_time(row.created_at),
                "advertising": bool(row.advertising), "excluded": list(row.excluded),
                "opted_out": row.opted_out}


class MessageInfo(MessageSent):
    """A send as the list shows it."""

    model_config = ConfigDict(populate_by_name=True)

    sender: str = Field(alias="from")
    user: str
    source: str = Field(description="The way in: form, json, api, relay, cli.")
    test: bool
    marked: Literal["sent", "not_sent"] | None = Field(
        description="An administrator's verdict on an unknown outcome.")


class DeliveryOut(BaseModel):
    """A recipient's delivery, as the gateway's result list told it (services.delivery)."""

    state: DeliveryName = Field(description=(
        "waiting (not yet told), delivered, failed (refunded), or no_report (accepted and "
        "never said to have arrived within 24 h for an SMS, 72 h for an LMS)."))
    at: datetime | None = Field(description="The list's time of the delivery or failure.")
    code: str | None = Field(description="The list's failure code, when it gave one.")
    meaning: str = Field(description="What the outcome (or its code) means, in words.")
    refunded_at: datetime | None
    ambiguous: bool = Field(description=(
        "The listed record could have been another copy too (the same text to the same "
        "number twice within minutes); it was given in order."))


class RecipientOut(BaseModel):
    """A recipient as the log keeps it (the number masked for viewers)."""

    phone: str
    name: str | None
    delivery: DeliveryOut | None = Field(default=None, description=(
        "Its delivery; null for a test, a refusal or a send that never reached phones."))


class RepeatOut(BaseModel):
    """How often the send repeats."""

    count: int
    every_minutes: int | None


class MessageDetail(MessageInfo):
    """One send in full: its text and recipients are null once the log was purged."""

    text: str | None
    subject: str | None
    to: list[RecipientOut]
    reserve_at: datetime | None
    repeat: RepeatOut | None
    finished_at: datetime | None


class MessagePage(BaseModel):
    """One page of the log, newest first."""

    items: list[MessageInfo]
    next_cursor: str | None = Field(description="Ask again with this for the next page; "
                                                "null on the last page.")


class Balance(BaseModel):
    """The gateway's credit and what it buys."""

    remaining: int
    sms: int = Field(description="SMS messages (one recipient each) it buys.")
    lms: int = Field(description="LMS messages (one recipient each) it buys.")

    @classmethod
    def of(cls, remaining: int) -> Balance:
        """``remaining`` credits and what they buy."""
        return cls(remaining=remaining, sms=message.messages_bought(remaining, "S"),
                   lms=message.messages_bought(remaining, "L"))


class Senders(BaseModel):
    """The registered sender numbers."""

    senders: list[str]


class TemplateOut(BaseModel):
    """A saved template (message_templates), shared by the team."""

    id: int = Field(description="Send it with template_id on POST /api/v1/messages.")
    name: str
    text: str
    subject: str
    type: Literal["auto", "sms", "lms"] = Field(description="The send's type it sets.")
    advertising: bool = Field(description="An advertising message (광고성).")
    fields: list[str] = Field(description="Its merge fields: name for {name}, filled from each "
                                          "recipient's name; others from a bulk list.")
    kind: Literal["sms", "lms"] = Field(description="What its text is sent as before any "
                                                    "merge.")
    bytes: int = Field(description="Its text's bytes in EUC-KR, before any merge.")
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, saved: SavedText) -> TemplateOut:
        """A template as the API tells it."""
        return cls(id=saved.id, name=saved.name, text=saved.text, subject=saved.subject,
                   type=saved.kind, advertising=saved.advertising, fields=saved.fields,
                   kind="sms" if saved.message_kind == "S" else "lms", bytes=saved.length,
                   updated_at=saved.updated_in_korea,
                   updated_by=saved.updated_by)


class TemplateList(BaseModel):
    """Every template, by name."""

    items: list[TemplateOut]


class ProblemDetails(BaseModel):
    """An error (RFC 9457), worded in Korean or, when Accept-Language prefers it, English.
    Errors about a send also carry the send's members (id, result, kind, ...)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URI reference naming the problem (see the reference).")
    title: str
    status: int
    detail: str
    code: str = Field(description="A stable code: invalid, malformed_json, unauthorized, "
                                  "forbidden, not_found, in_flight, idempotency_key_reused, "
                                  "a gateway code such as -114, unknown, not_sent, ...")
    errors: dict[str, list[str]] | None = Field(
        default=None, description="What is wrong with each field (dotted: to.0.phone).")


# --- the address book (/api/v1/contacts, /api/v1/groups) ---------------------------------

#: One line of text without control characters (names, field names, group names).
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
_FieldValue = Annotated[str, Field(max_length=500)]
_FieldName = Annotated[str, Field(min_length=1, max_length=40,
                                  pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
_GroupName = Annotated[str, Field(min_length=1, max_length=64,
                                  pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]


class ContactIn(BaseModel):
    """``POST /api/v1/contacts``: a contact (rules: services.contacts)."""

    model_config = _STRICT | ConfigDict(json_schema_extra={"examples": [
        {"phone": "010-1234-5678", "name": "홍길동", "memo": "단골",
         "fields": {"등급": "VIP"}, "groups": ["VIP"]}]})

    phone: str = Field(min_length=1, max_length=MAX_PHONE_LENGTH, description=(
        "The number, with or without dashes (one contact each): a mobile number as the "
        "pattern shows, or any number the gateway accepts (02-123-4567, +82 10-…)."),
        json_schema_extra={"pattern": "^010-?[0-9]{4}-?[0-9]{4}$"})
    name: str = Field(default="", max_length=100, pattern=_ONE_LINE,
                      description="Merged as {name}.")
    memo: str = Field(default="", max_length=1000)
    fields: dict[_FieldName, _FieldValue] = Field(
        default_factory=dict, max_length=30, description=(
            "Other fields, each merged as {its name} (not named name or phone)."))
    groups: list[_GroupName] = Field(
        default_factory=list, max_length=100,
        description="Its groups by name (a new name makes the group).")


class ContactPatch(BaseModel):
    """``PATCH /api/v1/contacts/{id}``: the members given change; ``groups`` replaces them."""

    model_config = _STRICT

    phone: str | None = Field(default=None, min_length=1, max_length=MAX_PHONE_LENGTH)
    name: str | None = Field(default=None, max_length=100, pattern=_ONE_LINE)
    memo: str | None = Field(default=None, max_length=1000)
    fields: dict[_FieldName, _FieldValue] | None = Field(default=None, max_length=30)
    groups: list[_GroupName] | None = Field(default=None, max_length=100)


class ContactQuery(BaseModel):
    """``GET /api/v1/contacts``: a search and a page of it."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(default="", max_length=100, description=(
        "A number (with or without dashes), its beginning or last four digits; or the "
        "beginning of a name."))
    group: int | None = Field(default=None, ge=1, le=2**53, description="Only this group.")
    cursor: int | None = Field(default=None, ge=1, le=2**53,
                               description="next_cursor of the page before.")
    limit: int = Field(default=PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)


class ContactOut(BaseModel):
    """A contact (number, name and memo masked for a token whose user sees numbers masked)."""

    id: int
    phone: str
    name: str
    memo: str
    fields: dict[str, str]
    groups: list[str]
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    """One page of contacts."""

    items: list[ContactOut]
    total: int = Field(description="How many match, counted up to 10,000.")
    total_capped: bool = Field(description="More match than total says.")
    next_cursor: int | None = Field(description="Ask again with this for the next page; null "
                                                "on the last page.")


class GroupOut(BaseModel):
    """A group of contacts."""

    id: int
    name: str
    count: int = Field(description="Contacts in it.")


class GroupList(BaseModel):
    """Every group, by name."""

    items: list[GroupOut]


# --- the opt-out list (/api/v1/optouts) --------------------------------------------------


class OptOutIn(BaseModel):
    """``POST /api/v1/optouts``: a number that opted out (rules: services.optouts)."""

    model_config = _STRICT | ConfigDict(json_schema_extra={"examples": [
        {"phone": "010-1234-5678", "memo": "080 수신거부 전화"}]})

    phone: str = Field(min_length=1, max_length=MAX_PHONE_LENGTH, description=(
        "The number, with or without dashes."),
        json_schema_extra={"pattern": "^010-?[0-9]{4}-?[0-9]{4}$"})
    memo: str = Field(default="", max_length=200, pattern=_ONE_LINE,
                      description="How the person asked, for example.")


class OptOutQuery(BaseModel):
    """``GET /api/v1/optouts``: a search and a page of it."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(default="", max_length=40, description=(
        "A number with or without dashes, or a part of one (digits; a token whose user "
        "sees numbers masked may look up whole numbers only)."))
    page: int = Field(default=1, ge=1, le=100_000)
    limit: int = Field(default=PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)


class OptOutOut(BaseModel):
    """An opted-out number (masked, without its memo, for a token whose user sees numbers
    masked)."""

    phone: str
    opted_out_at: datetime = Field(description="When it was recorded (Korea time).")
    via: str = Field(description="How: hand, file, api, relay or cli.")
    by: str = Field(description="Who recorded it (a user, a relay site, cli).")
    memo: str | None


class OptOutPage(BaseModel):
    """One page of the opt-out list, newest first."""

    items: list[OptOutOut]
    total: int = Field(description="How many match.")
    page: int
    pages: int


# --- bulk jobs (/api/v1/jobs) ------------------------------------------------------------

_JOB_FIELDS_MAX = 30
#: The pattern documented for a recipient's number (the reader takes any number the
#: gateway does: this is what a caller most often sends).
MOBILE_PATTERN = "^010-?[0-9]{4}-?[0-9]{4}$"
#: The pattern documented for a job's sender (likewise: the most usual numbers).
SENDER_PATTERN = "^(010-?[0-9]{4}|02-?[0-9]{3,4})-?[0-9]{4}$"


def _field_names(value: Any) -> Any:
    """A recipient's fields may not be named phone or name (its own members)."""
    if isinstance(value, dict) and {"phone", "name"} & set(value):
        raise PydanticCustomError("reserved_field", "phone and name are the recipient's own")
    return value


class JobRecipientIn(BaseModel):
    """A recipient of a bulk job: a number, a name for ``{name}`` and other fields for
    ``{column}`` merges."""

    model_config = _STRICT | ConfigDict(json_schema_extra={
        "examples": [{"phone": "010-2222-3333", "name": "홍길동",
                      "fields": {"쿠폰": "A-1024"}}]})

    phone: str = Field(min_length=1, max_length=MAX_PHONE_LENGTH, description=(
        "A Korean phone number, with or without dashes: a mobile number as the pattern "
        "shows, or any number the gateway accepts (a row that is none is left out and "
        "reported)."), json_schema_extra={"pattern": MOBILE_PATTERN})
    name: str = Field(default="", description=(
        f"Fills {{name}} (through the gateway's own merge); at most {message.NAME_LIMIT} "
        "characters, or the row is left out (the row report says why)."),
        json_schema_extra={"maxLength": message.NAME_LIMIT})
    fields: Annotated[dict[_FieldName, _FieldValue], BeforeValidator(_field_names)] = Field(
        default_factory=dict, max_length=_JOB_FIELDS_MAX, description=(
            "Other values by name, each filling {its name} in the text (merged by the app; "
            "recipients with the same merged text share a gateway call). Not named phone "
            "or name."))


JobRecipientItem = Annotated[JobRecipientIn, BeforeValidator(
    _recipient, json_schema_input_type=Annotated[
        str, Field(min_length=1, max_length=MAX_PHONE_LENGTH,
                   json_schema_extra={"pattern": MOBILE_PATTERN})] | JobRecipientIn)]


def _send_at(value: Any) -> datetime | None:
    """ISO 8601 date and time as _reserve_at reads it, as the UTC the job keeps."""
    when = _reserve_at(value)
    return when.astimezone(UTC).replace(tzinfo=None) if when is not None else None


#: A send_at as documented: ISO_DATETIME with only real dates, times and offsets (a day up
#: to 28 is in every month), so what matches the pattern is always read.
SEND_AT_PATTERN = (r"^20[2-9]\d-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])[T ]([01]\d|2[0-3]):"
                   r"[0-5]\d(:[0-5]\d)?(Z|[+-](0\d|1[0-4]):?[0-5]\d)?$")

SendAt = Annotated[datetime | None, PlainValidator(_send_at), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": SEND_AT_PATTERN}, {"type": "null"}],
    "description": "When the job starts, in ISO 8601; Korea time (+09:00) when it has no "
                   "offset. The app holds it (the gateway sees each batch when it goes); "
                   "it can be cancelled until its first batch is handed over. Leave out to "
                   "start at once.",
    "examples": ["2030-03-01T09:30:00", "2030-03-01T09:30:00+09:00"]})]


class JobDraftIn(BaseModel):
    """A bulk job's message: the members of ``POST /api/v1/messages`` that a list takes,
    and when it starts (the multipart form's fields, read from text)."""

    model_config = _STRICT

    sender: str = Field(alias="from", min_length=1, max_length=MAX_PHONE_LENGTH,
                        description=(
        "A registered sender number: a mobile or Seoul number as the pattern shows, or any "
        "number the gateway has registered (1588-1234, 031-…)."),
                        json_schema_extra={"pattern": SENDER_PATTERN})
    text: str = Field(min_length=1, max_length=message.LMS_LIMIT, description=(
        "The message: {name} is each recipient's name, {column} any other field (or a "
        "file's column)."))
    subject: str = Field(default="", max_length=message.SUBJECT_LIMIT,
                         description="The LMS subject (ignored for an SMS).")
    type: Literal["auto", "sms", "lms"] = Field(default="auto", description=(
        "auto: each recipient's merged text an SMS up to 90 bytes (EUC-KR), an LMS past "
        "them; sms: a merged text past 90 bytes leaves its row out; lms: always an LMS."))
    test: bool = Field(default=False, description=(
        "A dry run: every batch goes with the gateway's testflag: checked, not sent, not "
        "charged."))
    advertising: bool = Field(default=False, description=(
        "An advertisement (광고성 메시지): (광고), the sender's name and the free opt-out "
        "line are written around the text, opted-out numbers are left out, and no batch "
        "goes between 21:00 and 08:00 Korea time (the job pauses and resumes at 08:00)."))
    send_at: SendAt = None

    @property
    def kind(self) -> str:
        """The check's kind choice (auto, S or L)."""
        return {"auto": "auto", "sms": "S", "lms": "L"}[self.type]


class JobIn(JobDraftIn):
    """``POST /api/v1/jobs`` as JSON: one message to a list of recipients (up to the list
    limit, 100,000 by default), sent in the background in calls of at most 999."""

    model_config = _STRICT | ConfigDict(json_schema_extra={"examples": [
        {"from": "02-123-4567", "to": ["010-2222-3333", "010-4444-5555"], "text": "안내"},
        {"from": "02-123-4567", "to": [
            {"phone": "010-2222-3333", "name": "홍길동", "fields": {"쿠폰": "A-1024"}}],
         "text": "{name}님, 쿠폰 {쿠폰}을 드립니다.", "send_at": "2030-03-01T09:30:00"}]})

    to: list[JobRecipientItem] = Field(min_length=1, description=(
        "Phone numbers, or objects with a phone, a name and fields. Rows that cannot be "
        "sent (a number the gateway refuses, a duplicate, a missing name where {name} is "
        "used...) are left out and reported; row n is the n-th item, from 1."))

    def records(self) -> list[Any]:
        """The recipients as the list reader takes them."""
        from smsform.services.lists import Record

        return [Record(r.phone, r.name, dict(r.fields)) for r in self.to]


#: A form field's boolean as written (multipart).
FORM_TRUE, FORM_FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no", "")

#: A bulk job's state and pause reason as the API names them (smsform.states' values).
if TYPE_CHECKING:
    JobStateName = str
    JobPauseName = str
else:
    JobStateName = Literal[tuple(s.value for s in JobState)]
    JobPauseName = Literal[tuple(p.value for p in JobPause)]


class JobCounts(BaseModel):
    """What the check found in the list."""

    rows: int = Field(description="Rows read (empty rows not counted).")
    recipients: int = Field(description="Numbers the job sends to.")
    refused: int = Field(description="Rows left out for a problem of their own.")
    duplicates: int = Field(description="Rows left out as a number listed before.")
    opted_out: int = Field(description="Numbers on the opt-out list left out of an "
                                       "advertisement.")
    batches: int = Field(description="Gateway calls (at most 999 recipients each).")
    sms: int
    lms: int
    forecast: int = Field(description="Credits the job uses if every batch goes (0 for a "
                                      "test).")


class BatchCounts(BaseModel):
    """The job's batches (gateway calls) by state."""

    total: int
    done: int = Field(description="Ended (any state but waiting).")
    waiting: int = Field(description="Not yet handed over (or being handed over now).")
    accepted: int = Field(description="Taken by the gateway (sent, or checked for a test).")
    refused: int = Field(description="Refused by the gateway (its code); nothing sent.")
    not_sent: int = Field(description="The gateway was not reached; nothing sent.")
    unknown: int = Field(description="In flight when a worker stopped: may have gone out; "
                                     "never sent again.")
    cancelled: int = Field(description="Not sent: the job was cancelled first.")


class RecipientCounts(BaseModel):
    """The job's recipients by their batch's outcome."""

    total: int
    waiting: int
    accepted: int
    refused: int
    not_sent: int
    unknown: int
    cancelled: int


class DeliveryCounts(BaseModel):
    """The job's recipients by delivery outcome, as the gateway's result list told it
    (the recipients of batches the gateway took)."""

    delivered: int
    failed: int = Field(description="The gateway could not deliver (and refunded); "
                                    "GET .../recipients?delivery=failed lists them.")
    waiting: int = Field(description="Taken, not yet told.")
    no_report: int = Field(description="Taken and never said to have arrived within 24 h "
                                       "(SMS) or 72 h (LMS).")


def _by_state(counts: dict[str, int], total: int, **extra: int) -> dict[str, int]:
    return {"total": total, **extra, **{state.value: counts.get(state.value, 0) for state in (
        BatchState.WAITING, BatchState.ACCEPTED, BatchState.REFUSED, BatchState.NOT_SENT,
        BatchState.UNKNOWN, BatchState.CANCELLED)}}


class JobOut(BaseModel):
    """A bulk job and how far it is."""

    model_config = ConfigDict(populate_by_name=True)

    id: int = Field(description="GET /api/v1/jobs/{id}.")
    state: JobStateName = Field(description=(
        "checking (made, not started), scheduled (waits for send_at), running, paused "
        "(pause_reason says why), done (no batch left), cancelled."))
    pause_reason: JobPauseName | None = Field(description=(
        "Why it paused: person, auth (-102), credit (-201), sender (-114), blocked (-105), "
        "transport (three calls in a row not answered), night (an advertisement at 21:00; "
        "resumes itself at resume_at), late (a scheduled job found too late: waits for a "
        "person)."))
    pause_text: str | None = Field(description="The pause reason in words.")
    resume_at: datetime | None = Field(description="When a night pause ends (Korea time).")
    source: str = Field(description="The way it came in: web, api or cli.")
    user: str
    sender: str = Field(alias="from")
    test: bool
    advertising: bool
    created_at: datetime
    send_at: datetime | None = Field(description="When it starts (Korea time), if held.")
    started_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    counts: JobCounts
    batches: BatchCounts
    recipients: RecipientCounts
    cost: int = Field(description="Credits charged so far by the batches the gateway took.")
    cost_at_most: int = Field(description="cost, and what the unknown batches may have cost.")
    seconds_per_batch: float | None = Field(description=(
        "The measured pace (null before two batches have gone)."))
    seconds_left: int | None = Field(description=(
        "How long the batches left take at the measured pace; null when not known."))
    unknown_sends: list[int] = Field(description=(
        "The send log ids (GET /api/v1/messages/{id}) of the batches whose outcome is "
        "unknown."))
    delivery: DeliveryCounts | None = Field(default=None, description=(
        "Its recipients by delivery outcome: in GET /api/v1/jobs/{id} (null in the list "
        "of jobs, and for a test job, which reaches no phone)."))
    retry_of: str | None = Field(default=None, description=(
        "What a retry job retries: the word job or send, a colon and its id; null for any "
        "other job."))

    @classmethod
    def of(cls, job: Any, progress: Any, pause_text: str | None,
           delivery: dict[str, int] | None = None) -> JobOut:
        """A job's row and figures (services.bulk) as the API tells them."""
        def korea(when: datetime | None) -> datetime | None:  # stored: naive UTC
            return (when.replace(tzinfo=UTC).astimezone(KST).replace(microsecond=0)
                    if when is not None else None)

        return cls(
            id=job.id, state=progress.state, pause_reason=progress.pause_reason,
            pause_text=pause_text, resume_at=korea(progress.resume_at), source=job.source,
            user=job.actor, sender=job.sender, test=bool(job.test),
            advertising=bool(job.advertising), created_at=korea(job.created_at),
            send_at=korea(job.send_at), started_at=korea(progress.started_at),
            finished_at=korea(progress.finished_at), cancelled_at=korea(job.cancelled_at),
            counts=JobCounts(rows=job.rows, recipients=job.recipient_count,
                             refused=job.refused_count, duplicates=job.duplicate_count,
                             opted_out=job.opted_out_count, batches=job.batch_count,
                             sms=job.sms_count, lms=job.lms_count, forecast=job.forecast),
            batches=BatchCounts(**_by_state(progress.batches, progress.batch_total,
                                            done=progress.batch_done)),
            recipients=RecipientCounts(**_by_state(progress.recipients,
                                                   progress.recipient_total)),
            cost=progress.used, cost_at_most=progress.at_most,
            seconds_per_batch=round(progress.pace, 3) if progress.pace is not None else None,
            seconds_left=(round(progress.left.total_seconds())
                          if progress.left is not None else None),
            unknown_sends=list(progress.unknown_send_ids),
            delivery=DeliveryCounts(**{d.value: delivery.get(d.value, 0) for d in Delivery})
            if delivery is not None else None,
            retry_of=f"job:{job.retry_of_job}" if job.retry_of_job is not None
            else f"send:{job.retry_of_send}" if job.retry_of_send is not None else None)


class RowProblemOut(BaseModel):
    """A row of the list left out, and why."""

    row: int = Field(description="Its row number: a file's row as a spreadsheet shows it; "
                                 "for JSON, the n-th item of `to` from 1.")
    value: str = Field(description="The value as written (the number, or the name).")
    code: str = Field(description="no_phone, invalid_phone, duplicate, no_name, "
                                  "name_too_long, merged_too_long, unsupported_chars, "
                                  "opted_out, missing_field, ...")
    first_row: int | None = Field(description="For a duplicate: the row it repeats.")
    reason: str = Field(description="Why, in words.")


class JobCreated(JobOut):
    """A job just made (or found again by its Idempotency-Key)."""

    problems: list[RowProblemOut] = Field(description=(
        "The rows left out, in row order (the first 1,000; empty when replayed)."))
    problems_total: int


class JobCancelled(JobOut):
    """A job just cancelled: what had gone before and what the cancel stopped."""

    went_batches: int = Field(description="Batches handed over before the cancel (they end "
                                          "as they will).")
    went_recipients: int
    stopped_batches: int = Field(description="Batches the cancel stopped: never sent.")
    stopped_recipients: int


class JobPage(BaseModel):
    """One page of jobs, newest first."""

    items: list[JobOut]
    next_cursor: int | None = Field(description="Ask again with this for the next page; "
                                                "null on the last page.")


class JobQuery(BaseModel):
    """``GET /api/v1/jobs``: a page of jobs."""

    model_config = ConfigDict(extra="ignore")

    cursor: int | None = Field(default=None, ge=1, le=MAX_ID,
                               description="next_cursor of the page before.")
    limit: int = Field(default=PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)


#: The most recipients one page of a job's recipients holds.
MAX_RECIPIENT_PAGE = 1000


class JobRecipientQuery(BaseModel):
    """``GET /api/v1/jobs/{id}/recipients``: a page of them, in the job's order."""

    model_config = ConfigDict(extra="ignore")

    cursor: int | None = Field(default=None, ge=0, le=MAX_ID,
                               description="next_cursor of the page before.")
    limit: int = Field(default=100, ge=1, le=MAX_RECIPIENT_PAGE)
    delivery: DeliveryName | None = Field(default=None, description=(
        "Only the recipients whose delivery is this (failed: the ones to fix or retry)."))


class JobRecipientOut(BaseModel):
    """One recipient, its batch's outcome and its delivery."""

    position: int = Field(description="Its place in the job, from 0.")
    row: int = Field(description="Its row in the list.")
    phone: str = Field(description="The number (masked for a reader who sees the job "
                                   "masked).")
    name: str = Field(description="Its name (masked likewise); empty without one.")
    batch: int = Field(description="Its batch (gateway call), from 1.")
    outcome: str = Field(description="Its batch's state: waiting, sending, accepted, "
                                     "refused, not_sent, unknown, cancelled.")
    code: str | None = Field(description="The gateway's answer code for its batch.")
    delivery: DeliveryOut | None = Field(default=None, description=(
        "Its delivery; null for a test job or a batch that reached no phone."))


class JobRecipientPage(BaseModel):
    """One page of a job's recipients."""

    items: list[JobRecipientOut]
    next_cursor: int | None = Field(description="Ask again with this for the next page; "
                                                "null on the last page.")
