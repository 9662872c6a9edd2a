"""The gateway's results list for a kind of message, SMS and LMS together when asked.

``sms_list.php`` lists one kind per call (``smsType`` empty for SMS, ``lms`` for LMS/MMS).
"All" asks for both and merges them by time, newest first, so that a page holds exactly
the messages it would hold in one list of both kinds: for page p of n rows, the first p×n
rows of each kind are read (50 per call, the gateway's most) and rows p×n−n … p×n−1 of
the merge are kept. On ties of the minute, SMS rows come first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace

from cafe24.answers import ResultRow
from cafe24.calls import ResultQuery
from smsform.services import gateway

#: The kinds a look-up may ask for; "all" is the default.
KINDS = ("all", "sms", "lms")
#: Rows per call of sms_list.php (its displayNo allows 1 to 50).
MAX_PER_CALL = 50


@dataclass(frozen=True)
class KindRow:
    """One listed message and its kind (``sms`` or ``lms``)."""

    kind: str
    row: ResultRow


@dataclass(frozen=True)
class ResultsPage:
    """One page of messages of the asked kinds, with how many there are in all."""

    code: str
    total: int
    rows: list[KindRow]


def _kind_query(query: ResultQuery, kind: str) -> ResultQuery:
    return replace(query, lms=kind == "lms")


def _first_rows(query: ResultQuery, kind: str, count: int) -> tuple[str, int, list[KindRow]]:
    """The newest ``count`` rows of one kind (fewer when there are fewer), and its total."""
    rows: list[KindRow] = []
    code, total = "0000", 0
    while True:
        display = min(MAX_PER_CALL, count - len(rows))
        page = gateway.client().results(replace(_kind_query(query, kind), start=len(rows),
                                                display=display))
        code, total = page.code, page.total
        rows.extend(KindRow(kind, row) for row in page.rows)
        if not page.rows or len(rows) >= min(count, total):
            return code, total, rows[:count]


def _newest_first(item: KindRow) -> str:
    """The sort key: ``sendDateTime``'s digits (YYYYMMDDHHII), so later sorts higher."""
    return "".join(ch for ch in item.row.sent_at_raw if ch.isdigit())


def results_page(query: ResultQuery, kind: str = "all") -> ResultsPage:
    """The page ``query`` asks for (its ``start`` and ``display``) of ``kind``'s messages.

    :raises Cafe24Error: the gateway refused or did not answer (either call, for "all").
    """
    if kind in ("sms", "lms"):
        page = gateway.client().results(_kind_query(query, kind))
        return ResultsPage(page.code, page.total, [KindRow(kind, row) for row in page.rows])
    wanted = query.start + query.display
    code, sms_total, sms = _first_rows(query, "sms", wanted)
    _, lms_total, lms = _first_rows(query, "lms", wanted)
    merged = list(heapq.merge(sms, lms, key=_newest_first, reverse=True))
    return ResultsPage(code, sms_total + lms_total,
                       merged[query.start:query.start + query.display])
