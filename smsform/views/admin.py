"""Administrators' pages: staff accounts (/admin/users) and the audit trail (/audit).

Every change goes through ``services.accounts``, which audits it and ends the sessions it
must; users are disabled, never deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from cafe24.schedule import KST
from smsform import messages
from smsform.errors import ApiError, wants_json
from smsform.forms import AddUserForm, AuditFilterForm, ResetPasswordForm, RoleForm
from smsform.ids import MAX_ID
from smsform.permissions import ROLES, Permission, requires
from smsform.services import accounts, audit
from smsform.services.query_args import FilterError
from smsform.views.paging import pager
from smsform.views.util import acting_user

bp = Blueprint("admin", __name__)

TIME_FORMAT = "yyyy-MM-dd HH:mm"


@dataclass(frozen=True)
class UserRow:
    """One account as the list shows it."""

    id: int
    username: str
    role: str
    role_text: str
    active: bool
    must_change_password: bool
    last_sign_in: str | None
    last_sign_in_iso: str | None
    is_me: bool


def _when(stored: datetime | None) -> str | None:
    """A stored (naive UTC) time in Korea time, for a person."""
    return format_datetime(stored, TIME_FORMAT) if stored else None


def _row(user: Any) -> UserRow:
    at = user.last_login_at
    return UserRow(user.id, user.username, user.role, messages.role_text(user.role),
                   user.active, user.must_change_password, _when(at),
                   at.replace(tzinfo=UTC).astimezone(KST).isoformat() if at else None,
                   user.id == current_user.id)


def _users_page(form: AddUserForm, status: int = 200) -> tuple[str, int]:
    roles = [(role, messages.role_text(role)) for role in ROLES]
    return render_template("admin/users.html", form=form,
                           users=[_row(u) for u in accounts.list_users()], roles=roles,
                           min_password_length=accounts.MIN_PASSWORD_LENGTH), status


def _refuse(message: str, code: str) -> tuple[str, int]:
    """A refused change: 400, in JSON or on the list with the reason on top."""
    if wants_json():
        raise ApiError(400, code, message)
    flash(message, "error")
    return _users_page(AddUserForm(formdata=None), 400)


def _target(user_id: int) -> Any:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _done(message: str) -> Response:
    if wants_json():
        return jsonify({"result": "ok", "message": message})
    flash(message, "success")
    if current_user.is_authenticated and current_user.can(Permission.MANAGE_USERS):
        return redirect(url_for("admin.users"))
    return redirect(url_for("auth.login"))


def _keep_my_session(user: Any) -> None:
    """After a change to one's own account, this session goes on with it (others end)."""
    if user.id == current_user.id and user.active:
        login_user(accounts.signed_in(user))


@bp.route("/admin/users", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def users() -> Any:
    """The accounts, and adding one (its first password must be changed at sign-in)."""
    form = AddUserForm()
    if request.method == "GET" and wants_json():
        return jsonify({"items": [asdict(_row(u)) for u in accounts.list_users()]})
    if form.validate_on_submit():
        try:
            user = accounts.add_user(form.username.data, form.password.data, form.role.data,
                                     must_change=True, by=acting_user())
        except accounts.AccountError as exc:
            form.username.errors = [*form.username.errors, messages.refusal_text(exc)]
        else:
            return _done(_("%(username)s was added; they choose their own password at "
                           "their first sign-in.", username=user.username))
    if form.errors and wants_json():
        raise ApiError(400, "invalid", _("The account could not be added."),
                       fields=form.errors)
    return _users_page(form, 400 if form.errors else 200)


@bp.route(f"/admin/users/<int(max={MAX_ID}):user_id>/role", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def role(user_id: int) -> Any:
    """Give an account another role; its sessions end."""
    user, form = _target(user_id), RoleForm()
    if not form.validate_on_submit():
        return _refuse(" ".join(form.role.errors), "unknown_role")
    try:
        changed = accounts.set_role(user, form.role.data, by=acting_user())
    except accounts.AccountError as exc:
        return _refuse(messages.refusal_text(exc), exc.code)
    _keep_my_session(user)
    if not changed:
        return _done(_("%(username)s already had that role.", username=user.username))
    return _done(_("%(username)s is now: %(role)s.", username=user.username,
                   role=messages.role_text(user.role)))


@bp.route(f"/admin/users/<int(max={MAX_ID}):user_id>/disable", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def disable(user_id: int) -> Any:
    """Disable an account (kept, never deleted); its sessions end."""
    user = _target(user_id)
    try:
        accounts.disable(user, by=acting_user())
    except accounts.AccountError as exc:
        return _refuse(messages.refusal_text(exc), exc.code)
    return _done(_("%(username)s is disabled and signed out.", username=user.username))


@bp.route(f"/admin/users/<int(max={MAX_ID}):user_id>/enable", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def enable(user_id: int) -> Any:
    """Let a disabled account sign in again."""
    user = _target(user_id)
    accounts.enable(user, by=acting_user())
    return _done(_("%(username)s may sign in again.", username=user.username))


@bp.route(f"/admin/users/<int(max={MAX_ID}):user_id>/password", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def password(user_id: int) -> Any:
    """Set someone's password; they must change it at their next sign-in."""
    user = _target(user_id)
    if user.id == current_user.id:
        return _refuse(_("Change your own password on the account page."), "own_password")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data, must_change=True, by=acting_user())
        return _done(_("The password of %(username)s was reset; they must change it at "
                       "their next sign-in.", username=user.username))
    if form.errors and wants_json():
        raise ApiError(400, "invalid", _("The password could not be set."), fields=form.errors)
    return render_template("admin/password.html", form=form, target=_row(user),
                           min_password_length=accounts.MIN_PASSWORD_LENGTH), (
        400 if form.errors else 200)


def _event_json(event: audit.Event) -> dict[str, Any]:
    return {"id": event.id, "at": event.at.isoformat(), "actor": event.actor,
            "action": event.action, "target": event.target, "detail": event.detail,
            "address": event.address}


def _page_url(query: audit.Query, page: int) -> str:
    args: dict[str, Any] = {"action": query.action, "actor": query.actor,
                            "from": query.start.isoformat() if query.start else None,
                            "to": query.end.isoformat() if query.end else None, "page": page}
    return url_for("admin.audit_trail", **{k: v for k, v in args.items() if v})


@bp.route("/audit")
@requires(Permission.VIEW_AUDIT)
def audit_trail() -> Any:
    """The audit trail, newest first, with filters and pages (JSON on request)."""
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("All actions"))] + [
        (a, messages.audit_action_text(a)) for a in audit.ACTIONS]
    try:
        query = audit.parse_query(request.args.to_dict(flat=False))
    except FilterError as exc:
        problems = messages.filter_problems(exc.problems)
        if wants_json():
            raise ApiError(400, exc.code, messages.refusal_text(exc),
                           fields=problems) from None
        others = []
        for name, words in problems.items():
            field = form.by_name(name)
            if field is not None:
                field.errors = words
            else:
                others.extend(words)
        return render_template("admin/audit.html", form=form, result=None,
                               problems=others), 400
    result = audit.search(query)
    if wants_json():
        return jsonify({"items": [_event_json(e) for e in result.events],
                        "total": result.total, "page": result.page, "pages": result.pages})
    rows = [(e, messages.audit_action_text(e.action), messages.audit_detail_text(e.detail))
            for e in result.events]
    return render_template(
        "admin/audit.html", form=form, result=result, rows=rows,
        paging=pager(result.page, result.pages, lambda n: _page_url(query, n)))
