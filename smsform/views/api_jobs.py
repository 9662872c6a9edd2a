"""``/api/v1/jobs``: bulk jobs through the token API, with the same tokens, rate, problems
and language as ``views/api.py`` (its ``authenticate`` runs first).

``POST /jobs`` takes a list as JSON (``to`` items) or as a file (``multipart/form-data``,
its ``file`` part; the body may then be as large as the list limit, SMSFORM_LIST_MAX_BYTES,
on this route only) and hands it to ``bulk_intake.submit``: checked, written, started,
its worker woken; 202 with the job. Reading takes ``Permission.VIEW`` (a sender reads
their own jobs, an administrator and a viewer every job, a viewer's numbers and names
masked); creating and cancelling take ``Permission.SEND`` and a token that is not
read-only. Rules: ``services.bulk``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from cafe24.text import Problem
from smsform import messages
from smsform.api_openapi import PREFIX
from smsform.api_schemas import (
    FORM_FALSE,
    FORM_TRUE,
    InputProblem,
    JobCancelled,
    JobCreated,
    JobDraftIn,
    JobIn,
    JobOut,
    JobPage,
    JobQuery,
    JobRecipientOut,
    JobRecipientPage,
    JobRecipientQuery,
    RowProblemOut,
    api_field,
    input_problems,
)
from smsform.errors import ApiError
from smsform.form_guard import LIST_FORM_ROOM, takes_list_upload
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import bulk, bulk_intake, compliance, lists, sending
from smsform.services.bulk import BulkRefused, JobKey
from smsform.services.bulk_check import Checked, Draft
from smsform.services.bulk_intake import IntakeRefused
from smsform.services.lists import ListRefused, ListReport
from smsform.states import Delivery
from smsform.views import api
from smsform.views.api import delivery_out
from smsform.views.util import log_reader

bp = Blueprint("api_jobs", __name__, url_prefix=PREFIX)

#: How many rows left out a job's answer names (the rest: GET .../problems on the pages).
PROBLEMS_SHOWN = 1000
_MULTIPART = "multipart/form-data"
_FORM_FIELDS = frozenset({"from", "text", "subject", "type", "test", "advertising",
                          "send_at", "phone_column", "name_column", "file"})


@bp.before_request
def authenticate() -> None:
    """The API's gate; then, for a new job, the list limit (and the form's room beside
    it) instead of the API's body limit (``form_guard.takes_list_upload`` gives the app's
    own checks, which read the body first, the same limit)."""
    api.authenticate()
    if request.endpoint == "api_jobs.create_job":
        settings = current_app.extensions["smsform.settings"]
        request.max_content_length = settings.list_max_bytes + LIST_FORM_ROOM


# --- making a job --------------------------------------------------------------------------


@bp.post("/jobs")
@takes_list_upload
@api.writable
@requires(Permission.SEND)
def create_job() -> Response:
    """Check a list, make it a job and start it; 202 with the job and its address."""
    if request.mimetype == _MULTIPART:
        draft, report, file_name, parts = _from_form()
    else:
        draft, report, parts = _from_json()
        file_name = ""
    key = _key(parts)
    actor = sending.Actor(current_user.id, current_user.username, "api", request.remote_addr)
    try:
        taken = bulk_intake.submit(report, draft, actor, source="api", key=key,
                                   file_name=file_name, address=request.remote_addr)
    except IntakeRefused as exc:
        raise _not_started(exc) from None
    body = JobCreated(**_job(taken.job_id).model_dump(),
                      problems=_problems(taken.checked) if taken.checked else [],
                      problems_total=len(taken.checked.problems) if taken.checked else 0)
    headers = {"Location": url_for("api_jobs.get_job", job_id=taken.job_id)}
    if taken.replayed:
        headers["Idempotent-Replayed"] = "true"
    return api.json_answer(body.model_dump(mode="json", by_alias=True), 202, **headers)


def _draft(body: JobDraftIn) -> Draft:
    return Draft(sender=body.sender.strip(), text=body.text, subject=body.subject.strip(),
                 kind=body.kind, test=body.test, advertising=body.advertising,
                 send_at=body.send_at)


def _from_json() -> tuple[Draft, ListReport, list[Any]]:
    """The JSON body's draft and its ``to`` read as a list."""
    body = api.json_body(JobIn)
    limits = lists.limits_of(current_app.extensions["smsform.settings"])
    try:
        report = lists.read_records(body.records(), limits)
    except ListRefused as exc:
        raise _list_refused(exc, "to") from None
    return _draft(body), report, [body.model_dump(by_alias=True)]


def _from_form() -> tuple[Draft, ListReport, str, list[Any]]:
    """A multipart body's fields as the draft and its ``file`` read as a list (the phone
    and name columns guessed, or as ``phone_column`` and ``name_column`` say)."""
    form, files = request.form, request.files
    own = [InputProblem(name, "repeated_member") for name in {*form, *files}
           if len(form.getlist(name)) + len(files.getlist(name)) > 1]
    own += [InputProblem(name, "extra_forbidden") for name in {*form, *files}
            if name not in _FORM_FIELDS]
    upload = files.get("file")
    if upload is None and "file" not in form:
        own.append(InputProblem("file", "missing"))
    values = _form_values(own)
    try:
        body = JobDraftIn.model_validate(values)
    except ValidationError as exc:
        raise api.invalid([*own, *input_problems(exc)]) from None
    if own:
        raise api.invalid(own)
    if upload is not None:
        data, file_name = upload.read(), (upload.filename or "")[:255]
    else:  # the list's text as a field (curl -F 'file=<list.csv')
        data, file_name = form["file"].encode(), ""
    choice = lists.Choice(phone_column=form.get("phone_column") or None,
                          name_column=form.get("name_column"))
    limits = lists.limits_of(current_app.extensions["smsform.settings"])
    try:
        report = lists.read_file(data, file_name, limits, choice)
    except ListRefused as exc:
        raise _list_refused(exc, "file") from None
    parts = [body.model_dump(by_alias=True),
             [choice.phone_column, choice.name_column], file_name, data]
    return _draft(body), report, file_name, parts


def _form_values(own: list[InputProblem]) -> dict[str, Any]:
    """The form's message fields as JobDraftIn reads them (the switches from text; an
    empty send_at is none); a switch that is neither true nor false joins ``own``."""
    form = request.form
    values: dict[str, Any] = {name: form[name] for name in ("from", "text", "subject", "type")
                              if name in form}
    if form.get("send_at", "").strip():
        values["send_at"] = form["send_at"]
    for name in ("test", "advertising"):
        if name in form:
            word = form[name].strip().lower()
            if word in FORM_TRUE or word in FORM_FALSE:
                values[name] = word in FORM_TRUE
            else:
                own.append(InputProblem(name, "bool_type"))
    return values


def _key(parts: list[Any]) -> JobKey | None:
    """The request's Idempotency-Key (400 when it cannot be one)."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    value = value.strip()
    if not 0 < len(value) <= sending.MAX_KEY_LENGTH or not value.isprintable():
        text = messages.api_input_text("invalid_idempotency_key",
                                       {"max": sending.MAX_KEY_LENGTH})
        raise ApiError(400, "invalid_idempotency_key", text,
                       fields={"Idempotency-Key": [text]})
    return JobKey(current_user.id, value, bulk_intake.request_hash(parts))


def _list_refused(exc: ListRefused, field: str) -> ApiError:
    """422 for a list that cannot be read at all (``reason``: why), beside its member."""
    text = messages.refusal_text(exc)
    return ApiError(422, "list_unreadable", text, fields={field: [text]},
                    extra={"reason": exc.code, **exc.params})


def _problems(checked: Checked) -> list[RowProblemOut]:
    """The rows left out, in row order (the first PROBLEMS_SHOWN)."""
    return [RowProblemOut(row=p.row, value=p.value, code=p.code, first_row=p.first_row,
                          reason=messages.row_problem_text(p))
            for p in checked.problems[:PROBLEMS_SHOWN]]


def _field(problem: Problem) -> str:
    """A draft problem's member: the API's name, send_at for a time (a job has no
    reserve_at)."""
    field = api_field(problem)
    return "send_at" if field == "reserve_at" else field


def _not_started(exc: IntakeRefused) -> ApiError:
    """422 for a list that did not become a job, with the row report when there was a
    check (nothing was sent, nothing kept)."""
    checked = exc.checked
    extra: dict[str, Any] = dict(exc.params)
    fields: dict[str, list[str]] = {}
    if checked is not None:
        extra.update(counts=_counts(checked), problems=[
            p.model_dump(mode="json", by_alias=True) for p in _problems(checked)],
            problems_total=len(checked.problems))
        for problem in checked.message_problems:
            fields.setdefault(_field(problem), []).append(messages.api_problem_text(problem))
    code = exc.cause.code if exc.cause is not None else exc.code
    if code == "message" and checked is not None:
        law = compliance.refused_by_law(checked.message_problems)
        if law is not None:  # as POST /messages answers it: the law's code and values
            error = api.refused_by_law(law, tuple(checked.message_problems))
            error.extra.update(extra)
            return error
        code = "message_invalid"
    text = messages.refusal_text(exc.cause or exc)
    return ApiError(422, code, text, fields=fields, extra=extra)


def _counts(checked: Checked) -> dict[str, int]:
    """The check's totals, as a job's ``counts`` names them."""
    return {"rows": checked.rows, "recipients": checked.recipients,
            "refused": checked.refused, "duplicates": checked.duplicates,
            "opted_out": checked.opted_out, "batches": len(checked.batches),
            "sms": checked.sms, "lms": checked.lms, "forecast": checked.forecast}


# --- reading and cancelling ------------------------------------------------------------


def _not_found(job_id: int) -> ApiError:
    return ApiError(404, "not_found", messages.refusal_text(
        BulkRefused("not_found", job=str(job_id))))


def _readable(job_id: int) -> Any:
    """The job's row, when the token's user may read it (else 404: another sender's job
    is not theirs to know of)."""
    job = bulk.get(job_id) if job_id <= MAX_ID else None
    if job is None or not _may_read(job.user_id):
        raise _not_found(job_id)
    return job


def _may_read(owner_id: int | None) -> bool:
    """A sender reads their own jobs; an administrator and a viewer every job."""
    if current_user.can(Permission.READ_ALL_SENDS) or not current_user.can(Permission.SEND):
        return True
    return owner_id is not None and owner_id == current_user.id


def _job(job_id: int, job: Any = None) -> JobOut:
    """A job as the API tells it, with its delivery (its row read again unless given)."""
    job = job if job is not None else bulk.get(job_id)
    progress, pause = _figures(job_id)
    return JobOut.of(job, progress, pause, bulk.delivery_of(progress))


def _figures(job_id: int) -> tuple[bulk.Progress, str | None]:
    progress = bulk.progress(job_id)
    assert progress is not None  # jobs are never deleted once started
    pause = messages.pause_text(progress.pause_reason) or None
    return progress, pause


@bp.get("/jobs")
@requires(Permission.VIEW)
def list_jobs() -> Response:
    """The token's user's jobs (an administrator's or viewer's token: every job), newest
    first."""
    query = api.query_args(JobQuery)
    owner = None if _may_read(None) else current_user.id
    found, following = bulk.jobs_of(owner, before=query.cursor, limit=query.limit)
    return api.json_answer(JobPage(items=[JobOut.of(job, *_figures(job.id)) for job in found],
                                   next_cursor=following).model_dump(mode="json",
                                                                     by_alias=True))


@bp.get("/jobs/<int:job_id>")
@requires(Permission.VIEW)
def get_job(job_id: int) -> Response:
    """One job: its state, why it paused, its batches and recipients by outcome, its cost."""
    job = _readable(job_id)
    return api.json_answer(_job(job_id, job).model_dump(mode="json", by_alias=True))


@bp.get("/jobs/<int:job_id>/recipients")
@requires(Permission.VIEW)
def job_recipients(job_id: int) -> Response:
    """A page of the job's recipients with their batch's outcome (numbers and names
    masked as the send log masks them for the reader)."""
    _readable(job_id)
    query = api.query_args(JobRecipientQuery)
    start = query.cursor or 0
    rows = bulk.recipients(job_id, offset=start, limit=query.limit + 1, reader=log_reader(),
                           delivery=Delivery(query.delivery) if query.delivery else None)
    more = len(rows) > query.limit
    return api.json_answer(JobRecipientPage(
        items=[JobRecipientOut(position=r.position, row=r.row, phone=r.phone, name=r.name,
                               batch=r.batch, outcome=r.outcome, code=r.code,
                               delivery=delivery_out(r)) for r in rows[:query.limit]],
        next_cursor=start + query.limit if more else None).model_dump(mode="json",
                                                                      by_alias=True))


@bp.post("/jobs/<int:job_id>/cancel")
@api.writable
@requires(Permission.SEND)
def cancel_job(job_id: int) -> Response:
    """Cancel a job: the batches not yet handed over are not sent; 200 with the job and
    how many went."""
    _readable(job_id)
    try:
        cancelled = bulk.cancel(job_id, current_user.id, current_user.username,
                                address=request.remote_addr)
    except BulkRefused as exc:
        if exc.code in ("not_found", "not_allowed"):
            raise _not_found(job_id) from None
        raise ApiError(409, exc.code, messages.refusal_text(exc),
                       extra={"id": job_id}) from None
    return api.json_answer(JobCancelled(
        **_job(job_id).model_dump(), went_batches=cancelled.went_batches,
        went_recipients=cancelled.went_recipients,
        stopped_batches=cancelled.stopped_batches,
        stopped_recipients=cancelled.stopped_recipients).model_dump(mode="json",
                                                                    by_alias=True))
