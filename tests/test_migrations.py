"""Alembic migrations: they make exactly the models' schema, adopt a database from before
migrations existed, and step back to nothing; SQLite runs in WAL mode with a busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text
from werkzeug.security import generate_password_hash

from app import create_app
from simulator import GatewayBackend
from smsform import database
from smsform.extensions import db
from tests.conftest import ADMIN

# What `db.create_all()` wrote before migrations existed (commit 5dddf31, SQLite's own dump).
CREATE_ALL_DDL = """
CREATE TABLE users (
    id INTEGER NOT NULL,
    username VARCHAR(64) NOT NULL,
    password_hash VARCHAR(256) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (username)
);
CREATE TABLE send_tokens (
    token VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    used_at DATETIME,
    outcome TEXT,
    PRIMARY KEY (token)
);
CREATE INDEX ix_send_tokens_user_id ON send_tokens (user_id);
CREATE INDEX ix_send_tokens_created_at ON send_tokens (created_at);
"""


def file_app(path: Path, backend: GatewayBackend) -> Flask:
    """The real app on the SQLite file ``path``, without any table made for it."""
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "WTF_CSRF_ENABLED": False,
        "SIMULATOR_BACKEND": backend,
    })


def upgrade_db(app: Flask, *args: str) -> str:
    """Run ``flask upgrade-db`` as a shell would; its output (fails the test on an error)."""
    result = app.test_cli_runner().invoke(args=["upgrade-db", *args])
    assert result.exit_code == 0, result.output
    return result.output


def schema_differences(app: Flask) -> list:
    """What autogenerate would change to make the database match the models (none: [])."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def tables(app: Flask) -> set[str]:
    """The tables in ``app``'s database."""
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def version(app: Flask) -> list[str]:
    """The revisions stamped in ``alembic_version``."""
    with app.app_context():
        return list(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())


def head() -> str:
    """The newest revision in migrations/."""
    return ScriptDirectory(str(database.MIGRATIONS)).get_current_head()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """A path for a SQLite file in the test's own folder (never instance/)."""
    return tmp_path / "smsform.db"


@pytest.fixture
def create_all_database(db_file: Path) -> Path:
    """A database as the code before migrations left it: its tables and an administrator."""
    with sqlite3.connect(db_file) as connection:
        connection.executescript(CREATE_ALL_DDL)
        connection.execute(
            "INSERT INTO users (username, password_hash, role, created_at) "
            "VALUES (?, ?, 'admin', '2026-01-02 03:04:05.000000')",
            (ADMIN[0], generate_password_hash(ADMIN[1], method="pbkdf2:sha256:1000")))
    connection.close()
    return db_file


def test_the_migrations_have_one_head():
    assert len(ScriptDirectory(str(database.MIGRATIONS)).get_heads()) == 1


def test_upgrading_an_empty_database_makes_exactly_the_models_schema(db_file, backend):
    app = file_app(db_file, backend)
    assert tables(app) == set()
    upgrade_db(app)
    assert tables(app) == {"alembic_version", *db.metadata.tables}
    assert version(app) == [head()]
    assert schema_differences(app) == []


def test_upgrading_twice_changes_nothing(db_file, backend):
    app = file_app(db_file, backend)
    upgrade_db(app)
    assert "adopted" not in upgrade_db(app)
    assert version(app) == [head()]


def test_a_database_from_create_all_upgrades_in_place_and_its_user_signs_in(
        create_all_database, backend):
    app = file_app(create_all_database, backend)
    assert "alembic_version" not in tables(app)
    assert f"adopted the existing database at revision {database.BASELINE}" in upgrade_db(app)
    assert version(app) == [head()]
    assert schema_differences(app) == []

    client = app.test_client()
    response = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/smsform")
    assert client.get("/smsform").status_code == 200


def test_the_create_all_schema_is_the_baseline(create_all_database, backend, tmp_path):
    baseline = file_app(tmp_path / "baseline.db", backend)
    upgrade_db(baseline, "--revision", database.BASELINE)
    old = file_app(create_all_database, backend)

    def columns(app: Flask) -> dict[str, list[tuple]]:
        with app.app_context():
            inspector = inspect(db.engine)
            return {
                table: [(c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)]
                + sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                         for i in inspector.get_indexes(table))
                + [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)]
                for table in sorted(database.BASELINE_TABLES)}

    assert columns(old) == columns(baseline)


def test_a_database_with_only_some_tables_is_not_guessed_at(db_file, backend):
    with sqlite3.connect(db_file) as connection:
        connection.executescript(CREATE_ALL_DDL.split("CREATE TABLE send_tokens")[0])
    connection.close()
    app = file_app(db_file, backend)
    result = app.test_cli_runner().invoke(args=["upgrade-db"])
    assert result.exit_code != 0
    assert "missing: send_tokens" in result.output
    assert tables(app) == {"users"}


def test_downgrade_to_base_removes_every_table(db_file, backend):
    app = file_app(db_file, backend)
    upgrade_db(app)
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(app) == {"alembic_version"}
    assert version(app) == []
    upgrade_db(app)  # and back up again
    assert schema_differences(app) == []


def test_sqlite_runs_in_wal_mode_with_normal_sync_and_a_busy_timeout(db_file, backend):
    app = file_app(db_file, backend)
    upgrade_db(app)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == (
            database.SQLITE_BUSY_TIMEOUT_MS)
