"""``/api/v1/optouts``: the opt-out list (수신거부) through the token API, with the same
tokens, rate, problems and language as ``views/api.py`` (its ``authenticate`` runs first).
Reading takes ``Permission.VIEW`` (numbers masked and memos left out for a user who sees
numbers masked, who may look up whole numbers only); writing takes
``Permission.EDIT_OPTOUTS`` and a token that is not read-only. Rules:
``services.optouts``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from smsform import messages
from smsform.api_openapi import PREFIX
from smsform.api_schemas import (
    InputProblem,
    OptOutIn,
    OptOutOut,
    OptOutPage,
    OptOutQuery,
)
from smsform.errors import ApiError
from smsform.permissions import Permission, requires
from smsform.services import optouts
from smsform.services.optouts import Entry, OptOutError
from smsform.states import OptOutVia
from smsform.views import api
from smsform.views.util import acting_user, numbers_masked

bp = Blueprint("api_optouts", __name__, url_prefix=PREFIX)
bp.before_request(api.authenticate)

#: The API member each refusal of services.optouts belongs to.
_FIELDS = {"invalid_phone": "phone", "memo_too_long": "memo", "control_chars": "memo",
           "reason_required": "reason", "reason_too_long": "reason",
           "query_too_long": "q", "query_not_number": "q", "bad_page": "page"}


def _refused(exc: OptOutError) -> ApiError:
    """A service's refusal as a problem: 404 for a number not on the list, 403 for a part
    of a number asked by a token that sees numbers masked, else 400 beside its member."""
    text = messages.refusal_text(exc)
    if exc.code == "not_found":
        return ApiError(404, "not_found", text)
    if exc.code == "whole_number_only":
        return ApiError(403, "numbers_hidden", text)
    return api.refused_beside(_FIELDS.get(exc.code, "body"), text)


def _out(entry: Entry) -> dict[str, Any]:
    return OptOutOut(phone=entry.phone, opted_out_at=entry.at, via=entry.via, by=entry.by,
                     memo=entry.memo).model_dump(mode="json")


@bp.get("/optouts")
@requires(Permission.VIEW)
def list_optouts() -> Response:
    """A page of the opt-out list, newest first, searched by number."""
    query = api.query_args(OptOutQuery)
    masked = numbers_masked()
    try:
        page = optouts.search(optouts.parse_search(query.q, masked=masked), query.page,
                              masked=masked, per_page=query.limit)
    except OptOutError as exc:
        raise _refused(exc) from None
    return api.json_answer(OptOutPage(items=[OptOutOut(**_out(e)) for e in page.items],
                            total=page.total, page=page.page, pages=page.pages
                            ).model_dump(mode="json"))


@bp.post("/optouts")
@api.writable
@requires(Permission.EDIT_OPTOUTS)
def create_optout() -> Response:
    """Record an opt-out: 201 with it, or 200 with its first record when it was there."""
    body = api.json_body(OptOutIn)
    try:
        added = optouts.add(body.phone, via=OptOutVia.API, by=acting_user(), memo=body.memo)
    except OptOutError as exc:
        raise _refused(exc) from None
    return api.json_answer(_out(added.entry), 201 if added.new else 200)


@bp.delete("/optouts/<number>")
@api.writable
@requires(Permission.EDIT_OPTOUTS)
def delete_optout(number: str) -> Response:
    """Take a number off the list; ``reason`` (query) is required. 204."""
    reasons = request.args.getlist("reason")
    if len(reasons) > 1:
        raise api.invalid([InputProblem("reason", "repeated")])
    try:
        optouts.remove(number, reason=reasons[0] if reasons else "", by=acting_user())
    except OptOutError as exc:
        raise _refused(exc) from None
    return Response(status=204)
