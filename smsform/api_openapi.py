"""The OpenAPI 3.1 document of ``/api/v1``, made from the models that validate the requests
and shape the answers (``smsform.api_schemas``): their JSON Schemas are the components,
and a small hand-written paths object points at them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from smsform.api_schemas import (
    MAX_BODY_BYTES,
    SEND_AT_PATTERN,
    Balance,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ContactQuery,
    GroupList,
    JobCancelled,
    JobCreated,
    JobDraftIn,
    JobIn,
    JobOut,
    JobPage,
    JobQuery,
    JobRecipientPage,
    JobRecipientQuery,
    MessageDetail,
    MessageIn,
    MessagePage,
    MessageQuery,
    MessageSent,
    OptOutIn,
    OptOutOut,
    OptOutPage,
    OptOutQuery,
    ProblemDetails,
    Senders,
    TemplateList,
    TemplateOut,
)
from smsform.ids import MAX_ID
from smsform.services.sending import MAX_KEY_LENGTH
from smsform.states import Result

PREFIX = "/api/v1"
#: Where a list too large for one send goes (``POST /api/v1/messages`` points to it).
JOBS_PATH = f"{PREFIX}/jobs"
PROBLEM_JSON = "application/problem+json"
_REF = "#/components/schemas/{model}"

#: What each error status means in this API.
_ERRORS = {
    400: "Invalid input: `errors` says what is wrong with each field. Nothing was sent.",
    401: "No valid token: send `Authorization: Bearer <token>`.",
    403: "The token's user may not do this (a viewer may not send).",
    404: "There is no such send (or it is another user's), or no such template.",
    409: "A send with this Idempotency-Key is still in progress. Nothing was sent again. For "
         "a job: it cannot do that now (`code`: final, not_live...).",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB (a bulk job's list: "
         "SMSFORM_LIST_MAX_BYTES, 20 MB).",
    415: "The body must be JSON (`Content-Type: application/json`; a bulk job's list may "
         "also come as `multipart/form-data`).",
    422: "Not sent: the gateway refused the send (`code` is its answer, such as -114), it "
         "has more than 999 recipients (`code: too_many_recipients`, with `jobs`: send it as "
         "a bulk job), its "
         "cost is over the credit left (`code: credit_short`, with `needed`, `credit` and "
         "`shortfall`), the law's rules on advertisements refuse it (`code: ad_night`, "
         "`ad_label_variant`, ...: see docs/compliance.md), or the Idempotency-Key was used "
         "before with another body (`code: idempotency_key_reused`).",
    429: "Too many requests with this token: wait `Retry-After` seconds.",
    502: "The outcome is unknown: the message may have gone out. Look it up by `id` before "
         "sending it again. For a look-up: the gateway gave no usable answer.",
    503: "The gateway could not be reached: nothing was sent, it is safe to try again.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"},
                               "description": "Bearer, with the error."}},
    429: {"Retry-After": {"schema": {"type": "integer", "minimum": 1},
                          "description": "Seconds to wait."}},
}


#: Every problem ``code`` the API answers with (a problem's ``type`` ends in one of them); a
#: send the gateway did not take answers with its result.
PROBLEMS = {
    "invalid": "400: some fields break a rule; `errors` names what is wrong with each. "
               "Nothing was sent.",
    "malformed_json": "400: the body is not JSON, or not a JSON object.",
    "invalid_idempotency_key": "400: `Idempotency-Key` must be 1 to 40 printable characters.",
    "unauthorized": "401: no token, or one that is revoked, unknown or of a disabled user.",
    "forbidden": "403: the token's user may not do this (a viewer may not send).",
    "numbers_hidden": "403: searching by phone number needs the right to see numbers.",
    "not_found": "404: no such send (or another user's), no such template, no such job (or "
                 "another sender's), or no such address.",
    "method_not_allowed": "405: the address does not take this method.",
    "in_flight": "409: the first send with this `Idempotency-Key` is still in progress.",
    "phone_taken": "409: the number already has a contact (one contact per number).",
    "request_entity_too_large": f"413: the body is over {MAX_BODY_BYTES // 1024} KiB.",
    "unsupported_media_type": "415: send JSON, with `Content-Type: application/json`.",
    Result.REFUSED: "422: the gateway refused the send; `code` is its answer (-114: the sender is "
               "not registered, -201: no credit left, ...). Nothing was sent, nothing "
               "charged. The problem carries the send's members (`id`, `result`, ...).",
    "too_many_recipients": "422: more than 999 recipients for one send (typed, or with the "
                           "groups' and contacts' members): `limit` is 999, `count` how many "
                           "were given, `jobs` the address that takes a list that large "
                           "(POST /api/v1/jobs). Nothing was sent.",
    "final": "409: the job has ended already (done or cancelled): nothing is left to cancel.",
    "list_unreadable": "422: the job's list cannot be read at all (`reason`: empty, too_large, "
                       "too_many_rows, not_text, not_workbook, zip_bomb, workbook_locked, "
                       "no_phone_column, unknown_column). Nothing was made or sent.",
    "nothing_to_send": "422: no row of the job's list can be sent: `problems` says why for "
                       "each (`problems_total` rows). Nothing was made or sent.",
    "message_invalid": "422: the job's message cannot be sent as it is (`errors` beside each "
                       "member: a {column} the list lacks, {name} without names, an SMS too "
                       "long after the merge...). Nothing was made or sent.",
    "night": "422: an advertising job would start between 21:00 and 08:00 Korea time "
             "(`resumes`: the first time it may). Nothing was made or sent.",
    "idempotency_key_reused": "422: this `Idempotency-Key` was used before for another body "
                              "(for a job: another list or message; `id` is its job).",
    "credit_short": "422: the send costs more than the credit left as last known (asked of "
                    "the gateway again first): `needed`, `credit` and `shortfall` say by how "
                    "much. Nothing was sent, nothing charged; a test send is never refused "
                    "for this. The problem carries the send's members (`id`, `forecast`, ...).",
    "ad_night": "422: an advertisement would reach phones between 21:00 and 08:00 Korea time "
                "(sent now, reserved, or a repeat): `at` is when, `resume` the first time it "
                "may go. Nothing was sent.",
    "all_opted_out": "422: every recipient of the advertisement is on the opt-out list "
                     "(수신거부): `count` says how many. No call was made, nothing charged.",
    "ad_setting_missing": "422: advertising sends are not set up on the server: `setting` "
                          "names the missing variable. Nothing was sent.",
    "ad_label_variant": "422: the text starts with a label carriers block (`written`); write "
                        "`right`, (광고). Nothing was sent.",
    "ad_label_not_first": "422: (광고) is not at the start of the text (`written` comes "
                          "before it). Nothing was sent.",
    "ad_label_after_blank": "422: spaces or blank lines come before (광고). Nothing was sent.",
    "ad_sender_name_missing": "422: an advertisement written by hand lacks the sender's name "
                              "(`name`) right after (광고); or send it with `advertising`.",
    "ad_optout_missing": "422: an advertisement written by hand lacks the free opt-out line "
                         "(`line`) at its end; or send it with `advertising`.",
    "too_many_requests": "429: too many requests with this token; wait `Retry-After` "
                         "seconds.",
    Result.UNKNOWN: "502: the gateway's answer was lost: the message may have gone out. Look it "
               "up by `id` (and in the gateway's results) before sending it again.",
    "gateway_error": "502 or 503: a look-up (balance, senders) got no usable answer.",
    Result.NOT_SENT: "503: the gateway could not be reached; nothing was sent, try again later.",
    "database_unavailable": "503: the app's database was busy or out of reach; nothing was "
                            "done, nothing was sent. Try again after `Retry-After` seconds.",
    "database_unavailable_after_send": "503: the app's database failed after the message was "
                                       "handed to the gateway: it may have been sent. Look it "
                                       "up before sending it again (no `Retry-After`).",
    "database_not_created": "503: the app's database has not been created yet: its "
                            "administrator runs `flask --app app upgrade-db`. Nothing was "
                            "done, nothing was sent.",
    "internal_server_error": "500: a fault of this app. A send may have gone out before it: "
                             "look it up (`GET /messages`) before sending it again.",
}


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": _ERRORS[status], "content": {PROBLEM_JSON: {
        "schema": {"$ref": _REF.format(model="ProblemDetails")}}}}
    if status in _HEADERS:
        answer["headers"] = _HEADERS[status]
    return answer


def _json(model: type[BaseModel], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model=model.__name__)}}}, **extra}


def _responses(ok: dict[str, dict[str, Any]], *errors: int) -> dict[str, Any]:
    return {**ok, **{str(status): _problem(status) for status in (401, 403, 429, *errors)}}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the ``null`` a missing parameter stands for."""
    options = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    if len(options) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default", "title")}
    return {**options[0], **rest}


def _query_parameters() -> list[dict[str, Any]]:
    schema = MessageQuery.model_json_schema(by_alias=True)
    return [{"name": name, "in": "query", "required": False,
             "description": prop.get("description", ""), "schema": _not_null(prop)}
            for name, prop in schema["properties"].items()]


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes the send happen once: the same key with the same body answers the "
                   "first answer again (with `Idempotent-Replayed: true`); while the first "
                   "is in progress 409; with another body 422. Keys belong to their user.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"},
}
_SENT_HEADERS = {
    "Location": {"schema": {"type": "string"}, "description": "The send's address."},
    "Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                            "description": "This is the first answer to the same key, "
                                           "again: nothing was sent this time."},
}


def _paths() -> dict[str, Any]:
    return {
        f"{PREFIX}/messages": {
            "post": {
                "operationId": "sendMessage", "tags": ["messages"],
                "summary": "Send a message (SMS or LMS) once",
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": _REF.format(model="MessageIn")}}}},
                "responses": _responses(
                    {"201": _json(MessageSent, "Accepted by the gateway: sent, reserved or "
                                               "a test.", headers=_SENT_HEADERS)},
                    400, 409, 413, 415, 422, 502, 503),
            },
            "get": {
                "operationId": "listMessages", "tags": ["messages"],
                "summary": "The send log, newest first, a page at a time",
                "description": "Your own sends (an administrator's token: everyone's).",
                "parameters": _query_parameters(),
                "responses": _responses({"200": _json(MessagePage, "One page.")}, 400),
            },
        },
        f"{PREFIX}/messages/{{id}}": {"get": {
            "operationId": "getMessage", "tags": ["messages"],
            "summary": "One send, in full",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
            "responses": _responses({"200": _json(MessageDetail, "The send.")}, 404),
        }},
        f"{PREFIX}/balance": {"get": {
            "operationId": "getBalance", "tags": ["account"],
            "summary": "Credits left, and how many SMS or LMS they buy",
            "responses": _responses({"200": _json(Balance, "The credit.")}, 502, 503),
        }},
        f"{PREFIX}/senders": {"get": {
            "operationId": "listSenders", "tags": ["account"],
            "summary": "The registered sender numbers",
            "responses": _responses({"200": _json(Senders, "The numbers.")}, 502, 503),
        }},
        **_contact_paths(),
        **_optout_paths(),
        **_template_paths(),
        **_job_paths(),
    }


def _template_paths() -> dict[str, Any]:
    """The saved templates' paths (read only: they are written on /templates and the CLI)."""
    return {
        f"{PREFIX}/templates": {"get": {
            "operationId": "listTemplates", "tags": ["templates"],
            "summary": "The team's saved templates, by name",
            "responses": _responses({"200": _json(TemplateList, "Every template.")}),
        }},
        f"{PREFIX}/templates/{{id}}": {"get": {
            "operationId": "getTemplate", "tags": ["templates"],
            "summary": "One template",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
            "responses": _responses({"200": _json(TemplateOut, "The template.")}, 404),
        }},
    }


_JOB_ERRORS = {
    "422": {"description": (
        "Not made, nothing sent: the list cannot be read (`code: list_unreadable`, "
        "`reason`), no row can be sent (`code: nothing_to_send`), the message cannot be "
        "sent (`message_invalid`, or the law's code such as `ad_night`; `errors` beside "
        "each member), the credit cannot pay for it (`credit_short`, with `needed`, "
        "`credit` and `shortfall`), or the Idempotency-Key was used before for another "
        "list (`idempotency_key_reused`, `id`). A check's refusal carries `counts` and "
        "the row report (`problems`, `problems_total`)."),
        "content": {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model="ProblemDetails")}}}},
}


#: The simplest list: a header and mobile numbers, one a line.
LIST_PATTERN = r"^phone\r?\n(010-?[0-9]{4}-?[0-9]{4}\r?\n){1,20}$"


def _multipart_job() -> dict[str, Any]:
    """The multipart form of POST /jobs: the file and the message's fields as text."""
    draft = JobDraftIn.model_json_schema(by_alias=True)["properties"]
    text = {name: {k: v for k, v in draft[name].items() if k not in ("title", "default")}
            for name in ("from", "text", "subject", "type")}
    boolean = {"type": "string", "enum": ["true", "false"]}
    return {
        "type": "object", "required": ["file", "from", "text"],
        "properties": {
            # The simplest list as the pattern (a header and numbers), so that what is
            # generated from the document is a list; any list file is read.
            "file": {"type": "string", "contentMediaType": "text/csv",
                     "pattern": LIST_PATTERN, "description": (
                "The list, as a file: CSV or TSV (UTF-8, UTF-8 with BOM, UTF-16, "
                "CP949/EUC-KR), .xlsx or .xls, whatever the pattern shows; the phone and "
                "name columns guessed from the header; every other column can be merged as "
                "{column}. Up to 100,000 rows and 20 MB (the settings SMSFORM_LIST_MAX_ROWS "
                "and SMSFORM_LIST_MAX_BYTES). A field without a file name is read as the "
                "list's text (curl -F 'file=<list.csv').")},
            **text,
            "test": {**boolean, "description": draft["test"]["description"]},
            "advertising": {**boolean, "description": draft["advertising"]["description"]},
            "send_at": {"type": "string", "pattern": SEND_AT_PATTERN,
                        "description": "When the job starts (ISO 8601; Korea time without "
                                       "an offset)."},
            # As the file's: the simplest list's columns (any header or letter is read).
            "phone_column": {"type": "string", "maxLength": 255, "pattern": "^(phone|A)$",
                             "description": "The phone column's header or letter (A, B...) "
                                            "when the guess is wrong."},
            "name_column": {"type": "string", "maxLength": 255, "pattern": "^$",
                            "description": "The name column's header or letter; empty: no "
                                           "names."},
        },
    }


def _job_paths() -> dict[str, Any]:
    """The bulk jobs' paths (views/api_jobs.py)."""
    job_id = [{"name": "id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}]

    def parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
        return [{"name": name, "in": "query", "required": False,
                 "description": prop.get("description", ""), "schema": _not_null(prop)}
                for name, prop in model.model_json_schema()["properties"].items()]

    key = {**_IDEMPOTENCY_KEY, "description": (
        "Makes the job once: the same key with the same list answers the job the first "
        "request made (with `Idempotent-Replayed: true`), never a second one; with another "
        "list 422. Keys belong to their user.")}
    made = {"Location": {"schema": {"type": "string"}, "description": "The job's address."},
            "Idempotent-Replayed": _SENT_HEADERS["Idempotent-Replayed"]}
    return {
        f"{PREFIX}/jobs": {
            "post": {
                "operationId": "createJob", "tags": ["jobs"],
                "summary": "Send one message to a list: a bulk job in the background",
                "description": (
                    "The list is checked (every row judged; duplicates, invalid numbers and "
                    "opted-out numbers of an advertisement left out and reported), split into "
                    "gateway calls of at most 999 recipients, written as a job and started: "
                    "a worker sends its batches one after another (or at `send_at`). See "
                    "docs/bulk.md."),
                "parameters": [key],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="JobIn")}},
                    "multipart/form-data": {"schema": _multipart_job()}}},
                "responses": {**_responses(
                    {"202": _json(JobCreated, "Made and started (or scheduled).",
                                  headers=made)}, 400, 413, 415), **_JOB_ERRORS},
            },
            "get": {
                "operationId": "listJobs", "tags": ["jobs"],
                "summary": "Bulk jobs, newest first, a page at a time",
                "description": "Your own jobs (an administrator's or viewer's token: every "
                               "job).",
                "parameters": parameters(JobQuery),
                "responses": _responses({"200": _json(JobPage, "One page.")}, 400),
            },
        },
        f"{PREFIX}/jobs/{{id}}": {"get": {
            "operationId": "getJob", "tags": ["jobs"],
            "summary": "One job: its state, batches and recipients by outcome, its cost",
            "parameters": job_id,
            "responses": _responses({"200": _json(JobOut, "The job.")}, 404),
        }},
        f"{PREFIX}/jobs/{{id}}/recipients": {"get": {
            "operationId": "listJobRecipients", "tags": ["jobs"],
            "summary": "A job's recipients with their batch's outcome, a page at a time",
            "description": "Numbers and names masked for a token whose user sees the job "
                           "masked (as the send log masks them).",
            "parameters": [*job_id, *parameters(JobRecipientQuery)],
            "responses": _responses({"200": _json(JobRecipientPage, "One page.")}, 400, 404),
        }},
        f"{PREFIX}/jobs/{{id}}/cancel": {"post": {
            "operationId": "cancelJob", "tags": ["jobs"],
            "summary": "Cancel a job: the batches not yet handed over are not sent",
            "parameters": job_id,
            "responses": _responses({"200": _json(JobCancelled, "Cancelled: what went "
                                                                "before, what it stopped.")},
                                    404, 409),
        }},
    }


def _body_of(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model=model.__name__)}}}}


def _contact_paths() -> dict[str, Any]:
    """The address book's paths (views/api_contacts.py)."""
    contact_id = [{"name": "id", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}]
    query = ContactQuery.model_json_schema()
    parameters = [{"name": name, "in": "query", "required": False,
                   "description": prop.get("description", ""), "schema": _not_null(prop)}
                  for name, prop in query["properties"].items()]
    return {
        f"{PREFIX}/contacts": {
            "get": {
                "operationId": "listContacts", "tags": ["contacts"],
                "summary": "The address book, a page at a time",
                "description": "Numbers, names and memos are masked for a viewer's token, "
                               "which may not search by number (403 numbers_hidden).",
                "parameters": parameters,
                "responses": _responses({"200": _json(ContactPage, "One page.")}, 400),
            },
            "post": {
                "operationId": "createContact", "tags": ["contacts"],
                "summary": "Add a contact (one per number)",
                "requestBody": _body_of(ContactIn),
                "responses": _responses(
                    {"201": _json(ContactOut, "Added.", headers={"Location": {
                        "schema": {"type": "string"}, "description": "Its address."}})},
                    400, 409, 413, 415),
            },
        },
        f"{PREFIX}/contacts/{{id}}": {
            "get": {"operationId": "getContact", "tags": ["contacts"],
                    "summary": "One contact", "parameters": contact_id,
                    "responses": _responses({"200": _json(ContactOut, "The contact.")}, 404)},
            "patch": {"operationId": "updateContact", "tags": ["contacts"],
                      "summary": "Change the members given (groups: all of them)",
                      "parameters": contact_id, "requestBody": _body_of(ContactPatch),
                      "responses": _responses({"200": _json(ContactOut, "Changed.")},
                                              400, 404, 409, 413, 415)},
            "delete": {"operationId": "deleteContact", "tags": ["contacts"],
                       "summary": "Delete a contact (the send log keeps its sends)",
                       "parameters": contact_id,
                       "responses": _responses({"204": {"description": "Deleted."}}, 404)},
        },
        f"{PREFIX}/groups": {"get": {
            "operationId": "listGroups", "tags": ["contacts"],
            "summary": "Every group of contacts, with its size",
            "responses": _responses({"200": _json(GroupList, "The groups.")}),
        }},
    }


def _optout_paths() -> dict[str, Any]:
    """The opt-out list's paths (views/api_optouts.py)."""
    query = OptOutQuery.model_json_schema()
    parameters = [{"name": name, "in": "query", "required": False,
                   "description": prop.get("description", ""), "schema": _not_null(prop)}
                  for name, prop in query["properties"].items()]
    number = [{"name": "number", "in": "path", "required": True,
               "description": "The number, with or without dashes.",
               "schema": {"type": "string", "minLength": 1, "maxLength": 40,
                          "pattern": "^010-?[0-9]{4}-?[0-9]{4}$"}},
              {"name": "reason", "in": "query", "required": True,
               "description": "Why it comes off the list (kept with its history).",
               "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]
    return {
        f"{PREFIX}/optouts": {
            "get": {
                "operationId": "listOptOuts", "tags": ["optouts"],
                "summary": "The opt-out list (수신거부), a page at a time",
                "description": "Numbers are masked, and memos left out, for a viewer's "
                               "token, which may look up whole numbers only.",
                "parameters": parameters,
                "responses": _responses({"200": _json(OptOutPage, "One page.")}, 400),
            },
            "post": {
                "operationId": "createOptOut", "tags": ["optouts"],
                "summary": "Record an opt-out: advertising sends leave the number out",
                "requestBody": _body_of(OptOutIn),
                "responses": _responses(
                    {"201": _json(OptOutOut, "Recorded."),
                     "200": _json(OptOutOut, "It was on the list already (its first "
                                             "record).")}, 400, 413, 415),
            },
        },
        f"{PREFIX}/optouts/{{number}}": {"delete": {
            "operationId": "deleteOptOut", "tags": ["optouts"],
            "summary": "Take a number off the opt-out list, saying why",
            "parameters": number,
            "responses": _responses({"204": {"description": "Removed."}}, 400, 404),
        }},
    }


@cache
def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (made once)."""
    answers: tuple[type[BaseModel], ...] = (MessageSent, MessageDetail, MessagePage, Balance,
                                            Senders, ProblemDetails, ContactOut, ContactPage,
                                            GroupList, OptOutOut, OptOutPage, TemplateList,
                                            TemplateOut, JobOut, JobCreated, JobCancelled,
                                            JobPage, JobRecipientPage)
    models: list[tuple[type[BaseModel], Any]] = [
        (MessageIn, "validation"), (ContactIn, "validation"), (ContactPatch, "validation"),
        (OptOutIn, "validation"), (JobIn, "validation"),
        *((model, "serialization") for model in answers)]
    _, schemas = models_json_schema(models, ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsform API", "version": "1",
            "description": "Send SMS and LMS through this app's Cafe24 account, with a "
                           "token of your own: every send is checked, logged and sent "
                           "once. Errors are RFC 9457 problem details, worded in Korean, "
                           "or in English with `Accept-Language: en`.",
        },
        "paths": _paths(),
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "smsf_…",
                "description": "A token from /account/tokens or `flask --app app token "
                               "create`."}},
        },
        "security": [{"bearerAuth": []}],
        "x-problems": PROBLEMS,
    }
