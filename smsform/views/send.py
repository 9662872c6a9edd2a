"""The send form and its handler, under the sample's own names.

The handler reads the form, hands the request to ``sending.submit`` and maps the typed
result to a page or a JSON body in one place (``_answer``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from cafe24.errors import Cafe24Error, InvalidRequest
from cafe24.phone import normalize_phone, split_sender
from smsform import form_guard, messages
from smsform.current import this_user
from smsform.errors import ApiError, after_send, on_expired_form, wants_json
from smsform.forms import SendForm
from smsform.permissions import Permission, requires
from smsform.services import contacts, form_input, gateway, optouts, sending, tokens
from smsform.services.sending import SendKey, SendOrder, SendResult, Status
from smsform.views import embed, result_page
from smsform.views import templates as saved_texts
from smsform.views.form_config import form_config, form_config_and_key, known_credit
from smsform.views.page_cache import PageCache, csrf_token, csrf_token_as
from smsform.views.util import failure_detail, safe_return_url

bp = Blueprint("send", __name__)
bp.app_context_processor(embed.page_context)  # ``embed=1``: every page on embed.html

#: The HTTP status of each ending: 2xx only when the gateway took the send.
HTTP_STATUS = {
    Status.SUCCESS: 200, Status.RESERVED: 200, Status.TEST: 200,
    Status.REFUSED: 422, Status.NOT_SENT: 503, Status.UNKNOWN: 502,
    Status.INVALID: 400, Status.DUPLICATE: 409, Status.IN_FLIGHT: 409,
    Status.TOKEN_INVALID: 400, Status.KEY_INVALID: 400, Status.KEY_MISMATCH: 422,
    Status.OVER_LIMIT: 429, Status.CREDIT_SHORT: 422,
}

#: The endings in which nothing was sent because of the token or key itself.
_KEY_ENDINGS = (Status.DUPLICATE, Status.IN_FLIGHT, Status.TOKEN_INVALID, Status.KEY_INVALID,
                Status.KEY_MISMATCH)
#: The endings after which the form never comes back filled in: the send may have gone
#: out (unknown), or it went out before under this token or key.
_NOT_REOPENED = (Status.UNKNOWN, Status.DUPLICATE, Status.IN_FLIGHT, Status.KEY_INVALID,
                 Status.KEY_MISMATCH)


def _reopens(result: SendResult) -> bool:
    """True when the person gets the form back with everything typed: every ending in which
    nothing was sent (a refusal, the gateway not reached, an expired token...) and the log
    kept it so (a refusal the log could not record keeps its token: the page says so)."""
    return (not result.status.accepted and result.status not in _NOT_REOPENED
            and result.outcome_logged)


def _senders() -> tuple[list[str], str | None]:
    """Registered sender numbers for the server-rendered select, or why there are none."""
    try:
        return gateway.gateway().senders(), None
    except Cafe24Error as exc:
        return [], messages.gateway_failure_text(exc)


def _usual_sender(senders: list[str], last_sender: str | None) -> str:
    """The number to start on: the only one, else the user's last, while it is registered."""
    if len(senders) == 1:
        return senders[0]
    last = normalize_phone(last_sender or "")
    return next((s for s in senders if last and normalize_phone(s) == last), "")


def _sender_choice(form: SendForm, senders: list[str],
                   last_sender: str | None = None) -> tuple[str, tuple[str, str, str]]:
    """The number the select shows (the form's, else the only one or the user's last) and
    its sphone1..3 parts (as typed when the number is not one: the page shows what was
    posted)."""
    typed = (form.sphone1.data or "", form.sphone2.data or "", form.sphone3.data or "")
    chosen = (form.sphone.data or "-".join(p for p in typed if p)).strip()
    if not chosen:
        chosen = _usual_sender(senders, last_sender)
    number = normalize_phone(chosen)
    if number is None:
        return chosen, typed
    parts = [*split_sender(number), "", ""]
    return chosen, (parts[0], parts[1], parts[2])


#: The opened send form, per person, language and URL (views/page_cache.py).
FORM_PAGES = "smsform.form_pages"
_FORM = "send/smsform.html"


@bp.record_once
def _keep_form_pages(state) -> None:
    state.app.extensions[FORM_PAGES] = PageCache()
    result_page.keep(state.app)


def _render_form(form: SendForm, status: int = 200, draft: form_input.Draft | None = None,
                 **context: Any):
    if not form.send_token.data:
        form.send_token.data = tokens.issue(current_user.id)
    senders, senders_error = _senders()
    if draft is not None and "shown" not in context:
        context["shown"] = result_page.reading(draft)
    return render_template(_FORM, **_form_context(form, senders, senders_error, draft,
                                                  form_config(), known_credit()),
                           **context), status


def _form_context(form: SendForm, senders: list[str], senders_error: str | None,
                  draft: form_input.Draft | None, config: dict[str, Any],
                  credit: str) -> dict[str, Any]:
    chosen, parts = _sender_choice(form, senders, current_user.last_sender)
    return {"form": form, "senders": senders, "senders_error": senders_error,
            "sender_choice": chosen, "sender_parts": parts, "draft": draft,
            "form_config": config, "known_credit": credit}


def _new_form(send_token: str, opened: tuple[Any, saved_texts.Opening | None] | None = None
              ) -> tuple[SendForm, dict[str, Any]]:
    """The opened form, prefilled from the GET values (``?template=ID``: its text, subject
    and kind; ``opened``: ``saved_texts.opening`` already asked), and what the template
    chooser says; a plain open looks nothing up."""
    formdata, chosen = opened or saved_texts.opening(request.args)
    form = SendForm(formdata=formdata)
    form.send_token.data = send_token
    return form, saved_texts.form_context(chosen)


def _opened_form(send_token: str) -> str:
    """The opened form from the page cache: the same bytes as ``_render_form`` with this
    request's CSRF and send tokens (the form itself is made only to render it). The key is
    everything the page shows: the URL (the language switch, ``embed``, prefilled fields),
    the language, the person (name, role, session, last sender), the sender list, the
    script's config and, opened with ``?template=ID``, that template as it is now."""
    user = this_user()  # one look-up, not five
    senders, senders_error = _senders()
    config, config_key = form_config_and_key()
    opened = saved_texts.opening(request.args)
    key = (_FORM, str(get_locale()), request.full_path, user.get_id(), user.username,
           user.role, user.last_sender, tuple(senders), senders_error,
           config_key, opened[1])

    def render(marks: Mapping[str, str]) -> str:
        form, chooser = _new_form(marks["send_token"], opened)
        with csrf_token_as(marks["csrf"]):
            return render_template(_FORM, **_form_context(form, senders, senders_error, None,
                                                          config, marks["known_credit"]),
                                   **chooser)

    pages: PageCache = current_app.extensions[FORM_PAGES]
    return pages.render(key, render, {"csrf": csrf_token(), "send_token": send_token,
                                      "known_credit": known_credit()})


@bp.route("/smsform")
@requires(Permission.SEND)
def smsform():
    """The send form (``smsform.html`` in the sample); GET values prefill it (never the send
    token: a new one each time). Without a message flashed for it, from the page cache."""
    token = tokens.issue(current_user.id)
    if "_flashes" in session or "group" in request.args or "contact" in request.args:
        # ?group=ID, ?contact=ID: their names as they are now, never from the page cache
        form, opened = _new_form(token)
        return _render_form(form, **opened)
    return _opened_form(token)


def _expired_form(message: str):
    """After a failed CSRF check: the form again with what was typed and fresh tokens
    (nothing was sent), for a user who may send; else None (the error page)."""
    if not current_user.is_authenticated or not current_user.can(Permission.SEND):
        return None
    form = SendForm()
    form.send_token.data = None  # a fresh one: the posted value was never checked
    flash(message, "error")
    return _render_form(form, 400)


@bp.route("/smssend", methods=["POST"])
@on_expired_form(_expired_form)
@requires(Permission.SEND)
def smssend():
    """Validate, send once through the gateway, and say what happened. The WTForm is made
    only for a page that shows the form again (its one rule, smsType's, is checked here
    as it checks it; the library judges everything else)."""
    posted = request.form
    form_guard.refuse_repeated(_posted_names())
    if not _sms_type_valid(posted.get("smsType")):
        form = SendForm()
        form.validate()
        return _invalid(form, None, ())
    draft = form_input.build_request(posted)
    key = (SendKey.form_token(posted.get("send_token"))
           or SendKey.header(request.headers.get("Idempotency-Key")))
    as_json = wants_json()
    actor = sending.Actor(current_user.id, current_user.username,
                          "json" if as_json else "form", request.remote_addr)
    groups = contacts.read_ids(request.form.getlist("groups"))
    chosen = contacts.read_ids(request.form.getlist("contacts"))
    problems = tuple(p for p in draft.problems if not (groups or chosen)
                     or p.code not in contacts.PLACEHOLDER_CODES)
    result = after_send(sending.submit(SendOrder(draft.request, actor, key,
                                                 input_problems=problems, groups=groups,
                                                 contacts=chosen,
                                                 advertising=draft.advertising)))
    return _answer(draft, result, as_json)


@cache
def _posted_names() -> tuple[str, ...]:
    """The fields a send form posts once each (its own and the CSRF token)."""
    return (*(field.name for field in SendForm()), "csrf_token")


#: SendForm.smsType's rule: Optional() then Regexp (``$`` as ``re.match`` reads it).
_SMS_TYPE = re.compile(r"^[SLsl]?$")


def _sms_type_valid(value: str | None) -> bool:
    """What ``SendForm().validate()`` says of the posted smsType."""
    return not value or not value.strip() or _SMS_TYPE.match(value) is not None


def _answer(draft: form_input.Draft, result: SendResult, as_json: bool):
    """The one place a send's result becomes an HTTP answer (its facts from the request as
    sent: an advertisement's text is built by the send service); ``as_json``: the caller
    prefers JSON."""
    status = HTTP_STATUS[result.status]
    if result.status is Status.NOT_SENT and isinstance(result.error, InvalidRequest):
        status = 400  # our client refused it: the request, not the gateway, is at fault
    if result.status is Status.INVALID:
        return _invalid(SendForm(), draft, result.problems)
    if result.status in _KEY_ENDINGS and not (result.status is Status.TOKEN_INVALID
                                              and not as_json):
        return _not_sent_again(result, status)

    def words() -> str:
        """What became of the send, in a sentence (an accepted send's page says what comes
        next instead: only JSON, a frame and a flash need it)."""
        return (messages.not_sent_again_text(result) if result.status is Status.TOKEN_INVALID
                else messages.send_result_text(result))

    if as_json:
        return _json_answer(draft, result, words(), status)
    # Under the heading, what comes next for an accepted send, not the heading again.
    if result.status.accepted:
        page_text = result_page.next_step_text(result)
    else:
        page_text = words()
        if _reopens(result):
            return _reopen(SendForm(), draft, result, page_text, status)
    asked_return = request.form.get("returnurl")
    return_url = safe_return_url(asked_return)
    # Straight on only when all went well: a send the log could not keep shows its warning.
    go_on = (result.status.accepted and request.form.get("nointeractive") == "1"
             and result.outcome_logged)
    embedded = embed.requested()
    if go_on and not embedded:
        # The sample's "no dialog on success": go straight on (in a frame, embed.js does,
        # after telling the parent).
        if return_url:
            return redirect(return_url, 303)
        flash(words(), "success")
        return redirect(url_for("send.smsform"), 303)
    framed = (embed.result_context(result, result.request, page_text if not
                                   result.status.accepted else words(), return_url, go_on)
              if embedded else {})
    return result_page.render(
        result, draft, page_text, result_page.code_text(result.status.value, result.code),
        return_url, bool(asked_return) and not return_url, framed), status


def _json_answer(draft: form_input.Draft, result: SendResult, text: str, status: int):
    """A send's result for a caller that prefers JSON: its facts, an error body when it
    was not accepted."""
    if result.status is Status.CREDIT_SHORT:
        _credit_short(result, draft, text, status)
    facts = {"remaining": result.remaining, "outcome_unknown": result.status is
             Status.UNKNOWN, "cost": result.cost, "forecast": result.request.cost,
             "kind": result.request.kind,
             "recipients": result.request.recipient_count, "send_id": result.send_id,
             "logged": result.outcome_logged,
             **_optout_facts(result)}
    if not result.status.accepted:
        raise ApiError(status, result.code or result.status.value, text, extra=facts)
    return {"result": result.status.value, "code": result.code, "message": text,
            **facts}, status


def _optout_facts(result: SendResult) -> dict[str, Any]:
    """The opt-out list's facts for a JSON answer: the numbers an advertisement left out,
    and how many opted-out numbers the send concerned (as its log row keeps them)."""
    values = optouts.log_values(result.excluded, result.notices)
    return {"excluded": values.get("excluded", []), "opted_out": values.get("opted_out", 0)}


def _reopen(form: SendForm, draft: form_input.Draft, result: SendResult, text: str,
            status: int):
    """Nothing was sent: the form again with everything typed and a fresh one-time token
    (the used one is never reused), the outcome above it; a parent frame is told too."""
    form.send_token.data = None
    ending = ("not_sent" if result.status in (Status.TOKEN_INVALID, Status.CREDIT_SHORT)
              else result.status.value)
    return _render_form(
        form, status, draft, reopened=True, result=result,
        shown=result_page.shown(result, draft, text,
                                messages.result_code_text(ending, result.code)),
        **embed.result_context(result, result.request, text, None, False))


def _credit_short(result: SendResult, draft: form_input.Draft, text: str, status: int):
    """The cost passes the credit known: JSON callers get the numbers (needed, credit,
    shortfall) beside the send's facts."""
    [problem] = result.problems
    raise ApiError(status, Status.CREDIT_SHORT.value, text, extra={
        **problem.params, "remaining": None, "cost": 0, "forecast": result.request.cost,
        "kind": result.request.kind, "recipients": result.request.recipient_count,
        "send_id": result.send_id})


def _invalid(form: SendForm, draft: form_input.Draft | None, problems) -> Any:
    """Invalid input: 400, each problem beside its field, nothing sent."""
    fields: dict[str, list[str]] = {}
    for name, errors in form.errors.items():
        fields.setdefault(name, []).extend(str(e) for e in errors)
    for problem in problems:
        text = messages.problem_text(problem)
        fields.setdefault(problem.field, []).append(text)
        form.add_problem(problem.field, text)
    if wants_json():
        summary = "; ".join(m for ms in fields.values() for m in ms)
        raise ApiError(400, "invalid", messages.check_input_text(summary), fields=fields,
                       extra={"remaining": None})
    return _render_form(form, 400, draft)


def _not_sent_again(result: SendResult, status: int):
    """A token or key that cannot send (again): say why, and what happened the first time."""
    text = messages.not_sent_again_text(result)
    previous = result.previous
    previous_text = (messages.previous_text(
        replace(previous, detail=failure_detail(previous.detail) or ""))
        if previous else None)
    if wants_json():
        code = {Status.KEY_INVALID: "invalid_idempotency_key",
                Status.KEY_MISMATCH: "idempotency_key_reused"}.get(result.status,
                                                                   result.status.value)
        extra: dict[str, Any] = {"remaining": None, "send_id": result.send_id}
        if result.status is Status.DUPLICATE:
            extra["previous"] = previous and {
                "result": previous.status.value if previous.status.accepted else "error",
                "status": previous.status.value, "code": previous.code,
                "remaining": previous.remaining, "message": previous_text}
        raise ApiError(status, code, text, extra=extra)
    return render_template("send/repeated.html", message=text, previous=previous,
                           previous_text=previous_text, send_id=result.send_id,
                           first_unrecorded=result.status is Status.DUPLICATE
                           and previous is None), status
