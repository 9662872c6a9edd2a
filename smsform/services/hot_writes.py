"""The send path's hot statements, run on the driver's own cursor on SQLite: the send log's
writes, and the few one-row reads every send makes (``HotRead``).

Every send writes its intent row (and its recipients) before the gateway call and its
outcome after. Through SQLAlchemy Core each of those statements spends more on its
execution context, bind processing and result object than SQLite spends running it
(bench: the intent and the outcome of a send took 0.50 ms through Core against 0.25 ms
this way, the same triggers and commits included). A ``HotWrite`` is one such statement,
compiled once per dialect and set of columns. On SQLite it runs on the connection's DBAPI
cursor inside the caller's Core transaction, its values turned by SQLAlchemy's own bind
processors (so every value is stored exactly as Core stores it), and a driver error comes
back as SQLAlchemy's own (``IntegrityError`` for a send key already taken), its
parameters hidden as the engine hides them. On any other database it is a Core execute.

A ``HotRead`` is the same for a SELECT of one row (a relay site by its id, an API token by
its prefix, the newest credit known, the signed-in user): its values turned by the column
types' own result processors (a SQLite DATETIME comes back a ``datetime``, as from Core),
the row a named tuple read by attribute as a Core row is (bench: a site look-up 73 -> 25
µs).

``connect`` and ``begin`` are ``engine.connect()`` and ``engine.begin()`` for the send
path's blocks (a token's or a site's look-up, the opt-out look-up, the intent, the
outcome). Inside ``hold()`` (the app holds one per request: app.py) on SQLite they share
one pool checkout instead of one each (four to seven a send, ≈ 10-15 µs each): each block
still ends its own transaction (a read's is rolled back, a write's committed) exactly as a
connection of its own would, a block inside another gets a connection of its own (as
today), a block that fails gives its connection back, and ``let_go_for_now()`` returns it
to the pool while a request waits for something slow (the gateway call) unless the pool
has room to spare, so a request never holds a connection through it that another needs.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import Insert, Update

Processor = Callable[[Any], Any] | None
#: The SQL, the order of its parameters, how each is turned and the values of the columns
#: the caller left out that have a constant default (filled as Core fills them); None when
#: the statement needs a value the caller did not give and no constant stands for it (a
#: computed default: Core computes it).
Prepared = tuple[str, tuple[str, ...], tuple[Processor, ...], dict[str, Any]] | None
_UNSEEN = object()


class HotWrite:
    """One INSERT or UPDATE of the send log, for whichever columns a call names."""

    def __init__(self, statement: Insert | Update, table: Table) -> None:
        self.statement = statement
        self.table = table
        self._prepared: dict[tuple[str, tuple[str, ...]], Prepared] = {}
        self._lock = threading.Lock()

    def _prepare(self, connection: Connection, names: tuple[str, ...]) -> Prepared:
        dialect = connection.dialect
        key = (dialect.name, names)
        found = self._prepared.get(key, _UNSEEN)
        if found is _UNSEEN:
            columns = [name for name in names if name in self.table.c]
            compiled = self.statement.compile(dialect=dialect, column_keys=columns)
            order, processors = _parameters(compiled, dialect)
            defaults = _constant_defaults(self.table, set(order) - set(names))
            found = (None if defaults is None
                     else (compiled.string, order, processors, defaults))
            with self._lock:  # None too: a statement for Core is not compiled again
                self._prepared[key] = found
        return found  # type: ignore[return-value]

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int | None:
        """Run the statement with ``values``; for an INSERT, the new row's id, for an
        UPDATE the rows it changed."""
        prepared = (self._prepare(connection, tuple(sorted(values)))
                    if connection.dialect.name == "sqlite" else None)
        if prepared is None:
            result = connection.execute(self.statement, dict(values))
            if isinstance(self.statement, Insert):
                inserted = result.inserted_primary_key
                return int(inserted[0]) if inserted else None
            return result.rowcount
        sql, order, processors, defaults = prepared
        if defaults:
            values = {**defaults, **values}
        params = [_turned(values[name], processor) for name, processor in zip(
            order, processors, strict=True)]
        cursor = _cursor(connection)
        try:
            cursor.execute(sql, params)
            return cursor.lastrowid if isinstance(self.statement, Insert) else cursor.rowcount
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(connection, sql, exc) from exc
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row (every row names the same columns)."""
        if not rows:
            return
        prepared = (self._prepare(connection, tuple(sorted(rows[0])))
                    if connection.dialect.name == "sqlite" else None)
        if prepared is None:
            connection.execute(self.statement, [dict(row) for row in rows])
            return
        sql, order, processors, defaults = prepared
        if defaults:
            rows = [{**defaults, **row} for row in rows]
        if any(processors):
            params: Any = [[_turned(row[name], processor) for name, processor in zip(
                order, processors, strict=True)] for row in rows]
        else:  # nothing to turn (integers and text on SQLite): each row's values in order
            params = map(itemgetter(*order) if len(order) > 1 else _one(order[0]), rows)
        cursor = _cursor(connection)
        try:
            cursor.executemany(sql, params)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(connection, sql, exc) from exc
        finally:
            cursor.close()


#: The SQL, the order of its parameters, how each is turned, the statement's own values
#: (a LIMIT's), how each column comes back and the row's type.
PreparedRead = tuple[str, tuple[str, ...], tuple[Any, ...], dict[str, Any], tuple[Any, ...],
                     Any]


class HotRead:
    """One SELECT on a send's path that reads at most one row."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._prepared: dict[str, PreparedRead] = {}
        self._lock = threading.Lock()

    def _prepare(self, connection: Connection) -> PreparedRead:
        dialect = connection.dialect
        found = self._prepared.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order, binds = _parameters(compiled, dialect)
            columns = list(self.statement.selected_columns)
            results = tuple(column.type.dialect_impl(dialect).result_processor(
                dialect, None) for column in columns)
            row_type = namedtuple("HotRow", [column.key for column in columns])  # type: ignore[misc]  # noqa: PYI024
            made: PreparedRead = (compiled.string, order, binds,
                                  {name: bind.effective_value
                                   for name, bind in compiled.binds.items()
                                   if not bind.required}, results, row_type)
            with self._lock:
                self._prepared[dialect.name] = made
            return made
        return found

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first row the statement reads with ``values`` (by attribute), or None."""
        if connection.dialect.name != "sqlite":
            return connection.execute(self.statement, dict(values)).first()
        sql, order, binds, own, results, row_type = self._prepare(connection)
        params = [_turned(values[name] if name in values else own[name], processor)
                  for name, processor in zip(order, binds, strict=True)]
        found = rows(connection, sql, params)
        if not found:
            return None
        row = found[0]
        return row_type._make(_turned(value, processor) for value, processor in zip(
            row, results, strict=True))


def rows(connection: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """The rows of a SELECT (``?`` marks) run on SQLite's own cursor inside ``connection``,
    a driver error raised as a Core execute raises it (its parameters hidden)."""
    cursor = _cursor(connection)
    try:
        return cursor.execute(sql, params).fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(connection, sql, exc) from exc
    finally:
        cursor.close()


def run(connection: Connection, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> int:
    """Run one INSERT, UPDATE or DELETE (``?`` marks, or ``:name`` with a mapping) on
    SQLite's own cursor inside ``connection``'s transaction; the rows it changed, a driver
    error raised as a Core execute raises it (its parameters hidden)."""
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, params)
        return cursor.rowcount
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(connection, sql, exc) from exc
    finally:
        cursor.close()


class DriverStatement:
    """One statement of a server database's hot path (PostgreSQL: the bulk worker's claim
    with its intent), compiled once for the connection's dialect and run on the driver's
    own cursor: Core's execute computes the construct's cache key and builds an execution
    context and a result on every call (a CTE of 30 parameters: a few tenths of a
    millisecond). Its values are turned by their types' own bind processors, as Core turns
    them; a driver error comes back as SQLAlchemy's own (``IntegrityError``), its
    parameters hidden. For a connection in autocommit (no transaction of Core's around it),
    or inside one."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, dict[str, Callable[[Any], Any]]]] = {}

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run it with ``values`` (every parameter named); its first row, if any."""
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            processors = {name: processor for name, bind in compiled.binds.items()
                          if (processor := bind.type.dialect_impl(dialect)
                              .bind_processor(dialect)) is not None}
            found = self._compiled[dialect.name] = (compiled.string, processors)
        sql, processors = found
        params = {name: processors[name](value) if name in processors else value
                  for name, value in values.items()}
        cursor = _cursor(connection)
        try:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description is not None else None
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(connection, sql, exc) from exc
        finally:
            cursor.close()


def _parameters(compiled: Any, dialect: Any) -> tuple[tuple[str, ...], tuple[Processor, ...]]:
    """A compiled statement's parameters in order, each with its type's bind processor (the
    dialect's own type: SQLite's DATETIME writes its text form, as Core does)."""
    order = tuple(compiled.positiontup or ())
    return order, tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                        for name in order)


def _constant_defaults(table: Table, missing: set[str]) -> dict[str, Any] | None:
    """The constant Python-side defaults of the columns in ``missing`` (a recipient's
    ``delivery_ambiguous=False``), or None when one of them has none (a computed default, or
    a parameter that is no column)."""
    defaults: dict[str, Any] = {}
    for name in missing:
        column = table.c.get(name)
        default = column.default if column is not None else None
        if default is None or not default.is_scalar:
            return None
        defaults[name] = default.arg  # type: ignore[attr-defined]
    return defaults


def _one(name: str) -> Callable[[Mapping[str, Any]], tuple[Any]]:
    return lambda row: (row[name],)


def _turned(value: Any, processor: Processor) -> Any:
    return processor(value) if processor is not None else value


def _cursor(connection: Connection) -> Any:
    """A cursor of the DBAPI connection under ``connection`` (its transaction)."""
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _wrapped(connection: Connection, sql: str, exc: Exception) -> StatementError:
    """The driver's error as SQLAlchemy raises it for a Core execute, parameters hidden (a
    DBAPIError subclass for the driver's own errors, a StatementError for any other)."""
    return DBAPIError.instance(sql, None, exc, connection.dialect.loaded_dbapi.Error,
                               hide_parameters=True, dialect=connection.dialect)


# --- one connection for a request's blocks (SQLite) ------------------------------------


class _Held:
    """The connection a request's blocks share: checked out at the first block, kept while
    no block is open, given back by ``let_go``/``let_go_for_now`` or a failing block."""

    __slots__ = ("busy", "connection", "engine", "thread")

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.connection: Connection | None = None
        self.busy = False
        self.thread = threading.get_ident()

    def usable(self, engine: Engine) -> bool:
        """True when a block on ``engine`` may take the held connection now."""
        return (not self.busy and engine.dialect.name == "sqlite"
                and (self.engine is None or self.engine is engine)
                and self.thread == threading.get_ident())

    def take(self, engine: Engine) -> Connection:
        if self.connection is None or self.connection.closed or self.connection.invalidated:
            self.connection = engine.connect()
            self.engine = engine
        self.busy = True
        return self.connection

    def give_back(self) -> None:
        connection, self.connection, self.engine = self.connection, None, None
        if connection is not None:
            connection.close()


_held: ContextVar[_Held | None] = ContextVar("smsform_held_connection", default=None)


def hold() -> None:
    """From now on in this context (a request: app.py), ``connect`` and ``begin`` on SQLite
    share one connection, checked out at the first block."""
    _held.set(_Held())


def let_go(_exc: BaseException | None = None) -> None:
    """The end of ``hold()``: the shared connection goes back to the pool."""
    held = _held.get()
    _held.set(None)
    if held is not None:
        held.give_back()


def let_go_for_now() -> None:
    """Before a slow wait (the gateway call): return the shared connection to the pool
    until the next block, unless a block is using it or the pool has room to spare.

    An idle SQLite connection holds no lock (each block ended its transaction), so keeping
    it through the wait costs only its place in the pool: it is kept while fewer than the
    pool's size are checked out (``pool_size``; its overflow stays free for everyone), and
    given back once they are not, so no request waits for a connection because others are
    waiting on the gateway. Kept, it spares the send a second checkout and its return
    (2.5 % of an API send's own instructions: docs/performance.md)."""
    held = _held.get()
    if held is not None and not held.busy and not (
            held.engine is not None and _room_to_spare(held.engine)):
        held.give_back()


def _room_to_spare(engine: Engine) -> bool:
    """True when fewer connections than the pool's size are checked out (a pool that
    cannot say, such as an in-memory database's: False)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return False
    return pool.checkedout() < pool.size()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """``engine.connect()`` for one block; inside ``hold()`` on SQLite, the shared
    connection, whose transaction (if the block began one) is rolled back at the end as
    closing a connection of its own would."""
    held = _held.get()
    if held is None or not held.usable(engine):
        with engine.connect() as connection:
            yield connection
        return
    connection = held.take(engine)
    try:
        yield connection
        if connection.in_transaction():
            connection.rollback()
    except BaseException:
        held.give_back()  # whatever state it is in: the next block takes a fresh one
        raise
    finally:
        held.busy = False


@contextmanager
def begin(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()`` for one block: its statements in one transaction, committed at
    the end (rolled back if it raises); inside ``hold()`` on SQLite, on the shared
    connection."""
    with connect(engine) as connection, connection.begin():
        yield connection
