"""``/account/tokens``: every signed-in person's own API tokens: made (shown once),
listed with their last use, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.forms import ApiTokenForm
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import accounts, api_tokens
from smsform.services.api_tokens import TokenError, TokenInfo
from smsform.views.util import acting_user

bp = Blueprint("account", __name__)


@dataclass(frozen=True)
class TokenRow:
    """One token as the page lists it (times already written for the reader)."""

    id: int
    name: str
    prefix: str
    created: str
    created_iso: str
    last_used: str | None
    revoked: str | None
    read_only: bool


def _row(token: TokenInfo) -> TokenRow:
    def shown(when):
        return format_datetime(when, "yyyy-MM-dd HH:mm") if when is not None else None

    return TokenRow(token.id, token.name, f"smsf_{token.prefix}_…", shown(token.created_at),
                    token.created_at.isoformat(timespec="seconds"), shown(token.last_used_at),
                    shown(token.revoked_at), token.read_only)


def _page(form: ApiTokenForm, issued: api_tokens.Issued | None = None,
          status: int = 200) -> tuple[str, int]:
    return render_template(
        "account/tokens.html", form=form, issued=issued,
        tokens=[_row(t) for t in api_tokens.list_tokens(current_user.id)],
        may_send=current_user.can(Permission.SEND)), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@requires()  # any signed-in person, for their own tokens
def tokens() -> Any:
    """List one's tokens; make a new one, shown on this answer only."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    owner = accounts.get_user(current_user.id)
    if owner is None:  # signed in a moment ago, yet gone (accounts are never deleted)
        abort(404)
    try:
        issued = api_tokens.create(owner, form.name.data, by=acting_user(),
                                   read_only=bool(form.read_only.data))
    except TokenError as exc:
        form.name.errors = [*form.name.errors, messages.refusal_text(exc)]
        return _page(form, status=400)
    return _page(ApiTokenForm(formdata=None), issued)


@bp.route(f"/account/tokens/<int(max={MAX_ID}):token_id>/revoke", methods=["POST"])
@requires()
def revoke(token_id: int) -> Response:
    """Revoke one of one's own tokens: it stops at once."""
    try:
        api_tokens.revoke(token_id, user_id=current_user.id, by=acting_user())
    except TokenError as exc:
        flash(messages.refusal_text(exc), "error")
    else:
        flash(_("The token was revoked: it no longer works."), "success")
    return redirect(url_for("account.tokens"), 303)
