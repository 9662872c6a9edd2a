"""Read-only gateway look-ups: sender numbers, remaining credit and results.

A gateway failure ends a JSON request through ``ApiError`` (status 502); a page shows
it in words beside what it could not load, where a person can act on it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from cafe24 import codes
from cafe24.calls import ResultQuery
from cafe24.errors import Cafe24Error, GatewayRefused
from cafe24.message import CREDIT_COST, messages_bought
from cafe24.schedule import KST
from smsform import messages
from smsform.errors import ApiError, json_only, wants_json
from smsform.extensions import csrf
from smsform.limiter import request_wait
from smsform.permissions import Permission, requires
from smsform.services import gateway, results
from smsform.services.sendlog_query import mask_phone
from smsform.views.csv_export import csv_response
from smsform.views.paging import pager
from smsform.views.util import numbers_masked, refuse_number_search

bp = Blueprint("lookup", __name__)


@bp.route("/calljson", methods=["GET", "POST"])
@csrf.exempt  # read-only, and the sample's own script may POST without a token
@json_only
@requires(Permission.VIEW)
def calljson():
    """Sender numbers in the gateway's own JSON shape (the key stays here)."""
    try:
        numbers = gateway.gateway().senders()
    except Cafe24Error as exc:
        code = exc.code if isinstance(exc, GatewayRefused) else "Error"
        raise ApiError(502, code, messages.gateway_failure_text(exc),
                       extra={"result": code, "list": []}) from None
    return {"result": "Success", "list": numbers}


def _buys(remaining: int) -> dict[str, int]:
    """How many SMS and LMS ``remaining`` credits pay for."""
    return {"sms": messages_bought(remaining, "S"), "lms": messages_bought(remaining, "L")}


@bp.route("/smscount")
@requires(Permission.VIEW)
def smscount():
    """Remaining credit and what it buys."""
    try:
        remaining = gateway.gateway().remaining()
    except Cafe24Error as exc:
        text = messages.gateway_failure_text(exc, codes.describe_remain)
        if wants_json():
            raise ApiError(502, _failure_code(exc), text, extra={"remaining": None}) from None
        return render_template("lookup/smscount.html", remaining=None, error=text), 502
    if wants_json():
        return {"remaining": remaining, **_buys(remaining)}
    return render_template("lookup/smscount.html", remaining=remaining, buys=_buys(remaining),
                           error=None, cost=CREDIT_COST)


def _failure_code(exc: Cafe24Error) -> str:
    return exc.code if isinstance(exc, GatewayRefused) else "error"


def _page_number(value: str | None) -> int:
    """The page asked for, 1 to 100,000; anything else is the first."""
    try:
        return min(100000, max(1, int(value or 1)))
    except ValueError:
        return 1


def _kind(value: str | None) -> str:
    """The kind of message asked for: ``sms``, ``lms`` or, by default, ``all``."""
    return value if value in results.KINDS else "all"


def _query() -> tuple[ResultQuery, int]:
    """The gateway's result filters from the query string (bad values fall back), at the
    asked page's start."""
    query = results.build_query(request.args, results.PAGE)
    assert query is not None  # a page's reading always gives a query
    page = _page_number(request.args.get("page"))
    return replace(query, start=(page - 1) * query.display), page


#: Calls of the gateway's result list one user's pages may make (``RESULTS_RATE_LIMIT`` in
#: tests): a page of both kinds makes two, a later page of both more (docs/gateway.md).
LIST_CALLS_RATE = "60 per minute"


def _list_calls_meter() -> int:
    """Count one list call against the signed-in user's rate (0: it may be made)."""
    return request_wait(current_app.config.get("RESULTS_RATE_LIMIT", LIST_CALLS_RATE),
                        "smsform-list-calls", str(current_user.id))


def _row_json(item: results.KindRow, masked: bool) -> dict[str, object]:
    row = item.row
    data: dict[str, object] = dict(row.as_dict())
    if masked:
        data["receivePhone"] = mask_phone(row.receive_phone)
    code = row.extra.get("resultCode", "")
    data.update(kind=item.kind, kindText=item.kind.upper(),
                statusText=messages.row_status_text(row),
                sendTypeText=messages.row_send_type_text(row), resultCode=code,
                resultText=messages.delivery_text(code) if code else "")
    return data


@bp.route("/smsresult")
@requires(Permission.VIEW)
def smsresult():
    """Results with the gateway's filters (SMS and LMS together by default), paging, CSV
    and JSON."""
    query, page = _query()
    refuse_number_search(bool(query.receive_phone))
    kind = _kind(request.args.get("smsType"))
    today = datetime.now(KST).date()
    try:
        result = results.results_page(query, kind, _list_calls_meter)
    except results.TooManyCalls as exc:
        text = messages.list_throttled_text(exc.wait)
        headers = {"Retry-After": str(exc.wait)}
        if wants_json():
            raise ApiError(429, "throttled", text, extra={"items": []},
                           headers=headers) from None
        return render_template("lookup/smsresult.html", query=query, page=page, result=None,
                               error=text, day=query.date or today, kind=kind), 429, headers
    except Cafe24Error as exc:
        text = messages.gateway_failure_text(exc, codes.describe_list)
        if wants_json():
            raise ApiError(502, _failure_code(exc), text, extra={"items": []}) from None
        return render_template("lookup/smsresult.html", query=query, page=page, result=None,
                               error=text, day=query.date or today, kind=kind), 502
    masked = numbers_masked()
    items = [_row_json(item, masked) for item in result.rows]
    if request.args.get("format") == "csv":
        return _csv(items, [item.row.sent_at for item in result.rows])
    if wants_json():
        return {"code": result.code, "total": result.total, "page": page, "kind": kind,
                "items": items}
    pages = max(1, -(-result.total // query.display))
    return render_template("lookup/smsresult.html", query=query, result=result, items=items,
                           error=None, day=query.date or today,
                           sent_at=[item.row.sent_at for item in result.rows],
                           csv_url=_this_page(format="csv"),
                           paging=pager(page, pages, lambda n: _this_page(page=n)), kind=kind)


def _this_page(**changes: object) -> str:
    """This page's URL with some query values changed (paging, the CSV link)."""
    args: dict[str, Any] = {**request.args.to_dict(),
                            **{k: str(v) for k, v in changes.items()}}
    return url_for("lookup.smsresult", **args)


#: The CSV's columns: the gateway's field and a heading in the reader's language.
CSV_COLUMNS = (("sendDateTime", _l("Sent (KST)")), ("sendTypeText", _l("Type")),
               ("kindText", _l("Kind")), ("sendPhone", _l("From")), ("receivePhone", _l("To")),
               ("msg", _l("Text")), ("statusText", _l("Status")),
               ("resultCode", _l("Delivery code")), ("resultText", _l("Delivery result")),
               ("refundDate", _l("Refunded")))


def _csv(items: list[dict[str, object]], sent_at: list[datetime | None]) -> Response:
    """The page as CSV (UTF-8 with BOM, so Excel reads Hangul): headings in the reader's
    language, the time as a date-time text (the gateway's 202612071013 is a number to
    Excel, shown as 2.02612E+11)."""
    def cells(item: dict[str, object], when: datetime | None) -> list[object]:
        row = [item.get(key, "") for key, _label in CSV_COLUMNS]
        if when is not None:
            row[0] = when.strftime("%Y-%m-%d %H:%M")
        return row
    return csv_response("smsresult.csv", [str(label) for _key, label in CSV_COLUMNS],
                        (cells(item, when) for item, when in zip(items, sent_at, strict=True)))
