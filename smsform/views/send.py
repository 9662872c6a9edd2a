"""The send form and its handler, under the sample's own names."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from cafe24 import message
from cafe24.errors import Cafe24Error
from smsform.forms import SendForm
from smsform.i18n import current_lang, t
from smsform.permissions import sender_required, wants_json
from smsform.services import gateway, sending, tokens
from smsform.views.util import gateway_failure_text, safe_return_url

bp = Blueprint("send", __name__)


def _senders() -> tuple[list[str], str | None]:
    """Registered sender numbers for the server-rendered select, or why there are none."""
    try:
        return gateway.gateway().senders(), None
    except Cafe24Error as exc:
        return [], gateway_failure_text(exc)


def _limits() -> dict[str, object]:
    return {"sms": message.SMS_LIMIT, "lms": message.LMS_LIMIT,
            "subject": message.SUBJECT_LIMIT, "cost": message.CREDIT_COST,
            "max_recipients": message.MAX_RECIPIENTS}


def _render_form(form: SendForm, status: int = 200, draft: sending.Draft | None = None):
    if not form.send_token.data:
        form.send_token.data = tokens.issue(g.user.id)
    senders, senders_error = _senders()
    return render_template("send/smsform.html", form=form, senders=senders,
                           senders_error=senders_error, limits=_limits(), draft=draft), status


@bp.route("/")
def index() -> Response:
    """The form is the home page."""
    return redirect(url_for("send.smsform"))


@bp.route("/smsform")
@sender_required
def smsform():
    """The send form (``smsform.html`` in the sample); GET values prefill it."""
    form = SendForm(formdata=request.args or None)
    form.send_token.data = tokens.issue(g.user.id)  # never one from the URL
    return _render_form(form)


def _invalid(form: SendForm, draft: sending.Draft | None):
    """Answer invalid input: 400, each problem next to its field, nothing sent."""
    lang = current_lang()
    if wants_json():
        errors: dict[str, list[str]] = {}
        for name, messages in form.errors.items():
            errors.setdefault(name, []).extend(str(m) for m in messages)
        for p in draft.problems if draft else []:
            errors.setdefault(p.field, []).append(p.en if lang == "en" else p.ko)
        summary = "; ".join(m for ms in errors.values() for m in ms)
        return jsonify(result="error", code="invalid", remaining=None,
                       message=t("입력값을 확인하세요: ", "Check your input: ") + summary,
                       errors=errors), 400
    for p in draft.problems if draft else []:
        form.add_problem(p.field, p.en if lang == "en" else p.ko)
    return _render_form(form, 400, draft)


def _repeated(claim: tokens.Claim):
    """A form that was already sent (double click, reload, back button) is not sent again."""
    lang = current_lang()
    if claim.reason == "used":
        previous = claim.outcome
        message = t("이 양식은 이미 보냈습니다. 중복 발송을 막기 위해 다시 보내지 않았습니다.",
                    "This form was already sent; it was not sent again.")
        status, code = 409, "duplicate"
    else:
        previous = None
        message = t("이 양식은 만료되었거나 쓸 수 없습니다. 양식을 새로 열어 주세요. "
                    "보내지 않았습니다.",
                    "This form has expired or is not valid; open a new one. Nothing was sent.")
        status, code = 400, "token_invalid"
    if wants_json():
        return jsonify(result="error", code=code, remaining=None, message=message,
                       previous=previous), status
    return render_template("send/repeated.html", message=message, previous=previous,
                           lang=lang), status


@bp.route("/smssend", methods=["POST"])
@sender_required
def smssend():
    """Validate, send once through the gateway, and say what happened."""
    form = SendForm()
    if not form.validate():
        return _invalid(form, None)
    draft = sending.build_request(request.form)
    if not draft.ok:
        return _invalid(form, draft)
    token = (form.send_token.data or "").strip()
    key = request.headers.get("Idempotency-Key")
    if not token and key is not None:
        token = tokens.from_key(key, g.user.id) or ""
        if not token:
            return jsonify(result="error", code="invalid_idempotency_key", remaining=None,
                           message=t("Idempotency-Key는 40자 이하의 글자여야 합니다.",
                                     "Idempotency-Key must be at most 40 printable "
                                     "characters.")), 400
    if token:
        claim = tokens.claim(token, g.user.id)
        if not claim.ok:
            return _repeated(claim)
    result = sending.send(draft.request, user=g.user.username, checked=True)
    if token:
        if result.certainly_not_sent:
            tokens.release(token)  # fix the problem and send the same form again
        else:
            tokens.finish(token, result.as_dict())
    lang = current_lang()
    if wants_json():
        return jsonify(result=result.result, code=result.code, remaining=result.remaining,
                       message=result.text(lang), outcome_unknown=result.outcome_unknown,
                       cost=draft.request.cost, kind=draft.request.kind,
                       recipients=draft.request.recipient_count), result.http_status
    return_url = safe_return_url(form.returnurl.data)
    if result.result != "error" and form.nointeractive.data == "1":
        # The sample's "no dialog on success": go straight on.
        if return_url:
            return redirect(return_url, 303)
        flash(result.text(lang), "success")
        return redirect(url_for("send.smsform"), 303)
    return render_template(
        "send/result.html", result=result, draft=draft, return_url=return_url,
        return_url_refused=bool(form.returnurl.data) and not return_url,
    ), result.http_status
