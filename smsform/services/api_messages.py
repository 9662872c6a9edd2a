"""The send log as the token API reads it: one send's facts, and pages behind a cursor.

A page is read by keyset (``created_at``, then ``id``, newest first), so a cursor stays
right while new sends arrive. The cursor is the last row's position, signed, so a caller
can only hand back one this app made. The filters are the send log's
(``sendlog_query.parse_filter``); words of the text are matched with LIKE here, which
reads every text of the caller's sends (the web log has a text index for that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from smsform import logs
from smsform.extensions import db
from smsform.models import Send, in_korea, utcnow
from smsform.services import optouts, sendlog_query
from smsform.services.sending import SendResult, Status
from smsform.services.sendlog import effective_result
from smsform.services.sendlog_query import LogFilter
from smsform.services.visibility import Reader

log = logs.get("api")
_sends = Send.__table__
_CURSOR_SALT = "smsform.api-cursor"


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's time (as stored) and id."""

    created_at: datetime
    id: int


@dataclass(frozen=True)
class MessageRow:
    """What the API tells of one send (times in Korea time)."""

    id: int
    user_id: int | None
    created_at: datetime
    result: str  # effective: a pending row past the timeouts is unknown
    code: str | None
    kind: Literal["sms", "lms"]
    recipients: int
    cost: int | None  # what the gateway charged; None while pending or unknown
    forecast: int  # what the send would cost if the gateway took it
    remaining: int | None
    sender: str
    user: str
    source: str
    test: bool
    marked: str | None
    detail: str | None
    advertising: bool
    #: The opt-out list's (services.optouts): numbers an advertisement left out, and how
    #: many opted-out numbers the send concerned (left out, or reached by a notice).
    excluded: tuple[str, ...] = ()
    opted_out: int = 0


_COLUMNS = (_sends.c.id, _sends.c.user_id, _sends.c.created_at, _sends.c.result,
            _sends.c.code, _sends.c.kind, _sends.c.recipient_count, _sends.c.cost,
            _sends.c.forecast, _sends.c.remaining, _sends.c.sender, _sends.c.actor, _sends.c.source,
            _sends.c.test, _sends.c.marked, _sends.c.detail, _sends.c.advertising,
            _sends.c.excluded, _sends.c.opted_out)


def _row(row, now: datetime) -> MessageRow:
    return MessageRow(
        id=row.id, user_id=row.user_id, created_at=in_korea(row.created_at).replace(microsecond=0),
        result=effective_result(row.result, row.created_at, now), code=row.code,
        kind="lms" if row.kind == "L" else "sms", recipients=row.recipient_count,
        cost=row.cost, forecast=row.forecast, remaining=row.remaining, sender=row.sender,
        user=row.actor, source=row.source, test=bool(row.test), marked=row.marked,
        detail=row.detail, advertising=bool(row.advertising),
        excluded=tuple(json.loads(row.excluded)) if row.excluded else (),
        opted_out=row.opted_out or 0)


_BY_ID = select(*_COLUMNS).where(_sends.c.id == bindparam("send_id"))


def message(send_id: int, now: datetime | None = None) -> MessageRow | None:
    """One send's facts, or None when there is no such send."""
    with db.engine.connect() as connection:
        row = connection.execute(_BY_ID, {"send_id": send_id}).first()
    return _row(row, now or utcnow()) if row is not None else None


def answer_row(result: SendResult, *, user_id: int | None, user: str,
               source: str) -> MessageRow | None:
    """What an edge answers a send with. A send made now is answered from what the service
    wrote in its row (the same facts, without reading them back: tests/test_api.py compares
    the two); a replayed key's first send from its row in the log. When the log could not
    keep the outcome, or the first send's row cannot be read, from the gateway's answer as
    the send service has it."""
    if result.outcome_logged and result.status is Status.DUPLICATE:
        try:
            return message(result.send_id or 0)
        except SQLAlchemyError as exc:  # written, but not read back: answer all the same
            log.error("send %s: its row could not be read back (%s); answering from the "
                      "gateway's answer", result.send_id, type(exc).__name__)
    return written_row(result, user_id=user_id, user=user, source=source)


def written_row(result: SendResult, *, user_id: int | None, user: str,
                source: str) -> MessageRow:
    """The row of a send made now, from the service's own result."""
    request = result.request
    return MessageRow(
        id=result.send_id or 0, user_id=user_id,
        created_at=in_korea(result.logged_at or utcnow()).replace(microsecond=0),
        result=result.logged_as, code=result.code, kind="lms" if request.kind == "L" else "sms",
        recipients=request.recipient_count, cost=result.cost, forecast=request.cost,
        remaining=result.remaining,
        sender=request.sender_number, user=user[:64], source=source, test=request.test,
        marked=None, detail=result.detail[:300] or None, advertising=result.advertising,
        **_optout_facts(result))


def _optout_facts(result: SendResult) -> dict[str, Any]:
    """The opt-out list's facts as the send's row holds them (``optouts.log_values``)."""
    values = optouts.log_values(result.excluded, result.notices)
    return {"excluded": tuple(values.get("excluded", ())),
            "opted_out": values.get("opted_out", 0)}


def page(log_filter: LogFilter, *, reader: Reader, after: Cursor | None, limit: int,
         now: datetime | None = None) -> tuple[list[MessageRow], Cursor | None]:
    """Up to ``limit`` sends after ``after``, newest first (a number found only in the sends
    ``reader`` sees in full),
    and the cursor of the next page (None on the last); the filters read as ``/sends``
    reads them. Raises FilterError for a word with too many forms, or a search that took
    longer than sendlog_query.SEARCH_SECONDS."""
    now = now or utcnow()
    with db.engine.connect() as connection, sendlog_query.bounded(connection, log_filter):
        conditions = sendlog_query.where(connection, log_filter, now, reader=reader)
        if conditions is None:
            return [], None
        query = select(*_COLUMNS).where(*conditions)
        if after is not None:
            query = query.where(tuple_(_sends.c.created_at, _sends.c.id)
                                < (after.created_at, after.id))
        rows = connection.execute(query.order_by(_sends.c.created_at.desc(),
                                                 _sends.c.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = Cursor(rows[-1].created_at, rows[-1].id) if more else None
    return [_row(row, now) for row in rows], following


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_CURSOR_SALT)


def encode_cursor(cursor: Cursor) -> str:
    """The opaque, signed form of a page's end."""
    return _serializer().dumps([cursor.created_at.isoformat(), cursor.id])


def decode_cursor(text: str) -> Cursor | None:
    """The page end a cursor made here stands for, or None when it is not one."""
    try:
        when, send_id = _serializer().loads(text)
        return Cursor(datetime.fromisoformat(when), int(send_id))
    except (BadData, ValueError, TypeError):
        return None
