"""The send log's two word indexes on SQLite, filled in batches rather than per send.

An FTS5 index written inside a send's own transaction writes a new segment each time: it
cost a send more than its own two rows (bench: 0.15 - 0.25 ms a send). So sends are not
indexed as they are written. ``sends_search_state`` (models.SEARCH_STATE) says how far each
index has got; ``catch_up`` adds every send and recipient row past those marks in one
transaction, which costs a fraction of a millisecond for a few dozen rows. It runs:

- before any search reads an index (``sendlog_query``), so a search always sees every send
  logged before it, the one just sent included;
- after every INDEX_EVERY-th send's outcome (``sendlog.record_outcome``), so the rows
  waiting stay few whether or not anyone searches;
- after each job batch's recipient rows are copied, beside its gateway call
  (``sendlog.RowCopy``): a batch's 999 numbers cost about a millisecond while the call
  waits, where 64 batches' at once (60-80 ms) outlasted the call and held up the next.

The marks only move forward here; models' triggers keep them true when rows are deleted.
On PostgreSQL (a trigram GIN index that the database keeps) there is nothing to do.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from smsform import logs
from smsform.extensions import db
from smsform.models import SEARCH_STATE, SEND_NUMBERS, SEND_SEARCH
from smsform.services import hot_writes

log = logs.get("sendlog")

#: A send whose id is a multiple of this indexes the rows waiting after its outcome.
INDEX_EVERY = 64

_MARKS = f"SELECT texts_upto, numbers_upto FROM {SEARCH_STATE}"  # noqa: S608 - constants
_NEWEST = ("SELECT (SELECT coalesce(max(id), 0) FROM sends), "
           "(SELECT coalesce(max(rowid), 0) FROM send_recipients)")
_TAKE_LOCK = f"UPDATE {SEARCH_STATE} SET texts_upto = texts_upto"  # noqa: S608 - constants
_ADD_TEXTS = (f"INSERT INTO {SEND_SEARCH} (rowid, body) "  # noqa: S608 - constants
              "SELECT id, text || '  ' FROM sends WHERE id > ? AND id <= ? "
              "AND text IS NOT NULL")
_ADD_NUMBERS = (f"INSERT INTO {SEND_NUMBERS} (rowid, phone) "  # noqa: S608 - constants
                "SELECT rowid, phone FROM send_recipients WHERE rowid > ? AND rowid <= ?")
_MOVE_MARKS = f"UPDATE {SEARCH_STATE} SET texts_upto = ?, numbers_upto = ?"  # noqa: S608


def behind(connection: Connection) -> bool:
    """Whether rows wait to be indexed (False where there is no such index)."""
    if connection.dialect.name != "sqlite":
        return False
    try:
        marks = hot_writes.rows(connection, _MARKS)
    except OperationalError:
        return False  # a database from before the index (no such table)
    return bool(marks) and tuple(hot_writes.rows(connection, _NEWEST)[0]) != tuple(marks[0])


def catch_up(engine: Engine | None = None) -> int:
    """Index every send and recipient row past the marks, in one transaction of its own
    (on ``engine``: a thread with no app, else the app's); the number of rows indexed (0
    when none waited, or off SQLite)."""
    with (engine or db.engine).connect() as connection:
        if not behind(connection):
            return 0
        with connection.begin():
            connection.exec_driver_sql(_TAKE_LOCK)  # the write lock first: marks then hold
            texts_upto, numbers_upto = connection.exec_driver_sql(_MARKS).one()
            newest_send, newest_recipient = connection.exec_driver_sql(_NEWEST).one()
            texts = connection.exec_driver_sql(_ADD_TEXTS, (texts_upto, newest_send)).rowcount
            numbers = connection.exec_driver_sql(
                _ADD_NUMBERS, (numbers_upto, newest_recipient)).rowcount
            connection.exec_driver_sql(_MOVE_MARKS, (max(texts_upto, newest_send),
                                                     max(numbers_upto, newest_recipient)))
    return max(texts, 0) + max(numbers, 0)


def after_send(send_id: int, engine: Engine | None = None, *, always: bool = False) -> None:
    """Every INDEX_EVERY-th send (every one with ``always``): index the rows waiting. A
    failure (the database busy) is only logged: the send is recorded, and the next
    catch-up takes these rows too."""
    if send_id % INDEX_EVERY and not always:
        return
    try:
        catch_up(engine) if engine is not None else catch_up()
    except OperationalError as exc:
        log.warning("send log: indexing the texts of the sends up to %s failed: %s",
                    send_id, exc.orig)
