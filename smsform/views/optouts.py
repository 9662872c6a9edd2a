"""The opt-out list's pages (``/optouts``, 수신거부): search and pages, a number by hand, a
removal with its reason, an import (a file or pasted lines) with its row report, the CSV
export and the removals' history. Admins and senders edit; viewers read with numbers
masked (and may look a number up only whole). Rules: ``services.optouts``; files read by
``services.lists``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from smsform import messages
from smsform.forms import OptOutForm, OptOutImportForm, OptOutRemoveForm
from smsform.permissions import Permission, requires
from smsform.services import audit, lists, optouts
from smsform.services.lists import Choice, ListRefused
from smsform.services.optouts import OptOutError, Search
from smsform.states import OptOutVia
from smsform.views.csv_export import csv_stream
from smsform.views.paging import pager
from smsform.views.util import acting_user, numbers_masked

bp = Blueprint("optouts", __name__)

#: How many of an import's left-out rows its page lists (the counts say how many in all).
REPORT_ROWS = 500
EXPORT_HEADER = ("전화번호", "수신거부 일시", "경로", "등록자", "메모")


def _page_arg() -> int:
    raw = request.args.get("page", "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 6 else 1


def _listing(read: Callable[[Search, int], Any], endpoint: str) -> dict[str, Any]:
    """A page of a list searched by ``q``: the page, its pager and any refusal."""
    q = request.args.get("q", "").strip()[:optouts.QUERY_LIMIT * 2]
    errors: list[str] = []
    try:
        search = optouts.parse_search(q, masked=numbers_masked())
        result = read(search, _page_arg())
    except OptOutError as exc:
        errors.append(messages.refusal_text(exc))
        result = read(Search(), 1)
    return {"q": q, "result": result, "page_errors": errors,
            "pager": pager(result.page, result.pages,
                           lambda n: url_for(endpoint, q=q or None, page=n)),
            "masked": numbers_masked(), "via_text": messages.via_text,
            "can_edit": current_user.can(Permission.EDIT_OPTOUTS)}


def _index(form: OptOutForm, status: int = 200) -> Any:
    masked = numbers_masked()
    listing = _listing(lambda s, p: optouts.search(s, p, masked=masked), "optouts.index")
    return render_template("optouts/index.html", form=form, **listing), status


@bp.get("/optouts")
@requires(Permission.VIEW)
def index() -> Any:
    """The opt-out list: a page of numbers, newest first, searched by number."""
    return _index(OptOutForm(formdata=None))


@bp.post("/optouts")
@requires(Permission.EDIT_OPTOUTS)
def add() -> Any:
    """Put a number on the list by hand."""
    form = OptOutForm()
    if form.validate_on_submit():
        try:
            added = optouts.add(form.phone.data or "", via=OptOutVia.HAND, by=acting_user(),
                                memo=form.memo.data)
        except OptOutError as exc:
            form.phone.errors = [*form.phone.errors, messages.refusal_text(exc)]
        else:
            if added.new:
                flash(_("%(phone)s is on the opt-out list: advertising sends will leave it "
                        "out.", phone=added.entry.phone), "success")
            else:
                flash(_("%(phone)s was on the opt-out list already (since %(at)s).",
                        phone=added.entry.phone,
                        at=added.entry.at.strftime("%Y-%m-%d %H:%M")), "info")
            return redirect(url_for("optouts.index"))
    return _index(form, 400)


@bp.route("/optouts/remove", methods=["GET", "POST"])
@requires(Permission.EDIT_OPTOUTS)
def remove() -> Any:
    """Take a number off the list, saying why (the opt-out and the reason are kept)."""
    form = OptOutRemoveForm(data={"phone": request.args.get("phone", "")[:40]}
                            if request.method == "GET" else None)
    entry = None
    if form.validate_on_submit():
        try:
            removed = optouts.remove(form.phone.data or "", reason=form.reason.data or "",
                                     by=acting_user())
        except OptOutError as exc:
            field = form.reason if exc.code.startswith("reason") else form.phone
            field.errors = [*field.errors, messages.refusal_text(exc)]
        else:
            flash(_("%(phone)s is off the opt-out list; its opt-out and your reason are "
                    "kept in the history.", phone=removed.phone), "success")
            return redirect(url_for("optouts.index"))
    try:
        entry = optouts.find(form.phone.data or "") if form.phone.data else None
    except OptOutError:
        entry = None
    return render_template("optouts/remove.html", form=form, entry=entry,
                           via_text=messages.via_text), 400 if form.errors else 200


@bp.route("/optouts/import", methods=["GET", "POST"])
@requires(Permission.EDIT_OPTOUTS)
def import_file() -> Any:
    """Numbers from a file (CSV/TSV, .xlsx, .xls) or pasted lines, with the row report."""
    form = OptOutImportForm()
    report = counts = None
    error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        filename = (upload.filename or "") if upload is not None else ""
        limits = lists.limits_of(current_app.extensions["smsform.settings"])
        choice = Choice((form.phone_column.data or "").strip() or None, "")
        paste = form.paste.data or ""
        try:
            if data or not paste.strip():
                report = lists.read_file(data, filename, limits, choice)
            else:
                report = lists.read_paste(paste, limits, choice)
            counts = optouts.import_report(
                report, via=OptOutVia.FILE, by=acting_user(), memo=form.memo.data,
                source=filename or "paste")
        except (ListRefused, OptOutError) as exc:
            error = messages.refusal_text(exc)
            report = None
    problems = report.problems[:REPORT_ROWS] if report is not None else []
    return render_template("optouts/import.html", form=form, report=report, counts=counts,
                           error=error, problems=problems,
                           problem_text=messages.row_problem_text,
                           kind_text=messages.list_kind_text), \
        400 if error or form.errors else 200


@bp.get("/optouts/export.csv")
@requires(Permission.VIEW)
def export() -> Response:
    """The whole list as CSV: UTF-8 with BOM, formula cells neutralised; masked for a
    viewer. Audited (who, masked or not)."""
    masked = numbers_masked()
    audit.record_by("optouts_exported", acting_user(), detail={"masked": masked})
    rows = ((e.phone, e.at.strftime("%Y-%m-%d %H:%M:%S"), messages.via_text(e.via), e.by,
             e.memo or "") for e in optouts.export_entries(masked=masked))
    return csv_stream("optouts.csv", EXPORT_HEADER, rows)


@bp.get("/optouts/removed")
@requires(Permission.VIEW)
def removed() -> Any:
    """The removals' history: each number taken off the list, when, by whom and why."""
    masked = numbers_masked()
    listing = _listing(lambda s, p: optouts.removals(s, p, masked=masked), "optouts.removed")
    return render_template("optouts/removed.html", **listing)
