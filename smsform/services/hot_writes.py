"""The send log's hot writes, run on the driver's own cursor on SQLite.

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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.dml import Insert, Update

Processor = Callable[[Any], Any] | None
#: The SQL, the order of its parameters and how each is turned; None when the statement
#: needs a value the caller did not give (a column's default: Core computes it).
Prepared = tuple[str, tuple[str, ...], tuple[Processor, ...]] | None


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
        found = self._prepared.get(key)
        if found is None:
            columns = [name for name in names if name in self.table.c]
            compiled = self.statement.compile(dialect=dialect, column_keys=columns)
            order = tuple(compiled.positiontup or ())
            # The dialect's own type (SQLite's DATETIME writes its text form), as Core does.
            processors = tuple(compiled.binds[name].type.dialect_impl(dialect)
                               .bind_processor(dialect) for name in order)
            found = (compiled.string, order, processors) if set(order) <= set(names) else None
            with self._lock:
                self._prepared[key] = found
        return found

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int | None:
        """Run the statement with ``values``; for an INSERT, the new row's id."""
        prepared = (self._prepare(connection, tuple(sorted(values)))
                    if connection.dialect.name == "sqlite" else None)
        if prepared is None:
            result = connection.execute(self.statement, dict(values))
            if isinstance(self.statement, Insert):
                inserted = result.inserted_primary_key
                return int(inserted[0]) if inserted else None
            return None
        sql, order, processors = prepared
        params = [_turned(values[name], processor) for name, processor in zip(
            order, processors, strict=True)]
        cursor = _cursor(connection)
        try:
            cursor.execute(sql, params)
            return cursor.lastrowid
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
        sql, order, processors = prepared
        params = [[_turned(row[name], processor) for name, processor in zip(
            order, processors, strict=True)] for row in rows]
        cursor = _cursor(connection)
        try:
            cursor.executemany(sql, params)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(connection, sql, exc) from exc
        finally:
            cursor.close()


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
