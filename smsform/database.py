"""The database: Alembic migrations through Flask-Migrate, and SQLite's connection settings.

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

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The revision whose schema equals what db.create_all() made before migrations existed.
BASELINE = "0001_baseline"
BASELINE_TABLES = frozenset({"users", "send_tokens"})
VERSION_TABLE = "alembic_version"
SQLITE_BUSY_TIMEOUT_MS = 5000

migrate = flask_migrate.Migrate()


def init_app(app: Flask) -> None:
    """Register the migrations (``flask db ...``, ``upgrade-db``) and tune SQLite connections."""
    import smsform.models  # noqa: F401 - the tables autogenerate compares the database with

    migrate.init_app(app, db, directory=str(MIGRATIONS))
    app.cli.add_command(upgrade_db_command)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _tune_sqlite)


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
