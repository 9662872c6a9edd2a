"""The gateway's result list (``sms_list.php``): the one query builder, the one reader.

Every edge that lists results (``/smsresult``, the relay's ``sms_list.php``) reads its
fields into a ``ResultQuery`` with ``build_query`` (under the gateway's own field names) and
reads the list with ``read``: at most ``LIST_DISPLAY_MAX`` rows a call, page after page
from the query's ``start`` until it has the rows it wants or the list ends, each call
counted first by the caller's ``Meter`` (its rate: ``TooManyCalls`` when it is spent).

``sms_list.php`` lists one kind per call (``smsType`` empty for SMS, ``lms`` for LMS/MMS).
"All" asks for both and merges them by time, newest first, so that a page holds exactly
the messages it would hold in one list of both kinds: for page p of n rows, the first p×n
rows of each kind are read and rows p×n−n … p×n−1 of the merge are kept. On ties of the
minute, SMS rows come first.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

from cafe24.answers import ResultRow
from cafe24.calls import LIST_DAY_MAX, LIST_DISPLAY_DEFAULT, LIST_DISPLAY_MAX, ResultQuery
from cafe24.client import Cafe24Client
from cafe24.phone import normalize_phone
from smsform.services import gateway

#: The kinds a look-up may ask for; "all" is the default.
KINDS = ("all", "sms", "lms")

#: Counts one gateway call against someone's rate: 0 when it may be made, else the whole
#: seconds until another may (``smsform.limiter.request_wait`` bound to a user or a site).
Meter = Callable[[], int]


class BadPaging(ValueError):
    """``startNo`` or ``displayNo`` is not a number (the gateway answers -101)."""


class TooManyCalls(Exception):  # noqa: N818 - a refusal, named as the caller meets it
    """The caller's rate of list calls is spent: ``wait`` seconds until the next one."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"list calls throttled for {wait} s")
        self.wait = wait


@dataclass(frozen=True)
class Reading:
    """How an edge reads the list's fields: a page falls back on each value's default, the
    wire answers as the gateway does (paging that is no number refused, a date or day that
    cannot be read lists nothing, numbers passed on as typed)."""

    display_default: int
    strict: bool


#: ``/smsresult``'s query string.
PAGE = Reading(display_default=20, strict=False)
#: The relay's ``sms_list.php`` fields.
WIRE = Reading(display_default=LIST_DISPLAY_DEFAULT, strict=True)


class _Unreadable(ValueError):
    """A strict reading's date or day that is no date or number."""


def _number(text: str, default: int, reading: Reading, refusal: type[ValueError]) -> int:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        if reading.strict:
            raise refusal(text) from None
        return default


def _date(text: str, reading: Reading) -> date | None:
    raw = (text or "").strip()
    if not reading.strict:
        raw = raw.replace("-", "")  # the page's date field writes YYYY-MM-DD
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        if reading.strict:
            raise _Unreadable(raw) from None
        return None


def _phone(text: str, reading: Reading) -> str:
    text = (text or "").strip()
    return text if reading.strict else normalize_phone(text) or ""


def build_query(fields: Mapping[str, str], reading: Reading) -> ResultQuery | None:
    """The gateway query for ``fields`` (``date``, ``day``, ``startNo``, ``displayNo``,
    ``sendType``, ``sendStatus``, ``receivePhone``, ``sendPhone``, ``smsType``), kept within
    the gateway's ranges (``LIST_DAY_MAX`` days, ``LIST_DISPLAY_MAX`` rows). None when a
    strict reading's date or day cannot be read (nothing matches, as at the gateway).

    :raises BadPaging: a strict reading's paging that is not a number.
    """
    start = max(0, _number(fields.get("startNo", ""), 0, reading, BadPaging))
    display = min(LIST_DISPLAY_MAX, max(1, _number(fields.get("displayNo", ""),
                                                   reading.display_default, reading,
                                                   BadPaging)))
    try:
        day = min(LIST_DAY_MAX, max(1, _number(fields.get("day", ""), 1, reading,
                                               _Unreadable)))
        base = _date(fields.get("date", ""), reading)
    except _Unreadable:
        return None
    send_type = (fields.get("sendType") or "all").strip().lower()
    status = (fields.get("sendStatus") or "").strip().upper()
    return ResultQuery(
        date=base, day=day, start=start, display=display,
        send_type=send_type if send_type in ResultQuery.SEND_TYPES else "all",
        status=status if status in ResultQuery.STATUSES else "",
        receive_phone=_phone(fields.get("receivePhone", ""), reading),
        send_phone=_phone(fields.get("sendPhone", ""), reading),
        lms=(fields.get("smsType") or "").strip().lower() == "lms")


class KindRow(NamedTuple):
    """One listed message and its kind (``sms`` or ``lms``: the list it came from); a named
    tuple: the delivery sync wraps 100,000 of them."""

    kind: str
    row: ResultRow


@dataclass(frozen=True)
class Listing:
    """Rows of one kind's list as the gateway gave them, its code and its total."""

    code: str
    total: int
    rows: list[KindRow]
    calls: int


def _kind_of(query: ResultQuery) -> str:
    return "lms" if query.lms else "sms"


def pages(query: ResultQuery, count: int | None = None, meter: Meter | None = None,
          client: Cafe24Client | None = None) -> Iterator[Listing]:
    """The list of ``query``'s kind from ``query.start``, one gateway call a page of at most
    ``LIST_DISPLAY_MAX`` rows (fewer for the last of ``count`` rows), until the list ends or
    ``count`` rows were read; the caller may stop earlier. ``meter`` counts each call
    before it is made. ``client`` is the app's unless another is given (``/gateway``'s
    look-up client).

    :raises TooManyCalls: ``meter`` refused a call.
    :raises cafe24.errors.Cafe24Error: the gateway refused or did not answer.
    """
    kind, read_so_far = _kind_of(query), 0
    while True:
        wait = meter() if meter is not None else 0
        if wait:
            raise TooManyCalls(wait)
        display = LIST_DISPLAY_MAX if count is None \
            else min(LIST_DISPLAY_MAX, count - read_so_far)
        page = (client or gateway.client()).results(replace(
            query, start=query.start + read_so_far, display=display))
        rows = [KindRow(kind, row) for row in page.rows]
        read_so_far += len(rows)
        yield Listing(page.code, page.total, rows, 1)
        if not rows or query.start + read_so_far >= page.total \
                or (count is not None and read_so_far >= count):
            return


def read(query: ResultQuery, count: int, meter: Meter | None = None,
         client: Cafe24Client | None = None) -> Listing:
    """The first ``count`` rows from ``query.start`` of its kind's list (fewer when there
    are fewer), through ``pages``.

    :raises TooManyCalls: ``meter`` refused a call (the rows read so far are dropped).
    :raises cafe24.errors.Cafe24Error: the gateway refused or did not answer.
    """
    rows: list[KindRow] = []
    code, total, calls = "", 0, 0
    for page in pages(query, max(1, count), meter, client):
        code, total, calls = page.code, page.total, calls + 1
        rows.extend(page.rows)
    return Listing(code, total, rows, calls)


@dataclass(frozen=True)
class ResultsPage:
    """One page of messages of the asked kinds, with how many there are in all."""

    code: str
    total: int
    rows: list[KindRow]


def _newest_first(item: KindRow) -> str:
    """The sort key: ``sendDateTime``'s digits (YYYYMMDDHHII), so later sorts higher."""
    return "".join(ch for ch in item.row.sent_at_raw if ch.isdigit())


def results_page(query: ResultQuery, kind: str = "all", meter: Meter | None = None
                 ) -> ResultsPage:
    """The page ``query`` asks for (its ``start`` and ``display``) of ``kind``'s messages.

    :raises TooManyCalls: ``meter`` refused one of the calls.
    :raises Cafe24Error: the gateway refused or did not answer (either list, for "all").
    """
    if kind in ("sms", "lms"):
        one = read(replace(query, lms=kind == "lms"), query.display, meter)
        return ResultsPage(one.code, one.total, one.rows)
    wanted = query.start + query.display
    sms = read(replace(query, lms=False, start=0), wanted, meter)
    lms = read(replace(query, lms=True, start=0), wanted, meter)
    merged = list(heapq.merge(sms.rows, lms.rows, key=_newest_first, reverse=True))
    return ResultsPage(sms.code, sms.total + lms.total,
                       merged[query.start:query.start + query.display])
