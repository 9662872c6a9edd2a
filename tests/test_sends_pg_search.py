"""The send log's word search on PostgreSQL (migration 0005_send_text_trgm): the GIN trigram
index of the texts that migration and ``create_all`` make alike, the plans that use it, the
same answers as SQLite's FTS5 search, the round trip down and up, and an upgrade without the
right to create pg_trgm. Each test runs on the throwaway cluster of tests/db.py."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import flask_migrate
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event, text

from simulator import GatewayBackend
from smsform import database
from smsform.extensions import db
from smsform.models import SEND_TEXT_TRGM, Send, utcnow
from smsform.services import sendlog_query
from tests.db import SUPERUSER, PostgresCluster, in_ci
from tests.support import build_app, sign_in

pytestmark = pytest.mark.slow  # every test here runs on the PostgreSQL cluster

JSON = {"Accept": "application/json"}
BEFORE = "0004_relay_api"
TRGM_REVISION = "0005_send_text_trgm"
HEAD = ScriptDirectory(str(database.MIGRATIONS)).get_current_head()
INDEX_DEF = f"CREATE INDEX {SEND_TEXT_TRGM} ON public.sends USING gin (text gin_trgm_ops)"

# Texts with Korean and English words, mixed case, and LIKE's specials (% _ \).
TEXTS = (
    "[스마트상사] 재입고 알림: 찜하신 상품이 다시 입고되었습니다.",
    "재입고 SALE 알림",
    "회원 전용 Sale 쿠폰이 발급되었습니다. 50% 할인",
    "배송 안내: 주문번호 A_1 상품이 배송 중입니다.",
    "100% 당첨! 50%off 이벤트",
    "snake_case and CamelCase",
    "경로 C:\\temp\\x 를 확인하세요",
    "ab cd ABCD",
)
# Words to look for: each text that holds every word, in any case, is found.
QUERIES = (
    "재입고", "입고", "재입고 sale", "sale", "SALE", "SaLe", "sale 50%", "스마트상사",
    "배송", "상품이 배송", "없는말", "환불",
    "50%", "0%", "%o", "e%c",  # % is a plain character (e%c would match snake_case)
    "a_1", "_1", "e_c", "a_e",  # and so is _ (a_e would match snake)
    "c:\\temp", "\\t", "\\x", "p\\",  # and \
    "ab", "AB", "abcd", "cd ab", "camelcase", "ake_ca",
)
# Case beyond ASCII: folded by SQLite's index, and by PostgreSQL where LC_CTYPE knows it.
UNICODE_TEXTS = ("ÄPFEL und Öl", "Ελληνικά ΚΕΙΜΕΝΟ")
UNICODE_QUERIES = ("äpfel", "ÖL", "öl äpf", "κειμενο", "ελλην")


# -- databases --------------------------------------------------------------------------


def _admin(cluster: PostgresCluster, *statements: str, database: str = "postgres") -> None:
    with psycopg.connect(host="127.0.0.1", port=cluster.port, user=SUPERUSER,
                         dbname=database, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def utf8_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh database whose LC_CTYPE is C.UTF-8, where pg_trgm takes Hangul as letters (the
    cluster's own databases are C: only ASCII)."""
    name = f"utf8_{uuid.uuid4().hex[:12]}"
    try:
        _admin(postgres_cluster, f'CREATE DATABASE "{name}" TEMPLATE template0 '
               "ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    except psycopg.Error as exc:
        if in_ci():
            pytest.fail(f"no C.UTF-8 database: {exc}", pytrace=False)
        pytest.skip(f"this system has no C.UTF-8 locale for PostgreSQL: {exc}")
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


@pytest.fixture(params=["C", "C.UTF-8"])
def pg_url(request: pytest.FixtureRequest) -> str:
    """A fresh database of each LC_CTYPE: C (pg_trgm indexes only ASCII) and C.UTF-8."""
    return request.getfixturevalue("postgres_url" if request.param == "C" else "utf8_url")


def app_on(url: str, backend: GatewayBackend) -> Flask:
    """The real app on ``url``, no table made for it."""
    return build_app(backend, tables=None, SQLALCHEMY_DATABASE_URI=url)


def migrated(url: str, backend: GatewayBackend, revision: str = "head") -> Flask:
    app = app_on(url, backend)
    with app.app_context():
        database.upgrade(revision)
    return app


def schema_differences(app: Flask) -> list:
    """What autogenerate would change to make the database match the models (none: [])."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": database.include_name})
        return compare_metadata(context, db.metadata)


def scalars(app: Flask, sql: str) -> list:
    with app.app_context():
        return list(db.session.execute(text(sql)).scalars())


def trgm_indexes(app: Flask) -> list[str]:
    """The definitions of the trigram indexes on sends (pg_indexes)."""
    return scalars(app, "SELECT indexdef FROM pg_indexes WHERE tablename = 'sends' "
                        "AND indexdef LIKE '%gin_trgm_ops%'")


def has_pg_trgm(app: Flask) -> bool:
    return scalars(app, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == [1]


def log_texts(app: Flask, texts: tuple[str, ...], old_schema: bool = False) -> list[int]:
    """Log one send per text, oldest first (a minute apart); their ids. ``old_schema``: in
    the columns of a revision before 0006 (one ``cost``), as the code of then wrote them."""
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        if old_schema:
            with db.engine.begin() as connection:
                return [connection.execute(text(
                    "INSERT INTO sends (created_at, actor, source, sender, kind, text, "
                    "recipients, recipient_count, cost, test, result, code) VALUES (:at, "
                    "'someone', 'form', '010-1234-5678', 'S', :body, '[]', 1, 1, false, "
                    "'success', 'success') RETURNING id"),
                    {"at": start + timedelta(minutes=i), "body": body}).scalar_one()
                    for i, body in enumerate(texts)]
        sends = [Send(created_at=start + timedelta(minutes=i), actor="someone", source="form",
                      sender="010-1234-5678", kind="S", text=body, recipients="[]",
                      recipient_count=1, forecast=1, cost=1, result="success",
                      code="success")
                 for i, body in enumerate(texts)]
        db.session.add_all(sends)
        db.session.commit()
        return [send.id for send in sends]


def found(client, q: str) -> tuple[list[int], int]:
    """The ids /sends answers for the words ``q`` (newest first), and its total."""
    answer = client.get("/sends", query_string={"q": q}, headers=JSON)
    assert answer.status_code == 200, (q, answer.get_data(as_text=True))
    body = answer.get_json()
    return [item["id"] for item in body["items"]], body["total"]


def expected(ids: list[int], texts: tuple[str, ...], q: str) -> list[int]:
    """The texts holding every word of ``q`` in any case, newest first: the rule itself."""
    words = q.lower().split()
    return [i for i, body in zip(reversed(ids), reversed(texts), strict=True)
            if all(word in body.lower() for word in words)]


# -- the index --------------------------------------------------------------------------


def test_the_migration_and_create_all_make_the_same_trigram_index(postgres_url,
                                                                  postgres_cluster, backend):
    app = migrated(postgres_url, backend)
    assert has_pg_trgm(app)
    assert trgm_indexes(app) == [INDEX_DEF]
    assert schema_differences(app) == []
    other = postgres_cluster.create_database()
    try:
        fresh = build_app(backend, SQLALCHEMY_DATABASE_URI=postgres_cluster.url(other))
        assert has_pg_trgm(fresh)
        assert trgm_indexes(fresh) == [INDEX_DEF]
        with fresh.app_context():
            db.engine.dispose()
    finally:
        postgres_cluster.drop_database(other)


# Alembic says it skips the index on SQLite (models.py silences that, but pytest resets the
# warning filters set at import).
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_sqlite_gets_no_trigram_index(tmp_path, backend):
    app = migrated(f"sqlite:///{tmp_path / 'log.db'}", backend)
    named = f"SELECT name FROM sqlite_master WHERE name = '{SEND_TEXT_TRGM}'"  # noqa: S608
    assert scalars(app, named) == []
    assert scalars(build_app(backend), named) == []
    assert schema_differences(app) == []


def test_upgrade_db_indexes_a_log_of_the_previous_revision_in_place(utf8_url, backend):
    app = migrated(utf8_url, backend, BEFORE)
    old = log_texts(app, ("업그레이드 전에 보낸 재입고 알림", "배송 안내"), old_schema=True)
    assert trgm_indexes(app) == []
    result = app.test_cli_runner().invoke(args=["upgrade-db"])
    assert result.exit_code == 0, result.output
    assert scalars(app, "SELECT version_num FROM alembic_version") == [HEAD]
    assert trgm_indexes(app) == [INDEX_DEF]
    client = sign_in(app, "viewer")
    assert found(client, "재입고") == ([old[0]], 1)
    assert found(client, "입고") == ([old[0]], 1)


def test_the_downgrade_drops_the_index_keeps_the_extension_and_upgrades_again(postgres_url,
                                                                              backend):
    app = migrated(postgres_url, backend)
    ids = log_texts(app, ("재입고 SALE 알림", "배송 안내"))
    client = sign_in(app, "viewer")
    with app.app_context():
        flask_migrate.downgrade(directory=str(database.MIGRATIONS), revision=BEFORE)
    assert trgm_indexes(app) == []
    assert has_pg_trgm(app)
    with app.app_context():
        database.upgrade()
    assert trgm_indexes(app) == [INDEX_DEF]
    assert schema_differences(app) == []
    assert found(client, "sale") == ([ids[0]], 1)
    with app.app_context():
        flask_migrate.downgrade(directory=str(database.MIGRATIONS), revision="base")
        database.upgrade()
    assert trgm_indexes(app) == [INDEX_DEF]


@pytest.fixture
def unprivileged_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A database owned by the superuser, and a role that may make tables in its schema but
    not create an extension (no CREATE on the database); the URL as that role."""
    suffix = uuid.uuid4().hex[:12]
    name, role = f"noext_{suffix}", f"noext_{suffix}"
    _admin(postgres_cluster, f'CREATE ROLE "{role}" LOGIN',
           f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    _admin(postgres_cluster, f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"',
           database=name)
    yield f"postgresql+psycopg://{role}@127.0.0.1:{postgres_cluster.port}/{name}"
    postgres_cluster.drop_database(name)
    _admin(postgres_cluster, f'DROP ROLE "{role}"')


def test_without_the_right_to_create_pg_trgm_the_upgrade_warns_and_search_reads_texts(
        unprivileged_url, backend, caplog):
    app = app_on(unprivileged_url, backend)
    with caplog.at_level(logging.WARNING), app.app_context():
        database.upgrade()
    assert scalars(app, "SELECT version_num FROM alembic_version") == [HEAD]
    assert not has_pg_trgm(app)
    assert trgm_indexes(app) == []
    assert any("pg_trgm could not be created" in r.getMessage() for r in caplog.records)
    ids = log_texts(app, ("재입고 SALE 알림", "배송 안내"))
    client = sign_in(app, "viewer")
    assert found(client, "SALE 입고") == ([ids[0]], 1)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
        db.create_all()  # the models leave the index out too, and fail nothing
    assert trgm_indexes(app) == []


# -- the same answers as SQLite ---------------------------------------------------------


@pytest.fixture
def sqlite_answers(backend: GatewayBackend) -> dict[str, tuple[list[int], int]]:
    """What SQLite's FTS5 search answers for each query (ids as positions in the texts)."""
    app = build_app(backend)
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM sqlite_master "
                                       "WHERE name = 'sends_search'")).scalar() == 1
    ids = log_texts(app, TEXTS + UNICODE_TEXTS)
    client = sign_in(app, "viewer")
    return {q: _positions(found(client, q), ids) for q in QUERIES + UNICODE_QUERIES}


def _positions(answer: tuple[list[int], int], ids: list[int]) -> tuple[list[int], int]:
    rows, total = answer
    return [ids.index(i) for i in rows], total


def test_words_find_the_same_sends_as_on_sqlite(pg_url, backend, sqlite_answers):
    app = migrated(pg_url, backend)
    unicode_case = pg_url.split("/")[-1].startswith("utf8_")
    texts = TEXTS + UNICODE_TEXTS if unicode_case else TEXTS
    queries = QUERIES + UNICODE_QUERIES if unicode_case else QUERIES
    ids = log_texts(app, texts)
    client = sign_in(app, "viewer")
    for q in queries:
        rows, total = found(client, q)
        assert (rows, total) == (expected(ids, texts, q), len(rows)), q
        assert _positions((rows, total), ids) == sqlite_answers[q], q
    assert found(client, "재입고 sale")[0] == [ids[1]]
    assert found(client, "입고")[0] == [ids[1], ids[0]]  # two characters, inside a word


def test_the_api_list_reads_words_as_the_send_log_does(utf8_url, backend):
    app = migrated(utf8_url, backend)
    ids = log_texts(app, TEXTS)
    with app.app_context():
        for q in ("입고 sale", "50%", "a_1", "c:\\temp"):
            log_filter = sendlog_query.parse_filter({"q": [q]})
            conditions = sendlog_query.where(db.session.connection(), log_filter, utcnow())
            rows = db.session.execute(db.select(Send.id).where(*conditions)
                                      .order_by(Send.id.desc())).scalars().all()
            assert rows == expected(ids, TEXTS, q), q


# -- the plans --------------------------------------------------------------------------

ROWS = 20_000  # enough that the planner reads an index for a rare word


def fill(app: Flask, rare: str, every: int = 5000) -> None:
    """ROWS sends of common words; one in ``every`` holds ``rare`` too. Then ANALYZE."""
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO sends (created_at, actor, source, sender, kind, text, recipients, "
            "recipient_count, forecast, cost, test, result, code) "
            "SELECT now() - make_interval(mins => n), 'someone', 'form', '010-1234-5678', "
            "'S', CASE WHEN n % :every = 0 THEN '주문 ' || n || ' ' || :rare || ' 알림' "
            "ELSE '[스마트상사] 배송 안내: 주문번호 ' || n || ' 상품이 배송 중입니다' END, "
            "'[]', 1, 1, 1, false, 'success', 'success' FROM generate_series(1, :rows) AS n"),
            {"rows": ROWS, "every": every, "rare": rare})
        db.session.commit()
        db.session.execute(text("ANALYZE sends"))
        db.session.commit()


def word_queries(app: Flask, q: str) -> list[tuple[str, dict]]:
    """The statements /sends runs on sends for the words ``q`` (the page and its total)."""
    seen: list[tuple[str, dict]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM sends" in statement and "LIKE" in statement.upper():
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            found(sign_in(app, "viewer", f"viewer-{len(q)}-{uuid.uuid4().hex[:6]}"), q)
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
    assert len(seen) == 2, seen  # the total, then the page
    return seen


def plans(app: Flask, q: str, *settings: str) -> list[str]:
    """EXPLAIN of each statement /sends runs for ``q``."""
    with app.app_context(), db.engine.connect() as connection:
        for setting in settings:
            connection.exec_driver_sql(setting)
        return ["\n".join(connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                          .scalars())
                for statement, parameters in word_queries(app, q)]


def uses_index(plan: str) -> bool:
    return f"Bitmap Index Scan on {SEND_TEXT_TRGM}" in plan


@pytest.mark.parametrize("word", ["재입고", "Restock"])
def test_a_word_of_three_letters_is_read_from_the_index(utf8_url, backend, word):
    app = migrated(utf8_url, backend)
    fill(app, word)
    total, first_page = plans(app, word.lower())
    assert uses_index(total), total
    assert uses_index(first_page), first_page
    assert all(uses_index(p) for p in plans(app, word.lower(), "SET enable_seqscan = off"))
    assert found(sign_in(app, "admin"), word.upper())[1] == ROWS // 5000


def test_a_two_letter_word_is_not_read_from_the_index(utf8_url, backend):
    """pg_trgm has no trigram of ``입고`` in ``%입고%``: given ILIKE, PostgreSQL would read every
    entry of the index and then every row; the search asks in a form it serves otherwise."""
    app = migrated(utf8_url, backend)
    fill(app, "재입고")
    for plan in plans(app, "환불", "SET enable_seqscan = off") + plans(app, "입고"):
        assert SEND_TEXT_TRGM not in plan, plan
        assert "lower(text)" in plan, plan
    assert found(sign_in(app, "admin"), "입고")[1] == ROWS // 5000


def test_hangul_is_not_indexed_where_the_ctype_is_c(postgres_url, backend):
    """In a database with LC_CTYPE C, pg_trgm takes only ASCII letters: a Korean word is read
    from the table, an English one from the index."""
    app = migrated(postgres_url, backend)
    fill(app, "재입고 restock")
    for plan in plans(app, "재입고", "SET enable_seqscan = off"):
        assert SEND_TEXT_TRGM not in plan, plan
    restock = plans(app, "restock", "SET enable_seqscan = off")  # a small table's choice
    assert all(uses_index(p) for p in restock), restock
    assert found(sign_in(app, "admin"), "재입고 RESTOCK")[1] == ROWS // 5000


@pytest.mark.parametrize(("word", "ascii_only", "has"), [
    ("재입고", False, True), ("재입고", True, False), ("입고", False, False),
    ("sale", True, True), ("ab", True, False), ("a.b.c", False, False), ("50%", False, False),
    ("100%", True, True), ("sale쿠폰", True, True), ("쿠폰sa", True, False),
])
def test_which_words_pg_trgm_has_a_trigram_of(word, ascii_only, has):
    assert sendlog_query._has_trigram(word, ascii_only) is has
