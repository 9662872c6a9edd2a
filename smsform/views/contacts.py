"""The address book's pages (``/contacts``): search and pages, a contact by hand, an import
with its row report, the CSV export, and the groups. Admins and senders edit; viewers read
with numbers, names and memos masked (and may not search by number). Rules:
``services.contacts``; lists read by ``services.lists``."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.forms import ContactForm, ContactImportForm, GroupForm
from smsform.permissions import Permission, requires
from smsform.services import audit, contacts, lists
from smsform.services.contacts import ContactError, ContactView, Search
from smsform.services.lists import Choice, ListRefused
from smsform.views.csv_export import csv_stream
from smsform.views.util import acting_user, numbers_masked

bp = Blueprint("contacts", __name__)

#: How many of an import's left-out rows its page lists (the counts say how many in all).
REPORT_ROWS = 500
#: Which form field each refusal of services.contacts belongs to.
_ERROR_FIELDS = {"phone_invalid": "phone", "phone_taken": "phone", "name_too_long": "name",
                 "name_control_chars": "name", "memo_too_long": "memo",
                 "field_invalid": "fields", "too_many_fields": "fields",
                 "group_name_invalid": "groups"}


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


@bp.get("/contacts")
@requires(Permission.VIEW)
def index() -> Any:
    """The address book: a page of contacts, searched by number or name, in a group."""
    q = request.args.get("q", "").strip()[:100]
    group_id = _int_arg("group")
    masked = numbers_masked()
    page_errors: list[str] = []
    group = None
    if group_id is not None:
        try:
            group = contacts.get_group(group_id)
        except ContactError as exc:
            page_errors.append(messages.refusal_text(exc))
            group_id = None
    if masked and contacts.number_digits(q) is not None:
        page_errors.append(messages.contacts_number_search_text())
        q = ""
    result = contacts.search(Search(q=q, group_id=group_id, after=_int_arg("after")))
    items = [c.shown(masked) for c in result.items]
    next_url = (url_for("contacts.index", q=q or None, group=group_id,
                        after=result.next_after) if result.next_after else None)
    return render_template(
        "contacts/index.html", items=items, result=result, q=q, group=group,
        groups=contacts.list_groups(), next_url=next_url,
        first_url=url_for("contacts.index", q=q or None, group=group_id)
        if request.args.get("after") else None,
        page_errors=page_errors, can_edit=current_user.can(Permission.EDIT_CONTACTS),
        masked=masked)


def _form_refused(form: ContactForm, exc: ContactError) -> None:
    field = getattr(form, _ERROR_FIELDS.get(exc.code, "phone"))
    field.errors = [*field.errors, messages.refusal_text(exc)]


def _group_names(raw: str | None) -> list[str]:
    return [name for name in (part.strip() for part in (raw or "").split(",")) if name]


@bp.route("/contacts/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTACTS)
def new() -> Any:
    """Add a contact by hand."""
    form = ContactForm()
    if form.validate_on_submit():
        try:
            made = contacts.add_contact(
                form.phone.data or "", name=form.name.data or "", memo=form.memo.data or "",
                fields=contacts.parse_fields(form.fields.data),
                groups=_group_names(form.groups.data), by=acting_user())
        except ContactError as exc:
            _form_refused(form, exc)
        else:
            flash(_("%(phone)s is in the address book.", phone=made.phone), "success")
            return redirect(url_for("contacts.index"))
    return render_template("contacts/edit.html", form=form, contact=None), \
        400 if form.errors else 200


def _contact_or_404(contact_id: int) -> ContactView:
    try:
        return contacts.get_contact(contact_id)
    except ContactError:
        abort(404)


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTACTS)
def edit(contact_id: int) -> Any:
    """Change a contact."""
    contact = _contact_or_404(contact_id)
    form = ContactForm(data=None if request.method == "POST" else {
        "phone": contact.phone, "name": contact.name, "memo": contact.memo,
        "fields": contacts.format_fields(contact.fields), "groups": ", ".join(contact.groups)})
    if form.validate_on_submit():
        try:
            changed = contacts.update_contact(
                contact_id, phone=form.phone.data or "", name=form.name.data or "",
                memo=form.memo.data or "", fields=contacts.parse_fields(form.fields.data),
                groups=_group_names(form.groups.data), by=acting_user())
        except ContactError as exc:
            _form_refused(form, exc)
        else:
            flash(_("%(phone)s is saved.", phone=changed.phone), "success")
            return redirect(url_for("contacts.index"))
    return render_template("contacts/edit.html", form=form, contact=contact), \
        400 if form.errors else 200


@bp.post("/contacts/<int:contact_id>/delete")
@requires(Permission.EDIT_CONTACTS)
def delete(contact_id: int) -> Response:
    """Delete a contact (the send log keeps its sends to the number)."""
    contact = _contact_or_404(contact_id)
    contacts.delete_contact(contact_id, by=acting_user())
    flash(_("%(phone)s is deleted from the address book; the send log keeps its sends.",
            phone=contact.phone), "success")
    return redirect(url_for("contacts.index"))


@bp.route("/contacts/import", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTACTS)
def import_file() -> Any:
    """Import a list file (CSV/TSV, .xlsx, .xls) into a group, with its row report."""
    form = ContactImportForm()
    report = counts = None
    error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        filename = (upload.filename or "") if upload is not None else ""
        settings = current_app.extensions["smsform.settings"]
        choice = Choice((form.phone_column.data or "").strip() or None,
                        (form.name_column.data or "").strip() or None)
        try:
            report = lists.read_file(data, filename, lists.limits_of(settings), choice)
            counts = contacts.import_report(report, group=(form.group.data or "").strip()
                                            or None, update_names=bool(form.update_names.data),
                                            by=acting_user())
        except (ListRefused, ContactError) as exc:
            error = messages.refusal_text(exc)
            report = None
    status = 400 if error or form.errors else 200
    problems = report.problems[:REPORT_ROWS] if report is not None else []
    return render_template("contacts/import.html", form=form, report=report, counts=counts,
                           error=error, problems=problems,
                           problem_text=messages.row_problem_text,
                           kind_text=messages.list_kind_text), status


@bp.get("/contacts/export.csv")
@requires(Permission.VIEW)
def export() -> Response:
    """Every contact (or a group's) as CSV: UTF-8 with BOM, formula cells neutralised;
    masked for a viewer. Audited (who, which group, masked or not)."""
    group_id = _int_arg("group")
    masked = numbers_masked()
    header, rows = contacts.export_rows(group_id, masked=masked)
    audit.record_by("contacts_exported", acting_user(),
                    target=str(group_id) if group_id is not None else None,
                    detail={"masked": masked})
    return csv_stream("contacts.csv", header, rows)


@bp.route("/contacts/groups", methods=["GET", "POST"])
@requires(Permission.VIEW)
def groups() -> Any:
    """The groups and their sizes; adding one (admins and senders)."""
    form = GroupForm()
    can_edit = current_user.can(Permission.EDIT_CONTACTS)
    if request.method == "POST":
        if not can_edit:
            abort(403)
        if form.validate_on_submit():
            try:
                made = contacts.add_group(form.name.data or "", by=acting_user())
            except ContactError as exc:
                form.name.errors = [*form.name.errors, messages.refusal_text(exc)]
            else:
                flash(_("The group %(name)s is added.", name=made.name), "success")
                return redirect(url_for("contacts.groups"))
    return render_template("contacts/groups.html", form=form, groups=contacts.list_groups(),
                           can_edit=can_edit), 400 if form.errors else 200


@bp.get("/contacts/groups.json")
@requires(Permission.SEND)
def groups_json() -> Response:
    """The groups for the send form's chooser (static/js/form/contacts.js): id, name, size."""
    return jsonify({"groups": [{"id": g.id, "name": g.name, "count": g.count}
                               for g in contacts.list_groups()]})


@bp.get("/contacts/choices.json")
@requires(Permission.SEND)
def choices_json() -> Response:
    """Contacts for the send form's chooser: the first 20 matching ``q`` (a number or a
    name's beginning), each with its id, number, name and groups."""
    q = request.args.get("q", "").strip()[:100]
    page = contacts.search(Search(q=q, limit=20)) if q else None
    shown = [c.shown(numbers_masked()) for c in page.items] if page else []
    return jsonify({"contacts": [{"id": c.id, "phone": c.phone, "name": c.name,
                                  "groups": list(c.groups)} for c in shown],
                    "more": bool(page and page.next_after)})


@bp.app_context_processor
def _address_book_on_the_form() -> dict[str, Any]:
    """``chosen_groups()`` and ``chosen_contacts()`` for the send form's partial
    (send/_contacts.html): those a post, ``?group=ID`` or ``?contact=ID`` named, as they are
    now (no database read without one)."""

    def _ids(posted: str, opened: str) -> tuple[int, ...]:
        values = request.form.getlist(posted) if request.method == "POST" else \
            request.args.getlist(opened)
        return contacts.read_ids(values)

    def chosen_groups() -> list[contacts.GroupView]:
        ids = _ids("groups", "group")
        return contacts.groups_by_id(ids) if ids else []

    def chosen_contacts() -> list[ContactView]:
        ids = _ids("contacts", "contact")
        return contacts.contacts_by_id(ids) if ids else []

    return {"chosen_groups": chosen_groups, "chosen_contacts": chosen_contacts}


@bp.post("/contacts/groups/<int:group_id>/delete")
@requires(Permission.EDIT_CONTACTS)
def delete_group(group_id: int) -> Response:
    """Delete a group; its contacts stay."""
    try:
        group = contacts.delete_group(group_id, by=acting_user())
    except ContactError as exc:
        flash(messages.refusal_text(exc), "error")
    else:
        flash(_("The group %(name)s is deleted; its contacts stay in the address book.",
                name=group.name), "success")
    return redirect(url_for("contacts.groups"))
