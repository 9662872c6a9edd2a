"""Sign-in, sign-out and the one-time creation of the first administrator."""

from __future__ import annotations

import secrets
from functools import cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from smsform.extensions import db
from smsform.forms import LoginForm, SetupForm
from smsform.i18n import t
from smsform.models import User
from smsform.views.util import safe_next

bp = Blueprint("auth", __name__)


@cache
def _dummy_hash() -> str:
    """A hash of nothing in particular, made with the same method as real ones."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    secret = secrets.token_hex(16)
    return generate_password_hash(secret, method=method) if method else (
        generate_password_hash(secret))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in with a username and password."""
    if db.session.query(User.id).first() is None:
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).filter_by(username=form.username.data.strip())).scalar_one_or_none()
        if user is None:
            # Spend the same time as a real check, so timing does not tell who exists.
            check_password_hash(_dummy_hash(), form.password.data)
        elif user.check_password(form.password.data):
            session.clear()
            session["user_id"] = user.id
            return redirect(safe_next(request.args.get("next")) or url_for("send.smsform"))
        flash(t("아이디 또는 비밀번호가 맞지 않습니다.", "Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out."""
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """Create the first administrator; gone once any account exists."""
    if db.session.query(User.id).first() is not None:
        if g.get("user") is None:
            return redirect(url_for("auth.login"))
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = User(username=form.username.data.strip(), role="admin")
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.commit()
        session.clear()
        session["user_id"] = user.id
        flash(t("관리자 계정을 만들었습니다.", "Administrator account created."), "success")
        return redirect(url_for("send.smsform"))
    return render_template("auth/setup.html", form=form), 400 if form.errors else 200
