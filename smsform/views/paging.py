"""Page links for the long lists (the send log, the audit trail, the gateway's results)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Pager:
    """Where a list's pager stands, and the links to the pages beside it (None at an end)."""

    page: int
    pages: int
    previous_url: str | None
    next_url: str | None


def pager(page: int, pages: int, url_of: Callable[[int], str]) -> Pager:
    """The pager of page ``page`` of ``pages``; ``url_of(n)`` is page n's address."""
    return Pager(page, pages, url_of(page - 1) if page > 1 else None,
                 url_of(page + 1) if page < pages else None)
