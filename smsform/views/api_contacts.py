"""``/api/v1/contacts`` and ``/api/v1/groups``: the address book through the token API,
with the same tokens, rate, problems and language as ``views/api.py`` (its
``authenticate`` runs first). Reading takes ``Permission.VIEW`` (numbers, names and memos
masked for a user who sees numbers masked, who may not search by number either); writing
takes ``Permission.EDIT_CONTACTS`` and a token that is not read-only. Rules:
``services.contacts``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from smsform import messages
from smsform.api_openapi import PREFIX
from smsform.api_schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ContactQuery,
    GroupList,
    GroupOut,
)
from smsform.errors import ApiError
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import contacts
from smsform.services.contacts import ContactError, ContactView, Search
from smsform.views import api
from smsform.views.util import acting_user, numbers_masked

bp = Blueprint("api_contacts", __name__, url_prefix=PREFIX)
bp.before_request(api.authenticate)

#: The API member each refusal of services.contacts belongs to.
_FIELDS = {"phone_invalid": "phone", "phone_taken": "phone", "name_too_long": "name",
           "name_control_chars": "name", "memo_too_long": "memo", "field_invalid": "fields",
           "too_many_fields": "fields", "group_name_invalid": "groups"}


def _refused(exc: ContactError) -> ApiError:
    """A service's refusal as a problem: 404 for what is not there, 409 for a number that
    has a contact, else 400 beside its member."""
    text = messages.refusal_text(exc)
    if exc.code in ("no_such_contact", "no_such_group"):
        return ApiError(404, "not_found", text)
    if exc.code == "phone_taken":
        return ApiError(409, "phone_taken", text, fields={"phone": [text]})
    return api.refused_beside(_FIELDS.get(exc.code, "body"), text)


def _out(contact: ContactView) -> dict[str, Any]:
    shown = contact.shown(numbers_masked())
    return ContactOut(id=shown.id, phone=shown.phone, name=shown.name, memo=shown.memo,
                      fields=shown.fields, groups=list(shown.groups),
                      created_at=shown.created_at, updated_at=shown.updated_at
                      ).model_dump(mode="json")


def _contact(contact_id: int) -> ContactView:
    if contact_id > MAX_ID:
        # As written (a number past any id is too large for the locale's number format).
        raise ApiError(404, "not_found", messages.refusal_text(
            ContactError("no_such_contact", id=str(contact_id))))
    try:
        return contacts.get_contact(contact_id)
    except ContactError as exc:
        raise _refused(exc) from None


@bp.get("/contacts")
@requires(Permission.VIEW)
def list_contacts() -> Response:
    """A page of the address book, searched by number or name, in a group."""
    query = api.query_args(ContactQuery)
    if numbers_masked() and contacts.number_digits(query.q) is not None:
        raise ApiError(403, "numbers_hidden", messages.contacts_number_search_text())
    page = contacts.search(Search(q=query.q, group_id=query.group, after=query.cursor,
                                  limit=query.limit))
    return api.json_answer(ContactPage(items=[ContactOut(**_out(c)) for c in page.items],
                             total=page.total, total_capped=page.capped,
                             next_cursor=page.next_after).model_dump(mode="json"))


@bp.post("/contacts")
@api.writable
@requires(Permission.EDIT_CONTACTS)
def create_contact() -> Response:
    """Add a contact; 201 with it and its address."""
    body = api.json_body(ContactIn)
    try:
        made = contacts.add_contact(body.phone, name=body.name, memo=body.memo,
                                    fields=body.fields, groups=body.groups, by=acting_user())
    except ContactError as exc:
        raise _refused(exc) from None
    return api.json_answer(_out(made), 201,
                 Location=url_for("api_contacts.get_contact", contact_id=made.id))


@bp.get("/contacts/<int:contact_id>")
@requires(Permission.VIEW)
def get_contact(contact_id: int) -> Response:
    """One contact."""
    return api.json_answer(_out(_contact(contact_id)))


@bp.patch("/contacts/<int:contact_id>")
@api.writable
@requires(Permission.EDIT_CONTACTS)
def patch_contact(contact_id: int) -> Response:
    """Change the members given of a contact."""
    _contact(contact_id)
    body = api.json_body(ContactPatch)
    try:
        changed = contacts.update_contact(
            contact_id, phone=body.phone, name=body.name, memo=body.memo, fields=body.fields,
            groups=body.groups, by=acting_user())
    except ContactError as exc:
        raise _refused(exc) from None
    return api.json_answer(_out(changed))


@bp.delete("/contacts/<int:contact_id>")
@api.writable
@requires(Permission.EDIT_CONTACTS)
def delete_contact(contact_id: int) -> Response:
    """Delete a contact (the send log keeps its sends); 204."""
    _contact(contact_id)
    contacts.delete_contact(contact_id, by=acting_user())
    return Response(status=204)


@bp.get("/groups")
@requires(Permission.VIEW)
def list_groups() -> Response:
    """Every group with its size."""
    return api.json_answer(GroupList(items=[GroupOut(id=g.id, name=g.name, count=g.count)
                                  for g in contacts.list_groups()]).model_dump(mode="json"))
