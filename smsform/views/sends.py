"""The send log (발송 기록): ``/sends`` with filters, pages, JSON and a streamed CSV; one send
in full at ``/sends/<id>``; an administrator's mark on a send whose outcome is unknown.

Viewers see recipient numbers masked and may not search by number (from a masked number,
ten thousand searches would find its hidden digits); senders and admins see them whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.errors import ApiError, wants_json
from smsform.forms import SendLogFilterForm
from smsform.ids import MAX_ID
from smsform.permissions import Permission, requires
from smsform.services import bulk, retry, sendlog, sendlog_query
from smsform.services.query_args import FilterProblem
from smsform.services.retry import Origin
from smsform.services.sendlog_query import ExportRow, FilterError, LoggedRecipient, LogRow
from smsform.states import Delivery, Result
from smsform.views.bulk import retry_failed as retry_failed_of
from smsform.views.csv_export import csv_stream
from smsform.views.paging import pager
from smsform.views.util import failure_detail, log_reader, refuse_number_search

bp = Blueprint("sends", __name__)

FORMATS = ("html", "json", "csv")
EXCERPT = 40  # characters of the text shown in the list
#: The CSV's columns: a key (the JSON's name) and a heading in the reader's language.
#: ``cost`` is what the gateway charged (empty while unknown), ``forecast`` what the send
#: uses if the gateway takes it.
CSV_COLUMNS = (("id", _l("Send no.")), ("created_at", _l("When (KST)")), ("user", _l("Who")),
               ("source", _l("Way in")), ("sender", _l("Sender number")), ("kind", _l("Kind")),
               ("recipients", _l("Recipients")), ("numbers", _l("Recipient numbers")),
               ("subject", _l("Subject")), ("text", _l("Text")),
               ("cost", _l("Credits charged")), ("forecast", _l("Forecast credits")),
               ("test", _l("Test send")), ("result", _l("Result")),
               ("code", _l("Gateway code")), ("marked", _l("Admin's check")))


@bp.after_request
def no_store(response: Response) -> Response:
    """Nothing of the log (texts, numbers) is kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _format() -> str:
    """``?format=`` (html, json, csv); anything else is refused."""
    values = request.args.getlist("format")
    if len(values) > 1 or (values and values[0] not in FORMATS):
        refusal = FilterError([FilterProblem("format", "bad_format")])
        raise ApiError(400, refusal.code, messages.refusal_text(refusal),
                       fields=messages.filter_problems(refusal.problems))
    return values[0] if values else "html"


def _filter_form() -> SendLogFilterForm:
    form = SendLogFilterForm(request.args)
    form.result.choices = [("", _("All results"))] + [
        (r, messages.log_result_text(r)) for r in sendlog_query.RESULTS]
    form.delivery.choices = [("", _("Any delivery"))] + [
        (d, messages.delivery_state_text(d)) for d in sendlog_query.DELIVERIES]
    return form


def _bad_filter(form: SendLogFilterForm, fmt: str, exc: FilterError) -> tuple[str, int]:
    """400, saying which filter values are bad: beside each field, or in the JSON body."""
    problems = messages.filter_problems(exc.problems)
    if fmt != "html" or wants_json():
        raise ApiError(400, exc.code, messages.refusal_text(exc), fields=problems) from None
    for name, words in problems.items():
        field = form.by_name(name)
        if field is not None:
            field.errors = words
    return render_template("sends/index.html", form=form, result=None,
                           page_errors=problems.get("page", [])), 400


@bp.route("/sends")
@requires(Permission.VIEW)
def index() -> Any:
    """The send log, newest first, with filters and pages; JSON or the whole set as CSV."""
    fmt = _format()
    form = _filter_form()
    try:
        log_filter = sendlog_query.parse_filter(request.args.to_dict(flat=False))
        refuse_number_search(bool(log_filter.phone))
        if fmt == "csv":
            return csv_stream("sends.csv", [str(label) for _key, label in CSV_COLUMNS],
                              _csv_rows(sendlog_query.export(log_filter, reader=log_reader())))
        result = sendlog_query.page(log_filter, reader=log_reader())
    except FilterError as exc:
        return _bad_filter(form, fmt, exc)
    if wants_json():
        return {"items": [_item(row) for row in result.rows], "total": result.total,
                "page": result.page, "pages": result.pages,
                "per_page": sendlog_query.PAGE_SIZE}
    args: dict[str, Any] = log_filter.as_args()
    return render_template(
        "sends/index.html", form=form, result=result, filtered=bool(args),
        rows=[_list_row(row) for row in result.rows],
        csv_url=url_for("sends.index", format="csv", **args),
        paging=pager(result.page, result.pages,
                     lambda n: url_for("sends.index", page=n, **args)))


def _item(row: LogRow) -> dict[str, Any]:
    """One send in the JSON list."""
    return {"id": row.id, "created_at": row.created_at.isoformat(timespec="seconds"),
            "user": row.user, "source": row.source, "sender": row.sender, "kind": row.kind,
            "recipients": row.recipients, "cost": row.cost, "forecast": row.forecast,
            "test": row.test,
            "result": row.result, "code": row.code, "marked": row.marked,
            "delivery": row.delivery}


@dataclass(frozen=True)
class ListRow:
    """One send as the list's table shows it (words and excerpt made here, not in HTML)."""

    row: LogRow
    url: str
    result_text: str
    mark_text: str
    excerpt: str
    more_recipients: int
    gateway_code: str  # the gateway's numeric answer code (-114), which support asks for
    cost_text: str  # what it was charged, or that it is not known (at most the forecast)
    forecast_text: str  # the forecast, when it differs from what was charged; else ""
    source_text: str  # the way it came in, in words
    delivery_text: str  # its recipients by delivery outcome, or ""


def _excerpt(row: LogRow) -> str:
    text = " ".join((row.text or "").split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def _list_row(row: LogRow) -> ListRow:
    return ListRow(row, url_for("sends.show", send_id=row.id),
                   messages.log_result_text(row.result), messages.log_mark_text(row.marked),
                   _excerpt(row), max(0, row.recipients - 1),
                   messages.gateway_code(row.code),
                   messages.cost_text(row.cost, row.forecast, row.result),
                   messages.forecast_text(row.forecast)
                   if row.cost is not None and row.cost != row.forecast else "",
                   messages.source_text(row.source),
                   messages.delivery_counts_text(row.delivery) if row.delivery else "")


def _csv_rows(rows: Iterator[ExportRow]) -> Iterator[tuple[object, ...]]:
    """Each exported send as the CSV's cells, in the reader's words: the time as a
    date-time text a spreadsheet reads, the result and the way in as the pages say them."""
    yes, no = _("yes"), _("no")
    for export_row in rows:
        row = export_row.row
        yield (row.id, row.created_at.strftime("%Y-%m-%d %H:%M:%S"), row.user,
               messages.source_text(row.source), row.sender, row.kind.upper(), row.recipients,
               "; ".join(export_row.numbers), row.subject or "", row.text or "",
               "" if row.cost is None else row.cost, row.forecast,
               yes if row.test else no, messages.log_result_text(row.result),
               messages.gateway_code(row.code), messages.log_mark_text(row.marked))


@bp.route(f"/sends/<int(max={MAX_ID}):send_id>")
@requires(Permission.VIEW)
def show(send_id: int) -> Any:
    """One send in full: recipients and merged texts, reservation and repeat, outcome."""
    detail = sendlog_query.detail(send_id, reader=log_reader(),
                                  with_answer=current_user.can(Permission.MARK_SENDS))
    if detail is None:
        abort(404)
    row = detail.row
    if wants_json():
        return {**_item(row), "subject": row.subject, "text": row.text,
                "recipients_list": [{"phone": r.phone, "name": r.name, "text": r.text,
                                     **_delivery_item(r)} for r in detail.recipients],
                "purged": row.purged, "advertising": detail.advertising,
                "listed_at": detail.listed_at.isoformat(timespec="seconds")
                if detail.listed_at else None}
    return render_template(
        "sends/show.html", detail=detail, row=row, source_text=messages.source_text(row.source),
        delivery_rows=[_delivery_cell(r) for r in detail.recipients],
        delivery_summary=messages.delivery_counts_text(detail.delivery)
        if detail.delivery else "",
        gateway_code=messages.gateway_code(row.code),
        result_text=messages.log_result_text(row.result),
        cost_text=messages.cost_text(row.cost, row.forecast, row.result),
        code_text=messages.log_code_text(row.result, row.code,
                                       failure_detail(detail.detail)),
        mark_text=messages.log_mark_text(row.marked),
        named=any(r.name for r in detail.recipients),
        can_mark=row.result == Result.UNKNOWN and current_user.can(Permission.MARK_SENDS),
        **_retry_state(row, detail.delivery))


def _retry_state(row: LogRow, delivery: dict[str, int] | None) -> dict[str, Any]:
    """Whether the reader may retry the send's failed recipients (its sender or an
    administrator, and some failed), and the retry job that stands already."""
    failed = (delivery or {}).get(Delivery.FAILED.value, 0)
    allowed = bool(failed) and not row.purged and current_user.can(Permission.SEND) \
        and bulk.may_control(row.user_id, current_user.id, current_user.role)
    return {"failed": failed, "can_retry": allowed,
            "retry_job": retry.pending(Origin(send_id=row.id)) if allowed else None}


@bp.post(f"/sends/<int(max={MAX_ID}):send_id>/retry")
@requires(Permission.SEND)
def retry_failed(send_id: int) -> Any:
    """A new job to this send's failed recipients, shown on its check page."""
    return retry_failed_of(Origin(send_id=send_id), url_for("sends.show", send_id=send_id))


def _delivery_item(recipient: LoggedRecipient) -> dict[str, Any]:
    """A recipient's delivery in the JSON answer (nothing for a send that reached no phone)."""
    if recipient.delivery is None:
        return {}
    return {"delivery": recipient.delivery,
            "delivery_at": recipient.delivery_at.isoformat(timespec="seconds")
            if recipient.delivery_at else None,
            "delivery_code": recipient.delivery_code,
            "delivery_meaning": _delivery_meaning(recipient),
            "refunded_at": recipient.refunded_at.isoformat(timespec="seconds")
            if recipient.refunded_at else None,
            "delivery_ambiguous": recipient.ambiguous}


def _delivery_meaning(recipient: LoggedRecipient) -> str:
    return messages.delivery_outcome_meaning(recipient.delivery, recipient.delivery_code)


@dataclass(frozen=True)
class DeliveryCell:
    """One recipient's delivery as the detail page's table shows it."""

    state: str  # states.Delivery value, "" when delivery does not apply
    text: str
    when: str  # the list's time, KST, or ""
    meaning: str
    refunded: str  # the refund time, or ""
    ambiguous: bool


def _delivery_cell(recipient: LoggedRecipient) -> DeliveryCell:
    if recipient.delivery is None:
        return DeliveryCell("", "", "", "", "", False)
    return DeliveryCell(
        recipient.delivery, messages.delivery_state_text(recipient.delivery),
        recipient.delivery_at.strftime("%Y-%m-%d %H:%M") if recipient.delivery_at else "",
        _delivery_meaning(recipient),
        recipient.refunded_at.strftime("%Y-%m-%d %H:%M") if recipient.refunded_at else "",
        recipient.ambiguous)


@bp.route(f"/sends/<int(max={MAX_ID}):send_id>/mark", methods=["POST"])
@requires(Permission.MARK_SENDS)
def mark(send_id: int) -> Any:
    """Settle an unknown send as sent or not sent, after checking the gateway's results."""
    verdicts = request.form.getlist("mark")
    if len(verdicts) != 1 or verdicts[0] not in sendlog.MARKS:
        raise ApiError(400, "bad_mark", _("Choose whether the message was sent or not."))
    try:
        sendlog.mark(send_id, verdicts[0], user_id=current_user.id,
                     actor=current_user.username, address=request.remote_addr)
    except sendlog.MarkRefused as exc:
        if exc.code == "not_found":
            abort(404)
        raise ApiError(409, exc.code, messages.refusal_text(exc)) from None
    if wants_json():
        return {"id": send_id, "marked": verdicts[0]}
    flash(_("Marked: %(mark)s. The send log keeps the outcome as unknown, with your mark.",
            mark=messages.log_mark_text(verdicts[0])), "success")
    return redirect(url_for("sends.show", send_id=send_id), 303)
