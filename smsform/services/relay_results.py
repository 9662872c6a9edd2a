"""``sms_list.php`` for a relay site: the gateway's results, kept to the site's own sends.

The gateway has one account and no message ids, so a site's messages are found by what
the send log knows of them. The gateway is asked with the site's own filters (date, day,
kind, type, status, numbers), page after page (50 rows a call, at most ``MAX_SCAN_ROWS``
rows); a row is the site's when one of the site's logged sends (source ``relay``, its
name; accepted, pending or unknown; not a test) has the row's sender, the row's recipient,
the row's text (with that recipient's ``{name}`` merged) and a due time (the send's time
or its reservation, and each repeat after it) within ``TIME_SLACK`` of the row's minute.
The kept rows are then paged with the site's ``startNo`` and ``displayNo``, and
``totalCnt`` counts them. A send whose texts were purged from the log can no longer be
matched, and another sender's identical message to the same number in the same minutes
would match too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select

from cafe24.answers import ResultRow
from cafe24.calls import ResultQuery
from cafe24.message import merge_name
from cafe24.schedule import KST, REPEAT_NUM_MAX, REPEAT_TIME_MAX
from smsform.extensions import db
from smsform.models import Send, korea_day_start
from smsform.services import gateway
from smsform.services.relay import SOURCE, Site
from smsform.services.sendlog import digits
from smsform.states import Result

#: Rows per call of sms_list.php (its displayNo allows 1 to 50).
PER_CALL = 50
#: The most gateway rows one request of a site reads (20 calls).
MAX_SCAN_ROWS = 1000
#: How far a row's minute may be from a logged send's due time (clocks differ a little).
TIME_SLACK = timedelta(minutes=5)
DAY_MAX, DISPLAY_DEFAULT, DISPLAY_MAX = 7, 10, 50
_SEND_TYPES = ("all", "general", "reserve")
_STATUSES = ("S", "F")
_sends = Send.__table__


class BadPaging(ValueError):
    """``startNo`` or ``displayNo`` is not a number (the gateway answers -101)."""


@dataclass(frozen=True)
class SitePage:
    """One page of a site's own messages and how many there are in all."""

    total: int
    rows: list[ResultRow]


def _number(value: str, default: int) -> int:
    text = (value or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise BadPaging(text) from None


def read_query(f: Mapping[str, str]) -> tuple[ResultQuery | None, int, int]:
    """The gateway query for a site's fields (None when its date or day cannot be read:
    nothing matches, as at the gateway), and the site's (start, display).

    :raises BadPaging: paging that is not a number.
    """
    start = max(0, _number(f.get("startNo", ""), 0))
    display = min(DISPLAY_MAX, max(1, _number(f.get("displayNo", ""), DISPLAY_DEFAULT)))
    try:
        base = (datetime.strptime(f["date"].strip(), "%Y%m%d").date() if f.get("date", "")
                .strip() else datetime.now(KST).date())
        day = min(DAY_MAX, max(1, int((f.get("day") or "1").strip())))
    except ValueError:
        return None, start, display
    send_type = (f.get("sendType") or "all").strip().lower()
    status = (f.get("sendStatus") or "").strip().upper()
    query = ResultQuery(
        date=base, day=day, start=0, display=PER_CALL,
        send_type=send_type if send_type in _SEND_TYPES else "all",
        status=status if status in _STATUSES else "",
        receive_phone=(f.get("receivePhone") or "").strip(),
        send_phone=(f.get("sendPhone") or "").strip(),
        lms=(f.get("smsType") or "").strip().lower() == "lms")
    return query, start, display


def _since(query: ResultQuery) -> datetime:
    """The start of the searched window, as the log stores times (naive UTC)."""
    day: date = query.date or datetime.now(KST).date()
    return korea_day_start(day) - timedelta(days=query.day)


Key = tuple[str, str, str]  # sender digits, recipient digits, text


def _due_times(row: object) -> list[datetime]:
    """Every time the gateway lists a logged send under (aware, UTC)."""
    first = (row.reserve_at or row.created_at).replace(tzinfo=UTC)
    step = timedelta(minutes=row.repeat_minutes or 0)
    return [first + step * i for i in range(row.repeat_num or 1)]


def site_index(site: Site, since: datetime) -> dict[Key, list[datetime]]:
    """The site's logged sends that may be listed after ``since``, by sender, recipient
    and text, with their due times."""
    s = _sends.c
    repeat_span = timedelta(minutes=REPEAT_NUM_MAX * REPEAT_TIME_MAX)
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(s.sender, s.text, s.recipients, s.created_at, s.reserve_at, s.repeat_num,
                   s.repeat_minutes)
            .where(s.source == SOURCE, s.actor == site.name[:64], s.test.is_(False),
                   s.result.in_(Result.COUNTED), s.text.is_not(None),
                   or_(s.created_at >= since - repeat_span,
                       s.reserve_at >= since - repeat_span))).all()
    index: dict[Key, list[datetime]] = {}
    for row in rows:
        times = _due_times(row)
        for phone, name in json.loads(row.recipients or "[]"):
            text = merge_name(row.text, name) if name is not None else row.text
            key = (digits(row.sender), digits(phone), text.strip())
            index.setdefault(key, []).extend(times)
    return index


def _matches(row: ResultRow, index: dict[Key, list[datetime]]) -> bool:
    when = row.sent_at
    times = index.get((digits(row.send_phone), digits(row.receive_phone), row.msg.strip()))
    if when is None or not times:
        return False
    return any(abs(when - due) <= TIME_SLACK for due in times)


def site_results(site: Site, f: Mapping[str, str]) -> SitePage:
    """The page of the site's own messages that its fields ask for.

    :raises BadPaging: paging that is not a number.
    :raises cafe24.errors.Cafe24Error: the gateway could not list its results.
    """
    query, start, display = read_query(f)
    if query is None:
        return SitePage(0, [])
    try:
        since = _since(query)
    except OverflowError:  # a day at the calendar's edge: nothing was logged then
        return SitePage(0, [])
    index = site_index(site, since)
    if not index:
        return SitePage(0, [])
    kept: list[ResultRow] = []
    offset = 0
    while offset < MAX_SCAN_ROWS:
        page = gateway.client().results(replace(query, start=offset))
        kept.extend(row for row in page.rows if _matches(row, index))
        offset += len(page.rows)
        if not page.rows or offset >= page.total:
            break
    return SitePage(len(kept), kept[start:start + display])
