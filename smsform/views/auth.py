"""Sign-in, sign-out and the one-time creation of the first administrator."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.forms import LoginForm, SetupForm
from smsform.services import accounts
from smsform.views.util import safe_next

bp = Blueprint("auth", __name__)


def _sign_in(user) -> None:
    """Start a fresh session for ``user`` (a new session id: no fixation)."""
    session.clear()
    login_user(accounts.SignedInUser(user.id, user.username, user.role))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Sign in with a username and password."""
    if not accounts.has_users():
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            _sign_in(user)
            return redirect(safe_next(request.args.get("next")) or url_for("send.smsform"))
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response | tuple[str, int]:
    """Create the first administrator; gone once any account exists."""
    if accounts.has_users():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.password.data, "admin")
        except accounts.AccountError as exc:
            form.username.errors = [*form.username.errors, messages.account_error_text(exc)]
            return render_template("auth/setup.html", form=form,
                                   min_password_length=accounts.MIN_PASSWORD_LENGTH), 400
        _sign_in(user)
        flash(_("Administrator account created."), "success")
        return redirect(url_for("send.smsform"))
    status = 400 if form.errors else 200
    return render_template("auth/setup.html", form=form,
                           min_password_length=accounts.MIN_PASSWORD_LENGTH), status
