"""``sms_list.php`` for a relay site: the gateway's results, kept to the site's own sends.

The gateway has one account and no message ids, so a site's messages are found by what
the send log knows of them (``result_matching``). The gateway is asked with the site's
own filters (``results.build_query``, read as the gateway reads them), page after page
(``results.read``: 50 rows a call, at most ``MAX_SCAN_ROWS`` rows), each call after the
first counted against the site's rate (the request itself was counted by the relay's
gate); a row is the site's when one of the site's logged sends (source ``relay``, its
name; accepted, pending or unknown; not a test) could be it. The kept rows are then paged
with the site's ``startNo`` and ``displayNo``, and ``totalCnt`` counts them. Another
sender's identical message to the same number in the same minutes would match too.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from cafe24.answers import ResultRow
from cafe24.calls import LIST_DISPLAY_MAX, ResultQuery
from cafe24.schedule import KST
from smsform.models import Send, korea_day_start
from smsform.services import result_matching, results
from smsform.services.relay_sites import SOURCE, Site
from smsform.services.results import Meter
from smsform.states import Result

#: The most gateway rows one request of a site reads (20 calls).
MAX_SCAN_ROWS = 20 * LIST_DISPLAY_MAX
_sends = Send.__table__


@dataclass(frozen=True)
class SitePage:
    """One page of a site's own messages and how many there are in all."""

    total: int
    rows: list[ResultRow]


def _since(query: ResultQuery) -> datetime:
    """The start of the searched window, as the log stores times (naive UTC)."""
    day: date = query.date or datetime.now(KST).date()
    return korea_day_start(day) - timedelta(days=query.day)


def site_index(site: Site, since: datetime) -> result_matching.RecipientIndex:
    """The recipients of the site's logged sends that may be listed after ``since``."""
    s = _sends.c
    return result_matching.RecipientIndex(result_matching.logged_recipients(
        since, s.source == SOURCE, s.actor == site.name[:64],
        s.result.in_(Result.COUNTED)))


def site_results(site: Site, f: Mapping[str, str], meter: Meter | None = None) -> SitePage:
    """The page of the site's own messages that its fields ask for; ``meter`` counts each
    gateway call after the first.

    :raises results.BadPaging: paging that is not a number.
    :raises results.TooManyCalls: the site's rate ran out before the list was read.
    :raises cafe24.errors.Cafe24Error: the gateway could not list its results.
    """
    query = results.build_query(f, results.WIRE)
    if query is None:
        return SitePage(0, [])
    start, display = query.start, query.display
    try:
        since = _since(query)
    except OverflowError:  # a day at the calendar's edge: nothing was logged then
        return SitePage(0, [])
    index = site_index(site, since)
    if not index:
        return SitePage(0, [])
    calls = itertools.count()

    def after_the_first() -> int:
        return meter() if next(calls) and meter is not None else 0

    listing = results.read(replace(query, start=0), MAX_SCAN_ROWS, after_the_first)
    kept = [item.row for item in listing.rows if index.matches(item)]
    return SitePage(len(kept), kept[start:start + display])
