"""``/templates``: the team's saved texts (list, new, edit, delete) and the send form's
chooser list (``/templates.json``). Rules and the audit are ``services.templates``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from cafe24 import message
from smsform import messages
from smsform.forms import TemplateForm
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import templates
from smsform.services.templates import SavedText, TemplateError
from smsform.views.util import acting_user

bp = Blueprint("templates", __name__)

TIME_FORMAT = "yyyy-MM-dd HH:mm"
#: Which form field each refusal of services.templates belongs to.
_ERROR_FIELDS = {"name_invalid": "name", "name_taken": "name", "kind_invalid": "kind",
                 "sms_too_long": "kind"}
#: The form's field of each of the library's problem fields.
_PROBLEM_FIELDS = {"msg": "text", "subject": "subject"}


def kind_text(kind: str) -> str:
    """A template's kind in words."""
    words = {"auto": _("Auto"), "sms": _("SMS"), "lms": _("LMS")}
    return words.get(kind, kind)


def placeholders(saved: SavedText) -> list[str]:
    """Its merge fields as written in the text (``{name}``)."""
    return ["{" + name + "}" for name in saved.fields]


def row(saved: SavedText) -> dict[str, Any]:
    """A template as the pages show it (times in Korea time)."""
    problems = saved.problems()
    return {
        "id": saved.id, "name": saved.name, "text": saved.text, "subject": saved.subject,
        "kind": kind_text(saved.kind), "message_kind": saved.message_kind,
        "length": f"{saved.length:,}",
        "limit": "{:,}".format(message.SMS_LIMIT if saved.message_kind == "S"
                               else message.LMS_LIMIT),
        "fields": placeholders(saved), "names": message.NAME_PLACEHOLDER in placeholders(saved),
        "advertising": saved.advertising,
        "updated_at": format_datetime(saved.updated_at, TIME_FORMAT),
        "updated_by": saved.updated_by, "created_by": saved.created_by,
        "problems": [messages.problem_text(p) for p in problems],
        "use_url": url_for("send.smsform", template=saved.id),
    }


def choice(saved: SavedText) -> dict[str, Any]:
    """A template as the send form's chooser fills the form with it."""
    return {"id": saved.id, "name": saved.name, "text": saved.text, "subject": saved.subject,
            "kind": saved.kind, "lms": saved.lms, "advertising": saved.advertising,
            "fields": placeholders(saved)}


# -- the send form opened with ?template=ID ---------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """The send form opened with ``?template=ID``: the id as given and the template (None:
    there is none). Part of the opened form's page cache key (views/send.py), so a changed
    template is a new key and never an old page."""

    ref: str
    saved: SavedText | None


def opening(args: MultiDict[str, str]) -> tuple[MultiDict[str, str] | None, Opening | None]:
    """The send form's GET values, with ``?template=ID``'s text, subject, kind (LMS) and
    advertising switch in place of any given; a plain open (no ``template``) looks nothing
    up and gives ``args`` as they are."""
    ref = args.get("template")
    if ref is None:
        return (args or None), None
    ref = ref.strip()[:20]
    known = ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID
    saved = templates.get(int(ref)) if known else None
    if saved is None:
        return args, Opening(ref, None)
    data = MultiDict(args)
    data.setlist("msg", [saved.text])
    data.setlist("subject", [saved.subject])
    data.setlist("smsType", ["L"] if saved.lms else [])
    data.setlist("advertising", ["Y"] if saved.advertising else [])
    return data, Opening(ref, saved)


def form_context(chosen: Opening | None) -> dict[str, Any]:
    """What the send form's chooser (templates/send/_templates.html) says of ``chosen``."""
    if chosen is None:
        return {}
    if chosen.saved is None:
        return {"template_missing": messages.refusal_text(
            TemplateError("not_found", ref=chosen.ref))}
    return {"template_chosen": choice(chosen.saved)}


def _found(template_id: int) -> SavedText:
    saved = templates.get(template_id) if template_id <= MAX_ID else None
    if saved is None:
        abort(404)
    return saved


@bp.route("/templates")
@requires(Permission.VIEW)
def index() -> Any:
    """Every template, with its merge fields, bytes and who last changed it."""
    return render_template("templates/index.html",
                           rows=[row(t) for t in templates.list_all()],
                           may_edit=current_user.can(Permission.MANAGE_TEMPLATES),
                           may_send=current_user.can(Permission.SEND))


@bp.route("/templates.json")
@requires(Permission.SEND)
def choices() -> dict[str, Any]:
    """The send form's chooser: every template with what it fills in."""
    return {"templates": [choice(t) for t in templates.list_all()]}


def _refused(form: TemplateForm, exc: TemplateError) -> None:
    """Put a refusal beside its field: each problem of the text beside text or subject."""
    if exc.code == "text_invalid":
        for problem in exc.problems:
            field = getattr(form, _PROBLEM_FIELDS.get(problem.field, "text"))
            field.errors = [*field.errors, messages.problem_text(problem)]
        return
    field = getattr(form, _ERROR_FIELDS.get(exc.code, "name"))
    field.errors = [*field.errors, messages.refusal_text(exc)]


def _values(form: TemplateForm) -> dict[str, Any]:
    return {"subject": form.subject.data or "", "kind": form.kind.data or "auto",
            "advertising": bool(form.advertising.data)}


def _edit_page(form: TemplateForm, saved: SavedText | None, status: int = 200):
    return render_template("templates/edit.html", form=form,
                           saved=row(saved) if saved else None,
                           name_placeholder=message.NAME_PLACEHOLDER), status


@bp.route("/templates/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TEMPLATES)
def new() -> Any:
    """Save a new template (its text judged as a send's)."""
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            saved = templates.create(form.name.data or "", form.text.data or "",
                                     **_values(form), by=acting_user())
        except TemplateError as exc:
            _refused(form, exc)
        else:
            return _back_saved(saved)
    return _edit_page(form, None, 400 if _has_errors(form) else 200)


def _back_saved(saved: SavedText) -> Any:
    """After a save: the list, saying so."""
    flash(_("Template %(name)s saved.", name=saved.name), "success")
    return redirect(url_for("templates.index"), 303)


def _has_errors(form: TemplateForm) -> bool:
    return any(field.errors for field in form)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TEMPLATES)
def edit(template_id: int) -> Any:
    """Change a template."""
    saved = _found(template_id)
    form = TemplateForm(data={"name": saved.name, "text": saved.text, "subject": saved.subject,
                              "kind": saved.kind, "advertising": saved.advertising})
    if form.validate_on_submit():
        try:
            changed = templates.change(template_id, form.name.data or "",
                                       form.text.data or "", **_values(form), by=acting_user())
        except TemplateError as exc:
            if exc.code == "not_found":
                abort(404)
            _refused(form, exc)
        else:
            return _back_saved(changed)
    return _edit_page(form, saved, 400 if _has_errors(form) else 200)


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
@requires(Permission.MANAGE_TEMPLATES)
def delete(template_id: int) -> Any:
    """Ask, then delete a template (the send log keeps what was sent with it)."""
    saved = _found(template_id)
    form = TemplateForm()
    if form.is_submitted():
        try:
            templates.remove(template_id, by=acting_user())
        except TemplateError:
            abort(404)
        flash(_("Template %(name)s deleted.", name=saved.name), "success")
        return redirect(url_for("templates.index"), 303)
    return render_template("templates/delete.html", saved=row(saved))
