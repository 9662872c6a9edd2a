"""Alembic migrations, on SQLite and PostgreSQL (``db_url``): they make exactly the models'
schema, adopt a database from before migrations existed, and step back to nothing; SQLite
runs in WAL mode with a busy timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from werkzeug.security import generate_password_hash

from simulator import GatewayBackend
from smsform import database
from smsform.extensions import db
from tests.db import dialect
from tests.support import ADMIN, build_app

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
# The same tables as create_all() makes them on PostgreSQL.
POSTGRES_TYPES = {"id INTEGER NOT NULL": "id SERIAL NOT NULL",
                  "DATETIME": "TIMESTAMP WITHOUT TIME ZONE"}


def file_app(where: Path | str, backend: GatewayBackend) -> Flask:
    """The real app on the SQLite file ``where`` (or the database URL), without any table
    made for it."""
    url = where if isinstance(where, str) else f"sqlite:///{where}"
    return build_app(backend, tables=None, SQLALCHEMY_DATABASE_URI=url)


def upgrade_db(app: Flask, *args: str) -> str:
    """Run ``flask upgrade-db`` as a shell would; its output (fails the test on an error)."""
    result = app.test_cli_runner().invoke(args=["upgrade-db", *args])
    assert result.exit_code == 0, result.output
    return result.output


def schema_differences(app: Flask) -> list:
    """What autogenerate would change to make the database match the models (none: [])."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": database.include_name})
        return compare_metadata(context, db.metadata)


def tables(app: Flask) -> set[str]:
    """The tables in ``app``'s database (but SQLite's send log search index, not mapped)."""
    with app.app_context():
        return {name for name in inspect(db.engine).get_table_names()
                if database.include_name(name, "table", {})}


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


def run_ddl(url: str, ddl: str) -> None:
    """Run SQLite's ``ddl`` on ``url``, in PostgreSQL's words there."""
    if dialect(url) == "postgresql":
        for sqlite_words, postgres_words in POSTGRES_TYPES.items():
            ddl = ddl.replace(sqlite_words, postgres_words)
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in filter(None, (s.strip() for s in ddl.split(";"))):
            connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture
def create_all_database(db_url: str) -> str:
    """A database as the code before migrations left it: its tables and an administrator."""
    run_ddl(db_url, CREATE_ALL_DDL)
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (username, password_hash, role, created_at) "
                 "VALUES (:name, :hash, 'admin', '2026-01-02 03:04:05.000000')"),
            {"name": ADMIN[0],
             "hash": generate_password_hash(ADMIN[1], method="pbkdf2:sha256:1000")})
    engine.dispose()
    return db_url


def test_the_migrations_have_one_head():
    assert len(ScriptDirectory(str(database.MIGRATIONS)).get_heads()) == 1


def test_upgrading_an_empty_database_makes_exactly_the_models_schema(db_url, backend):
    app = file_app(db_url, backend)
    assert tables(app) == set()
    upgrade_db(app)
    assert tables(app) == {"alembic_version", *db.metadata.tables}
    assert version(app) == [head()]
    assert schema_differences(app) == []


def test_upgrading_twice_changes_nothing(db_url, backend):
    app = file_app(db_url, backend)
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
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/smsform").status_code == 200


def test_the_create_all_schema_is_the_baseline(create_all_database, backend, new_db_url):
    baseline = file_app(new_db_url(), backend)
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


def test_a_database_with_only_some_tables_is_not_guessed_at(db_url, backend):
    run_ddl(db_url, CREATE_ALL_DDL.split("CREATE TABLE send_tokens")[0])
    app = file_app(db_url, backend)
    result = app.test_cli_runner().invoke(args=["upgrade-db"])
    assert result.exit_code != 0
    assert "missing: send_tokens" in result.output
    assert tables(app) == {"users"}


def test_downgrade_to_base_removes_every_table(db_url, backend):
    app = file_app(db_url, backend)
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


def test_0006_keeps_the_forecast_and_fills_what_was_charged(db_url, backend):
    """Each send's old cost (the forecast) stays as ``forecast``; ``cost`` becomes what the
    gateway charged by its result and mark; going back restores the one column."""
    app = file_app(db_url, backend)
    upgrade_db(app, "--revision", "0005_send_text_trgm")
    logged = [  # result, test, marked, old cost -> charged
        ("success", False, None, 3, 3), ("reserved", False, None, 2, 2),
        ("test", True, None, 0, 0), ("refused", False, None, 999, 0),
        ("not_sent", False, None, 5, 0), ("pending", False, None, 4, None),
        ("unknown", False, None, 6, None), ("unknown", False, "sent", 7, 7),
        ("unknown", False, "not_sent", 8, 0)]
    with app.app_context(), db.engine.begin() as connection:
        for result, test, marked, cost, _charged in logged:
            connection.execute(text(
                "INSERT INTO sends (created_at, actor, source, sender, kind, recipients, "
                "recipient_count, cost, test, result, marked) VALUES ('2026-12-01 00:00:00', "
                "'kim', 'form', '010-1234-5678', 'S', '[]', 1, :cost, :test, :result, :marked)"),
                {"cost": cost, "test": test, "result": result, "marked": marked})
    upgrade_db(app)
    with app.app_context():
        rows = db.session.execute(text("SELECT forecast, cost FROM sends ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(old, charged) for *_, old, charged in logged]
    assert schema_differences(app) == []
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0005_send_text_trgm"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(text("SELECT cost FROM sends ORDER BY id")).scalars().all()
    assert rows == [old for *_, old, _charged in logged]


def test_0007_and_0008_keep_tokens_and_fill_names_and_go_back(db_url, backend):
    """A token made before 0007 is a full one after it; 0008 fills each recipient's name
    from the send's JSON; both step back to 0006 leaving the rows."""
    app = file_app(db_url, backend)
    upgrade_db(app, "--revision", "0006_cost_charged")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, password_hash, role, created_at, active, "
            "session_version, must_change_password) VALUES (1, 'kim', 'x', 'sender', "
            "'2026-12-01 00:00:00', true, 1, false)"))
        connection.execute(text(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) "
            "VALUES (1, 'old', '0123456789ab', 'h', '2026-12-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO sends (id, created_at, actor, source, sender, kind, recipients, "
            "recipient_count, forecast, cost, test, result) VALUES (5, '2026-12-01 00:00:00', "
            "'kim', 'form', '010-1234-5678', 'S', :json, 2, 2, 2, false, 'success')"),
            {"json": '[["010-2222-3333", "홍길동"], ["010-4444-5555", null]]'})
        connection.execute(text(
            "INSERT INTO send_recipients (send_id, position, phone) VALUES "
            "(5, 0, '01022223333'), (5, 1, '01044445555')"))
    upgrade_db(app)
    with app.app_context():
        assert db.session.execute(text("SELECT read_only FROM api_tokens")).scalar() in (
            False, 0)
        names = db.session.execute(text(
            "SELECT name FROM send_recipients ORDER BY position")).scalars().all()
    assert names == ["홍길동", None]
    assert schema_differences(app) == []
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0006_cost_charged"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM send_recipients")).scalar()
    assert count == 2


def test_0021_moves_a_batchs_written_out_recipients_to_their_own_table_and_back(
        db_url, backend):
    """A batch made with its recipients written out (0019) keeps them after 0021, in
    ``job_batch_payloads``; one made before (none) has no row; going back to 0020 puts
    them in the batch's columns again."""
    app = file_app(db_url, backend)
    upgrade_db(app, "--revision", "0020_delivery_open")
    written = ("010-1111-2222|갑,010-1111-3333|을", '[["010-1111-2222", "갑"]]', "갑")
    with app.app_context(), db.engine.begin() as connection:
        job_id = connection.execute(text(
            "INSERT INTO jobs (created_at, actor, source, state, sender, text, subject, "
            "kind_choice, test, advertising, file_name, phone_column, fields, rows, "
            "recipient_count, refused_count, duplicate_count, opted_out_count, batch_count, "
            "sms_count, lms_count, forecast, failures_in_row) VALUES ('2026-12-01 00:00:00', "
            "'kim', 'cli', 'checking', '010-1234-5678', '{name}님', '', 'auto', false, false, "
            "'', 'phone', '[]', 3, 3, 0, 0, 0, 2, 3, 0, 3, 0) RETURNING id")).scalar_one()
        for number, (field, logged, longest) in ((1, written), (2, (None, None, None))):
            connection.execute(text(
                "INSERT INTO job_batches (job_id, number, state, kind, subject, text, named, "
                "first_position, recipient_count, forecast, recipients_field, "
                "recipients_logged, longest_name) VALUES (:job, :number, 'waiting', 'S', '', "
                "'{name}님', true, :first, 2, 2, :field, :logged, :longest)"),
                {"job": job_id, "number": number, "first": (number - 1) * 2, "field": field,
                 "logged": logged, "longest": longest})
    upgrade_db(app)
    assert schema_differences(app) == []
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT number, recipients_field, recipients_logged, longest_name "
            "FROM job_batch_payloads")).all()
        batches = db.session.execute(text("SELECT count(*) FROM job_batches")).scalar()
    assert [tuple(r) for r in rows] == [(1, *written)] and batches == 2
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0020_delivery_open"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        back = db.session.execute(text(
            "SELECT recipients_field, recipients_logged, longest_name FROM job_batches "
            "ORDER BY number")).all()
    assert [tuple(r) for r in back] == [written, (None, None, None)]
