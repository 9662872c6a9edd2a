"""Bulk sends from a list (대량 발송): ``/jobs/new`` (a file or a paste, and the message),
``/jobs/<id>/check`` (Notify's "check your file": totals, the rows left out, the first
messages as they will arrive, the gateway calls and the cost, other columns; start or
cancel), ``/jobs/<id>`` (the progress bar and figures, polled as JSON by
static/js/bulk.js; pause, resume, cancel; the final report as CSV) and ``/jobs``.

The views only read the form and map results: the list is read by ``services.lists``,
judged by ``services.bulk_check``, and the job made, started, controlled and reported by
``services.bulk`` (which audits every control). Senders start and control their own jobs,
administrators every job; viewers read, numbers masked as in the send log
(``services.visibility``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from cafe24.errors import Cafe24Error
from cafe24.schedule import KST, parse_reservation
from smsform import messages
from smsform.errors import ApiError, on_expired_form, wants_json
from smsform.form_guard import takes_list_upload
from smsform.forms import JobColumnsForm, JobForm
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import bulk, bulk_check, credit, gateway, lists, retry
from smsform.services.bulk import BulkRefused
from smsform.services.lists import Choice, ListRefused, ListReport, RowProblem
from smsform.services.retry import Origin, RetryRefused
from smsform.services.sending import Actor
from smsform.services.sendlog import utcnow
from smsform.services.sendlog_query import mask_phone
from smsform.services.visibility import mask_name
from smsform.states import BatchState, Delivery, JobState
from smsform.views.csv_export import csv_stream
from smsform.views.paging import pager
from smsform.views.util import log_reader

bp = Blueprint("bulk", __name__)

#: Rows left out shown on one page of the check page (the CSV has them all).
PROBLEMS_PAGE = 100
#: How old a credit known may be for the check page to show it without asking again.
CREDIT_FRESH = timedelta(minutes=1)
#: Rows left out read at once for the CSV.
CSV_CHUNK = 5000
#: Jobs on one page of /jobs.
JOBS_PAGE = 50
#: How often (ms) the progress page's script asks for the figures while the job is live.
POLL_MS = 1000
#: Seconds between reloads of a live job's page without JavaScript (<meta refresh>).
REFRESH_SECONDS = 5
_JOB = f"<int(max={MAX_ID}):job_id>"

#: The problems CSV's and the report's columns, in the reader's language.
PROBLEM_COLUMNS = (_l("Row"), _l("Value"), _l("Why"))
REPORT_COLUMNS = (_l("Number"), _l("Name"), _l("Batch"), _l("Outcome"), _l("Meaning"),
                  _l("Delivery"), _l("Delivery meaning"))
#: The failed recipients' CSV: a list the bulk page reads again (its number and name
#: columns' headers are ones the reader guesses), the job's own columns, then why.
FAILED_COLUMNS = (_l("Phone"), _l("Name"))
FAILED_WHY = (_l("Failed at"), _l("Code"), _l("Meaning"), _l("Refunded at"))


@bp.after_request
def no_store(response: Response) -> Response:
    """Lists, numbers and texts are never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- who may do what -------------------------------------------------------------------


def _job_or_404(job_id: int) -> Any:
    job = bulk.get(job_id)
    if job is None:
        abort(404)
    return job


def _in_full(job: Any) -> bool:
    """Whether the signed-in person sees this job's numbers and names whole."""
    return log_reader().in_full(job.user_id)


def _may_control(job: Any) -> bool:
    """Senders start and control their own jobs, administrators every job."""
    return bulk.may_control(job.user_id, current_user.id, current_user.role)


def _controlled(job_id: int) -> Any:
    job = _job_or_404(job_id)
    if not _may_control(job):
        abort(403)
    return job


def _phone(phone: str, full: bool) -> str:
    return phone if full else mask_phone(phone)


# --- the new job -----------------------------------------------------------------------


def _senders() -> tuple[list[str], str | None]:
    """Registered sender numbers for the select, or why there are none."""
    try:
        return gateway.gateway().senders(), None
    except Cafe24Error as exc:
        return [], messages.gateway_failure_text(exc)


def _send_at(form: JobForm) -> datetime | None:
    """The start time typed (Korea time) as UTC, as the log keeps times; None: now.
    A half-typed or unreadable time is put beside its field and raises ValueError."""
    date, time = (form.send_date.data or "").strip(), (form.send_time.data or "").strip()
    if not date and not time:
        return None
    if not date or not time:
        field = form.send_time if date else form.send_date
        field.errors = [_("Give both the date and the time, or neither to start now.")]
        raise ValueError("incomplete")
    try:
        when = parse_reservation(date, time)
    except ValueError:
        form.send_time.errors = [_("Give the date as 2025-05-06 and the time as 14:30.")]
        raise
    assert when is not None
    return when.astimezone(UTC).replace(tzinfo=None)


def _draft(form: JobForm, send_at: datetime | None) -> bulk_check.Draft:
    return bulk_check.Draft(
        sender=(form.sender.data or "").strip(), text=form.text.data or "",
        subject=(form.subject.data or "").strip(), kind=form.kind.data or "auto",
        test=bool(form.test.data), advertising=bool(form.advertising.data), send_at=send_at)


def _choice(phone: str | None, name: str | None) -> Choice:
    """The columns chosen (None: found from the header); rows are judged by the check."""
    return Choice((phone or "").strip() or None, (name or "").strip() or None)


def _read(form: JobForm) -> tuple[ListReport, str, bytes | None]:
    """The posted list (a file, else the pasted text), its file name and its bytes."""
    settings = current_app.extensions["smsform.settings"]
    limits = lists.limits_of(settings)
    choice = _choice(form.phone_column.data, form.name_column.data)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(limits.max_bytes + 1)
        return lists.read_file(data, upload.filename, limits, choice), upload.filename, data
    paste = form.paste.data or ""
    if not paste.strip():
        raise ListRefused("empty")
    return lists.read_paste(paste, limits, choice), "", None


#: The form field each of the draft's problems belongs to (the send service's names).
_FIELDS = {"msg": "text", "sphone": "sender", "subject": "subject", "smsType": "kind",
           "rdate": "send_date", "rtime": "send_time", "advertising": "advertising"}


def _new_page(form: JobForm, status: int = 200, error: str | None = None,
              problems: list[tuple[str, str]] | None = None) -> tuple[str, int]:
    senders, senders_error = _senders()
    chosen = (form.sender.data or "").strip() or (senders[0] if len(senders) == 1 else "")
    return render_template("bulk/new.html", form=form, senders=senders,
                           senders_error=senders_error, sender_choice=chosen, error=error,
                           problems=problems or [],
                           max_bytes=current_app.extensions["smsform.settings"].list_max_bytes,
                           max_rows=current_app.extensions["smsform.settings"].list_max_rows
                           ), status


def _expired_new(message: str) -> Any:
    """After a failed CSRF check: the form again with what was typed (nothing was read or
    kept), for a person who may send; else None (the error page)."""
    if not current_user.is_authenticated or not current_user.can(Permission.SEND):
        return None
    flash(message, "error")
    return _new_page(JobForm(), 400)


@bp.route("/jobs/new", methods=["GET", "POST"])
@on_expired_form(_expired_new)
@takes_list_upload
@requires(Permission.SEND)
def new() -> Any:
    """A list and its message: read, judged and kept as a job in ``checking``, then the
    check page. A file that cannot be read, or a message that cannot go, shows the form
    again with everything typed (the file chosen again) and why."""
    form = JobForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _new_page(form, 400 if form.errors else 200)
    try:
        send_at = _send_at(form)
    except ValueError:
        return _new_page(form, 400)
    try:
        report, file_name, data = _read(form)
    except ListRefused as exc:
        return _new_page(form, 400, error=messages.refusal_text(exc))
    checked = bulk_check.check(report, _draft(form, send_at))
    if checked.message_problems:
        return _new_page(form, 400, problems=[
            (_FIELDS.get(p.field, "text"), messages.check_problem_text(p))
            for p in checked.message_problems])
    actor = Actor(current_user.id, current_user.username, "bulk", request.remote_addr)
    job_id = bulk.create(checked, actor, source="web", file_name=file_name, upload=data)
    return redirect(url_for("bulk.check", job_id=job_id), 303)


# --- the check page --------------------------------------------------------------------


@dataclass(frozen=True)
class ShownProblem:
    """A row left out as the page shows it."""

    row: int
    value: str
    why: str


#: Row problems whose value is a name (masked as names are); a column's name or the
#: characters a text cannot carry are shown as they are; every other value is a number.
_NAME_VALUES = frozenset({"name_too_long", "name_control_chars", "name_unsupported_chars"})
_PLAIN_VALUES = frozenset({"missing_field", "unsupported_chars"})


def _shown_problem(problem: RowProblem, full: bool) -> ShownProblem:
    """A row left out as this reader sees it: its value masked as the log masks numbers
    and names, for a reader who sees the job masked."""
    value = problem.value
    if not full and problem.code in _NAME_VALUES:
        value = mask_name(value)
    elif not full and problem.code not in _PLAIN_VALUES:
        value = mask_phone(value) if value else value
    return ShownProblem(problem.row, value, messages.job_problem_text(problem))


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 1_000_000 else 1


def _remaining() -> tuple[int | None, str | None]:
    """The credit now: the last known when it is under CREDIT_FRESH old (a page of the
    rows left out asks nothing), else asked of the gateway as the credit page does; when
    it cannot be asked, the last known and why not."""
    known = credit.last_known()
    if known is not None and utcnow() - known[0] < CREDIT_FRESH:
        return known[1], None
    try:
        return gateway.gateway().remaining(), None
    except Cafe24Error as exc:
        return (known[1] if known is not None else None), messages.gateway_failure_text(exc)


def _columns(job: Any) -> list[str]:
    """The list's columns a person may choose from (a file's, kept while the job is
    checked; a pasted list has none to choose)."""
    if not job.file_name:
        return []
    found = [c for c in (job.phone_column, job.name_column) if c]
    return [*found, *(c for c in json.loads(job.fields or "[]") if c not in found)]


@bp.get(f"/jobs/{_JOB}/check")
@requires(Permission.VIEW)
def check(job_id: int) -> Any:
    """What the job will do, before anything is sent."""
    job = _job_or_404(job_id)
    if job.state != JobState.CHECKING:
        return redirect(url_for("bulk.show", job_id=job_id))
    full = _in_full(job)
    count = job.refused_count + job.duplicate_count + job.opted_out_count
    pages = max(1, -(-count // PROBLEMS_PAGE))
    page = min(_page_arg(), pages)
    shown = [_shown_problem(p, full) for p in bulk.problems(
        job_id, offset=(page - 1) * PROBLEMS_PAGE, limit=PROBLEMS_PAGE)]
    remaining, credit_error = _remaining()
    shortfall = (job.forecast - remaining if remaining is not None and not job.test
                 and job.forecast > remaining else None)
    previews = [(_phone(p.phone, full), p.arrives(None if full else mask_name(p.name)))
                for p in bulk.previews(job_id)]
    return render_template(
        "bulk/check.html", job=job, problems=shown, problem_count=count,
        paging=pager(page, pages, lambda n: url_for("bulk.check", job_id=job_id, page=n)),
        previews=previews, remaining=remaining, credit_error=credit_error,
        shortfall=shortfall,
        columns=_columns(job), can_control=_may_control(job),
        startable=bool(job.recipient_count) and not shortfall, send_at=_kst(job.send_at),
        retries=_retry_of(job))


@bp.get(f"/jobs/{_JOB}/problems.csv")
@requires(Permission.VIEW)
def problems_csv(job_id: int) -> Response:
    """Every row left out (row, value, why) as CSV, in the reader's words."""
    job = _job_or_404(job_id)
    full = _in_full(job)

    def rows() -> Iterator[tuple[object, ...]]:
        offset = 0
        while chunk := bulk.problems(job_id, offset=offset, limit=CSV_CHUNK):
            for problem in chunk:
                shown = _shown_problem(problem, full)
                yield shown.row, shown.value, shown.why
            offset += len(chunk)

    return csv_stream(f"job-{job_id}-problems.csv", [str(c) for c in PROBLEM_COLUMNS],
                      rows())


@bp.post(f"/jobs/{_JOB}/columns")
@requires(Permission.SEND)
def columns(job_id: int) -> Any:
    """Read the stored list again with other columns: a new check (the old one is
    dropped; nothing had been sent)."""
    _controlled(job_id)
    form = JobColumnsForm()
    if not form.validate_on_submit():
        abort(400)
    settings = current_app.extensions["smsform.settings"]
    choice = _choice(form.phone_column.data, form.name_column.data)
    try:
        new_id = bulk.recheck(job_id, choice, lists.limits_of(settings),
                              Actor(current_user.id, current_user.username, "bulk",
                                    request.remote_addr))
    except (ListRefused, BulkRefused) as exc:
        flash(messages.refusal_text(exc), "error")
        return redirect(url_for("bulk.check", job_id=job_id), 303)
    flash(_("The list was read again with the columns you chose."), "success")
    return redirect(url_for("bulk.check", job_id=new_id), 303)


# --- start, pause, resume, cancel ------------------------------------------------------


def _control(job_id: int, act: str) -> Any:
    """Run one control of services.bulk (audited there); say what it did or why not."""
    job = _controlled(job_id)
    by = (current_user.id, current_user.username)
    address = request.remote_addr
    try:
        if act == "start":
            done = bulk.start(job_id, *by, address=address)
            text = (_("The job is scheduled for %(when)s (Korea time).",
                      when=_kst(done.send_at)) if done.state == JobState.SCHEDULED
                    else _("The job has started."))
        elif act == "pause":
            done = bulk.pause(job_id, *by, address=address)
            text = _("The job is paused: no batch is handed over until it is resumed.")
        elif act == "resume":
            done = bulk.resume(job_id, *by, address=address)
            text = _("The job goes on.")
        else:
            cancelled = bulk.cancel(job_id, *by, address=address)
            done = cancelled.progress
            text = messages.job_cancelled_text(cancelled.went_recipients)
    except BulkRefused as exc:
        if exc.code == "not_found":
            abort(404)
        if wants_json():
            raise ApiError(409, exc.code, messages.refusal_text(exc)) from None
        flash(messages.refusal_text(exc), "error")
        back = "bulk.check" if job.state == JobState.CHECKING else "bulk.show"
        return redirect(url_for(back, job_id=job_id), 303)
    if wants_json():
        return figures(done)
    flash(text, "success")
    return redirect(url_for("bulk.show", job_id=job_id), 303)


@bp.post(f"/jobs/{_JOB}/start")
@requires(Permission.SEND)
def start(job_id: int) -> Any:
    """Start the checked job now, or at its time."""
    return _control(job_id, "start")


@bp.post(f"/jobs/{_JOB}/pause")
@requires(Permission.SEND)
def pause(job_id: int) -> Any:
    """Pause after the batch in flight."""
    return _control(job_id, "pause")


@bp.post(f"/jobs/{_JOB}/resume")
@requires(Permission.SEND)
def resume(job_id: int) -> Any:
    """Go on with a paused job."""
    return _control(job_id, "resume")


@bp.post(f"/jobs/{_JOB}/cancel")
@requires(Permission.SEND)
def cancel(job_id: int) -> Any:
    """Stop the batches not yet handed over."""
    return _control(job_id, "cancel")


# --- progress --------------------------------------------------------------------------


def _kst(when: datetime | None) -> str:
    if when is None:
        return ""
    return when.replace(tzinfo=UTC).astimezone(KST).strftime("%Y-%m-%d %H:%M")


def _count(value: int) -> str:
    return format_number(value)


def figures(progress: bulk.Progress, delivery: dict[str, int] | None = None) -> dict[str, Any]:
    """The job's figures as the page shows them and its JSON answers: the values, and
    under ``text`` each one worded for the reader (the script puts those in the page);
    ``delivery``: its recipients by delivery outcome (services.delivery), when known."""
    state, test = progress.state, progress.test
    delivery = delivery or {}
    people = progress.recipients
    refused = people.get(BatchState.REFUSED, 0) + people.get(BatchState.NOT_SENT, 0)
    unknown = people.get(BatchState.UNKNOWN, 0)
    text = {
        "state": messages.job_state_text(state),
        "pause": messages.pause_text(progress.pause_reason) if state == JobState.PAUSED
        else "",
        "percent": f"{progress.percent} %",
        "batches": f"{_count(progress.batch_done)} / {_count(progress.batch_total)}",
        "accepted": _count(people.get(BatchState.ACCEPTED, 0)),
        BatchState.REFUSED.value: _count(refused),
        BatchState.UNKNOWN.value: _count(unknown),
        "credits": _("Test send: none") if test else (
            _count(progress.used) if progress.at_most == progress.used else
            _("%(used)s (at most %(most)s)", used=_count(progress.used),
              most=_count(progress.at_most))),
        "time_left": messages.time_left_text(progress.left, state),
        "unknown_note": messages.unknown_note_text(unknown),
        **{f"delivery_{d.value}": _count(delivery.get(d.value, 0)) for d in Delivery},
    }
    return {"id": progress.job_id, "state": state, "pause_reason": progress.pause_reason,
            "live": state in JobState.LIVE, "percent": progress.percent,
            "batches_done": progress.batch_done, "batches_total": progress.batch_total,
            "recipients_total": progress.recipient_total,
            "recipients": dict(progress.recipients), "credits_used": progress.used,
            "credits_at_most": progress.at_most,
            "seconds_left": progress.left.total_seconds() if progress.left else None,
            "unknown_send_ids": list(progress.unknown_send_ids), "test": test,
            "delivery": {d.value: delivery.get(d.value, 0) for d in Delivery}
            if delivery else None, "text": text}


def _progress_json(job_id: int, job: Any = None) -> dict[str, Any]:
    """The job's figures (one read of the job unless given, one aggregate of its batches,
    its delivery; on one connection), or 404."""
    found = bulk.progress_and_delivery(job_id, job)
    if found is None:
        abort(404)
    return figures(*found)


@bp.get(f"/jobs/{_JOB}")
@requires(Permission.VIEW)
def show(job_id: int) -> Any:
    """The job's progress: bar, figures, controls, the report when it is over (its JSON
    with ``Accept: application/json``, as ``/jobs/<id>.json``)."""
    if wants_json():
        return _progress_json(job_id)
    job = _job_or_404(job_id)
    if job.state == JobState.CHECKING:
        return redirect(url_for("bulk.check", job_id=job_id))
    shown = _progress_json(job_id, job)
    origin = Origin(job_id=job_id)
    delivery = shown["delivery"] or {}
    return render_template("bulk/show.html", job=job, figures=shown,
                           can_control=_may_control(job), poll_ms=POLL_MS,
                           refresh=REFRESH_SECONDS if shown["live"] else None,
                           send_at=_kst(job.send_at),
                           retry_job=retry.pending(origin) if delivery.get(
                               Delivery.FAILED.value) else None,
                           retries=_retry_of(job),
                           delivery_words={d.value: messages.delivery_state_text(d.value)
                                           for d in Delivery})


@bp.get(f"/jobs/{_JOB}.json")
@requires(Permission.VIEW)
def job_json(job_id: int) -> Any:
    """The progress figures as JSON (the page's script polls this)."""
    return _progress_json(job_id)


@bp.get(f"/jobs/{_JOB}/report.csv")
@requires(Permission.VIEW)
def report_csv(job_id: int) -> Response:
    """Each recipient: number, name, batch, outcome and its meaning (masked for a reader
    who sees the job masked)."""
    _job_or_404(job_id)

    def rows() -> Iterator[tuple[object, ...]]:
        for row in bulk.report_rows(job_id, reader=log_reader()):
            yield (row.phone, row.name, row.batch, messages.batch_state_text(row.outcome),
                   messages.batch_meaning_text(row.outcome, row.code),
                   messages.delivery_state_text(row.delivery) if row.delivery else "",
                   messages.delivery_outcome_meaning(row.delivery, row.delivery_code)
                   if row.delivery else "")

    return csv_stream(f"job-{job_id}.csv", [str(c) for c in REPORT_COLUMNS], rows())


@bp.get(f"/jobs/{_JOB}/failed.csv")
@requires(Permission.VIEW)
def failed_csv(job_id: int) -> Response:
    """The recipients whose delivery failed, as a list to fix and send again: number,
    name and the job's own columns (a list the bulk page reads back), then when it failed,
    the code, its meaning and the refund (masked for a reader who sees the job masked)."""
    job = _job_or_404(job_id)
    fields = [str(f) for f in json.loads(job.fields or "[]")]

    def rows() -> Iterator[tuple[object, ...]]:
        for row in bulk.report_rows(job_id, reader=log_reader(), delivery=Delivery.FAILED):
            own = row.fields or {}
            yield (row.phone, row.name, *(own.get(f, "") for f in fields),
                   _kst(row.delivery_at), row.delivery_code or "",
                   messages.delivery_outcome_meaning(row.delivery, row.delivery_code),
                   _kst(row.refunded_at))

    header = [*(str(c) for c in FAILED_COLUMNS), *fields, *(str(c) for c in FAILED_WHY)]
    return csv_stream(f"job-{job_id}-failed.csv", header, rows())


# --- retry the failed ------------------------------------------------------------------


def _retry_of(job: Any) -> Origin | None:
    """What a job retries (None: it retries nothing)."""
    if job.retry_of_job is None and job.retry_of_send is None:
        return None
    return Origin(job_id=job.retry_of_job, send_id=job.retry_of_send)


def retry_failed(origin: Origin, back: str) -> Any:
    """Make (or find again) the retry job of ``origin`` and show its check page; nothing
    is sent until the person starts it there. ``back``: where a refusal is said."""
    settings = current_app.extensions["smsform.settings"]
    actor = Actor(current_user.id, current_user.username, "bulk", request.remote_addr)
    try:
        job_id = retry.prepare(origin, actor, current_user.role, lists.limits_of(settings))
    except RetryRefused as exc:
        if exc.code == "not_found":
            abort(404)
        if exc.code == "not_allowed":
            abort(403)
        flash(messages.refusal_text(exc), "error")
        return redirect(back, 303)
    flash(_("A new job to the recipients whose delivery failed: check it, then start it."),
          "success")
    return redirect(url_for("bulk.check", job_id=job_id), 303)


@bp.post(f"/jobs/{_JOB}/retry")
@requires(Permission.SEND)
def retry_job(job_id: int) -> Any:
    """A new job to this job's failed recipients, shown on its check page."""
    _job_or_404(job_id)
    return retry_failed(Origin(job_id=job_id), url_for("bulk.show", job_id=job_id))


@bp.get("/jobs")
@requires(Permission.VIEW)
def index() -> Any:
    """The jobs, newest first, with their state and batches done."""
    page = _page_arg()
    total, rows = bulk.listing(offset=(page - 1) * JOBS_PAGE, limit=JOBS_PAGE)
    done = bulk.batches_done(row.id for row in rows)
    pages = max(1, -(-total // JOBS_PAGE))
    return render_template(
        "bulk/index.html", jobs=rows, done=done, total=total,
        paging=pager(page, pages, lambda n: url_for("bulk.index", page=n)),
        state_text=messages.job_state_text, kst=_kst)
