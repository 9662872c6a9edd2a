"""Sign-in (throttled and audited), sign-out, the one-time first administrator, and
``/account``, where everyone changes their own password (and must, when an
administrator chose it)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.current import this_request, this_user
from smsform.errors import ApiError, on_expired_form, wants_json
from smsform.forms import AccountPasswordForm, LoginForm, SetupForm
from smsform.limiter import throttle
from smsform.login import BEARER_BLUEPRINTS, note_use
from smsform.permissions import requires
from smsform.services import accounts, audit
from smsform.views.util import safe_next

bp = Blueprint("auth", __name__)

#: Where a person with a password to change may still go.
MAY_GO_BEFORE_CHANGING = frozenset({"auth.account", "auth.logout", "auth.login", "static"})
#: Blueprints no person signs in to with a password (the relay's wire: sites with a key;
#: the API: bearer tokens, each its own credential, whose gate makes the token's user
#: current), so the check never loads a user for them.
NO_PEOPLE = frozenset({"relay", *BEARER_BLUEPRINTS})


def landing() -> str:
    """The page a signed-in person starts on: the dashboard, which every role may open."""
    return url_for("dashboard.index")


def _sign_in(user) -> None:
    """Start a fresh session for ``user`` (a new session id: no fixation)."""
    session.clear()
    login_user(accounts.signed_in(user))
    note_use()  # the idle timeout counts from here
    accounts.note_sign_in(user, request.remote_addr)


def _refuse_throttled(username: str, wait: int) -> None:
    """Audit the first refused attempt of the window and answer 429 with ``Retry-After``."""
    if throttle().first_refusal(username, request.remote_addr):
        audit.record("sign_in_throttled", actor=username[:64] or "-",
                     address=request.remote_addr, detail={"retry_after": wait})
    minutes = -(-wait // 60)
    raise ApiError(429, "too_many_sign_ins", ngettext(
        "Too many failed sign-ins. Try again in %(num)d minute.",
        "Too many failed sign-ins. Try again in %(num)d minutes.", minutes),
        headers={"Retry-After": str(wait)})


def _expired_login(message: str) -> tuple[str, int]:
    """The sign-in form again after a failed CSRF check, the name as typed."""
    flash(message, "error")
    return render_template("auth/login.html", form=LoginForm()), 400


@bp.route("/login", methods=["GET", "POST"])
@on_expired_form(_expired_login)
def login() -> str | Response | tuple[str, int]:
    """Sign in with a username and password (failures counted per name and address)."""
    if not accounts.has_users():
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if request.method == "POST":
        typed = (request.form.get("username") or "")[:200]
        wait = throttle().wait_seconds(typed, request.remote_addr)
        if wait:
            _refuse_throttled(typed, wait)
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            throttle().clear(form.username.data)
            _sign_in(user)
            return redirect(safe_next(request.args.get("next")) or landing())
        throttle().failed(form.username.data, request.remote_addr)
        audit.record("sign_in_failed", actor=form.username.data.strip()[:64] or "-",
                     address=request.remote_addr)
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out, ending every open session of the account (a copied cookie opens nothing)."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user.id)
        audit.record("sign_out", actor=current_user.username, actor_id=current_user.id,
                     address=request.remote_addr)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _setup_page(form: SetupForm, status: int) -> tuple[str, int]:
    return render_template("auth/setup.html", form=form,
                           min_password_length=accounts.MIN_PASSWORD_LENGTH), status


def _expired_setup(message: str) -> tuple[str, int] | None:
    """The set-up form again after a failed CSRF check (while there is no account yet)."""
    if accounts.has_users():
        return None
    flash(message, "error")
    form = SetupForm()
    form.password.data = form.password2.data = ""
    return _setup_page(form, 400)


@bp.route("/setup", methods=["GET", "POST"])
@on_expired_form(_expired_setup)
def setup() -> str | Response | tuple[str, int]:
    """Create the first administrator; once any account exists (also when several set-ups
    are posted at once: one statement makes the one administrator), it says set-up is done
    and leads to sign-in, or to the dashboard of whoever is signed in."""
    if accounts.has_users():
        flash(_("Set-up is done: the first administrator exists already."), "info")
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(landing())
    form = SetupForm()
    if not form.validate_on_submit():
        return _setup_page(form, 400 if form.errors else 200)
    try:
        user = accounts.create_first_admin(form.username.data, form.password.data,
                                           address=request.remote_addr)
    except accounts.AccountError as exc:
        form.username.errors = [*form.username.errors, messages.refusal_text(exc)]
        return _setup_page(form, 400)
    if user is None:  # another set-up was first
        flash(_("The administrator was already created; sign in."), "error")
        return redirect(url_for("auth.login"))
    _sign_in(user)
    flash(_("Administrator account created."), "success")
    return redirect(landing())


@bp.route("/account", methods=["GET", "POST"])
@requires()  # any signed-in person
def account() -> str | Response | tuple[str, int]:
    """Change one's own password (the current one first); the other sessions end."""
    form = AccountPasswordForm()
    if form.validate_on_submit():
        # The current password is guessed no faster here than at sign-in: the same count
        # (so ten wrong ones also hold the name's sign-ins off for the window).
        wait = throttle().wait_seconds(current_user.username, request.remote_addr)
        if wait:
            _refuse_throttled(current_user.username, wait)
        try:
            user = accounts.change_own_password(current_user.id, form.current.data,
                                                form.password.data,
                                                address=request.remote_addr)
        except accounts.AccountError as exc:
            if exc.code == "wrong_current_password":
                throttle().failed(current_user.username, request.remote_addr)
                audit.record("password_change_failed", actor=current_user.username,
                             actor_id=current_user.id, address=request.remote_addr)
            field = form.current if exc.code == "wrong_current_password" else form.password
            field.errors = [*field.errors, messages.refusal_text(exc)]
        else:
            login_user(accounts.signed_in(user))  # this session goes on, the others end
            flash(_("Your password was changed."), "success")
            return redirect(landing())
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form,
                           must_change=current_user.must_change_password,
                           min_password_length=accounts.MIN_PASSWORD_LENGTH), status


@bp.before_app_request
def must_change_password_first() -> Response | None:
    """Until a person changes a password an administrator chose, every page leads to
    /account (JSON callers get 403 ``password_change_required``)."""
    req = this_request()  # on every request: the object, not the proxy (smsform.current)
    if (req.endpoint in MAY_GO_BEFORE_CHANGING or req.endpoint is None
            or req.blueprint in NO_PEOPLE):
        return None
    user = this_user()  # looked up once
    if not (user.is_authenticated and user.must_change_password):
        return None
    if wants_json():
        raise ApiError(403, "password_change_required",
                       _("Change your password first, on the account page."))
    return redirect(url_for("auth.account"))
