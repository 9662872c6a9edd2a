"""Read-only gateway look-ups: sender numbers, remaining credit and results."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, jsonify, render_template, request

from cafe24 import codes, message
from cafe24.calls import ResultQuery
from cafe24.errors import Cafe24Error, GatewayRefused
from cafe24.message import KST
from smsform.extensions import csrf
from smsform.i18n import current_lang, t
from smsform.permissions import login_required, wants_json
from smsform.services import gateway
from smsform.views.util import gateway_failure_text

bp = Blueprint("lookup", __name__)


@bp.route("/calljson", methods=["GET", "POST"])
@csrf.exempt  # read-only, and the sample's own script may POST without a token
@login_required
def calljson():
    """Sender numbers in the gateway's own JSON shape (the key stays here)."""
    try:
        numbers = gateway.gateway().senders()
    except GatewayRefused as exc:
        return jsonify(result=exc.code, list=[], message=t(
            "발신번호를 불러오지 못했습니다. SMS 아이디와 인증키를 확인하세요.",
            "Could not load sender numbers; check the SMS id and key.")), 502
    except Cafe24Error as exc:
        return jsonify(result="Error", list=[], message=gateway_failure_text(exc)), 502
    return jsonify(result="Success", list=numbers)


@bp.route("/smscount")
@login_required
def smscount():
    """Remaining credit and what it buys."""
    try:
        remaining = gateway.client().remaining()
    except Cafe24Error as exc:
        text = gateway_failure_text(exc, codes.describe_remain)
        if wants_json():
            return jsonify(remaining=None, error=text), 502
        return render_template("lookup/smscount.html", remaining=None, error=text), 502
    if wants_json():
        return jsonify(remaining=remaining, sms=remaining // message.CREDIT_COST["S"],
                       lms=remaining // message.CREDIT_COST["L"])
    return render_template("lookup/smscount.html", remaining=remaining, error=None,
                           cost=message.CREDIT_COST)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value or default)))
    except ValueError:
        return default


def _query() -> tuple[ResultQuery, int]:
    args = request.args
    raw_date = (args.get("date") or "").replace("-", "")
    try:
        day = datetime.strptime(raw_date, "%Y%m%d").date() if raw_date else None
    except ValueError:
        day = None
    page = _int(args.get("page"), 1, 1, 100000)
    display = _int(args.get("displayNo"), 20, 1, 50)
    send_type = args.get("sendType", "all")
    status = args.get("sendStatus", "")
    query = ResultQuery(
        date=day,
        day=_int(args.get("day"), 1, 1, 7),
        start=(page - 1) * display,
        display=display,
        send_type=send_type if send_type in ResultQuery.SEND_TYPES else "all",
        status=status if status in ResultQuery.STATUSES else "",
        receive_phone=message.normalize_phone(args.get("receivePhone", "")) or "",
        send_phone=message.normalize_phone(args.get("sendPhone", "")) or "",
        lms=args.get("smsType", "") == "lms",
    )
    return query, page


def _row_json(row, lang: str) -> dict[str, object]:
    data: dict[str, object] = row.as_dict()
    data["statusText"] = row.status_text(lang)
    data["sendTypeText"] = row.send_type_text(lang)
    code = row.extra.get("resultCode", "")
    data["resultCode"] = code
    data["resultText"] = codes.describe_delivery(code).text(lang) if code else ""
    return data


@bp.route("/smsresult")
@login_required
def smsresult():
    """Results with the gateway's filters, paging, CSV and JSON."""
    query, page = _query()
    lang = current_lang()
    try:
        result = gateway.client().results(query)
    except Cafe24Error as exc:
        text = gateway_failure_text(exc, codes.describe_list)
        code = exc.code if isinstance(exc, GatewayRefused) else "error"
        if wants_json():
            return jsonify(code=code, items=[], message=text), 502
        return render_template("lookup/smsresult.html", query=query, page=page, result=None,
                               error=text, today=datetime.now(KST).date()), 502
    items = [_row_json(row, lang) for row in result.rows]
    if request.args.get("format") == "csv":
        return _csv(items, lang)
    if wants_json():
        return jsonify(code=result.code, total=result.total, page=page, items=items)
    pages = max(1, -(-result.total // query.display))
    return render_template("lookup/smsresult.html", query=query, page=page, pages=pages,
                           result=result, items=items, error=None, today=datetime.now(KST).date())


def _csv(items: list[dict[str, object]], lang: str) -> Response:
    """The page as CSV (UTF-8 with BOM, so Excel reads Hangul)."""
    out = io.StringIO()
    columns = ["sendDateTime", "sendTypeText", "sendPhone", "receivePhone", "msg",
               "statusText", "resultCode", "resultText", "refundDate"]
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_csv_cell(item.get(c, "")) for c in columns])
    body = "\ufeff" + out.getvalue()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=smsresult.csv"})


def _csv_cell(value: object) -> str:
    """Neutralise spreadsheet formulas in cells (=, +, -, @, tab or CR at the start)."""
    text = str(value)
    risky = text[:1] in ("=", "+", "@", "\t", "\r") or (
        text.startswith("-") and not text[1:].isdigit())  # keep codes such as -2 as numbers
    return "'" + text if risky else text
