"""The database: Alembic migrations through Flask-Migrate, and each engine's connection settings.

``flask --app app upgrade-db`` (run by ``make run``) brings any database to the newest
schema, including one that ``db.create_all()`` made before there were migrations.
New schema changes: edit smsform/models.py, then ``flask --app app db migrate -m "..."``,
read the generated file in migrations/versions/, and commit it with the model change.
"""

from __future__ import annotations

from pathlib import Path

import click
import flask_migrate
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import event, inspect

from smsform.extensions import db
from smsform.models import SEND_SEARCH

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The revision whose schema equals what db.create_all() made before migrations existed.
BASELINE = "0001_baseline"
BASELINE_TABLES = frozenset({"users", "send_tokens"})
VERSION_TABLE = "alembic_version"
SQLITE_BUSY_TIMEOUT_MS = 5000

migrate = flask_migrate.Migrate()


def init_app(app: Flask) -> None:
    """Register the migrations (``flask db ...``, ``upgrade-db``) and tune each connection."""
    import smsform.models  # noqa: F401 - the tables autogenerate compares the database with

    migrate.init_app(app, db, directory=str(MIGRATIONS), include_name=include_name)
    app.cli.add_command(upgrade_db_command)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _tune_sqlite)
            elif engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _tune_postgresql)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """What Alembic compares: all but the send log's search index on SQLite (FTS5 tables
    that migration 0003 and the models' DDL make, not mapped: ``models.SEND_SEARCH``)."""
    return not (type_ == "table" and (name or "").startswith(SEND_SEARCH))


def _tune_sqlite(dbapi_connection, _connection_record) -> None:
    """WAL so readers never block the writer; NORMAL so a commit is not a disk flush (WAL
    keeps that safe: a power cut may lose the last commits, never corrupt the file); and a
    busy timeout so a second writer waits for the lock instead of failing at once."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # a no-op answer "memory" for sqlite://
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()


def _tune_postgresql(dbapi_connection, _connection_record) -> None:
    """Sessions in UTC: times are stored naive in UTC, and a server set to another zone
    would shift each zone-aware time written into a plain ``timestamp`` column by its offset."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def created() -> bool:
    """True when the database has any of the app's tables (or Alembic's): it was created,
    by ``upgrade-db`` or, before migrations, by ``db.create_all()``. One look at the
    catalogue, made only where a failure or a shell command needs to know."""
    names = set(inspect(db.engine).get_table_names())
    return bool(names & (set(db.metadata.tables) | {VERSION_TABLE}))


def adopt_unversioned() -> bool:
    """Stamp the baseline on a database that ``db.create_all()`` made (tables, no version).

    Returns whether it stamped. A database with only some of the baseline's tables is not
    guessed at: it raises ``click.ClickException`` naming the missing ones.
    """
    tables = set(inspect(db.engine).get_table_names())
    if VERSION_TABLE in tables or not tables & BASELINE_TABLES:
        return False
    missing = BASELINE_TABLES - tables
    if missing:
        raise click.ClickException(
            f"the database has some of the tables but no {VERSION_TABLE}; missing: "
            f"{', '.join(sorted(missing))}. Back it up and create the missing tables, or "
            f"start from an empty database.")
    flask_migrate.stamp(directory=str(MIGRATIONS), revision=BASELINE)
    return True


def upgrade(revision: str = "head") -> bool:
    """Bring the app's database to ``revision`` (in an app context); True if it adopted one."""
    adopted = adopt_unversioned()
    flask_migrate.upgrade(directory=str(MIGRATIONS), revision=revision)
    return adopted


@click.command("upgrade-db")
@click.option("--revision", default="head", show_default=True, help="Alembic revision.")
@with_appcontext
def upgrade_db_command(revision: str) -> None:
    """Create or upgrade the database (adopting one made before migrations existed)."""
    if upgrade(revision):
        click.echo(f"adopted the existing database at revision {BASELINE}")
