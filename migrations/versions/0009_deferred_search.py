"""The send log's word indexes on SQLite are filled in batches, not by a trigger per send.

An FTS5 insert inside each send's own transaction wrote a new index segment every time and
cost a send more than its own rows. ``sends_search_state`` holds how far each index has got
(everything logged so far: the old triggers indexed it); ``services.search_index`` indexes
the rows past it before any search and every few dozen sends. The insert triggers go; the
update and delete triggers touch an index only for a row in it, and a delete lowers a mark
to the newest row left (``models.SEND_SEARCH_DDL`` and ``SEND_NUMBERS_DDL`` make the same).
Other databases: nothing (PostgreSQL's trigram indexes are the database's own).

Revision ID: 0009_deferred_search
Revises: 0008_recipient_search
Create Date: 2026-12-07 06:00:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_deferred_search'
down_revision = '0008_recipient_search'
branch_labels = None
depends_on = None

# The statements as the models make them now (a migration keeps its own copy).
STATE = (
    "CREATE TABLE sends_search_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "texts_upto INTEGER NOT NULL, numbers_upto INTEGER NOT NULL)",
    "INSERT INTO sends_search_state (id, texts_upto, numbers_upto) "
    "VALUES (1, (SELECT coalesce(max(id), 0) FROM sends), "
    "(SELECT coalesce(max(rowid), 0) FROM send_recipients))",
)
TRIGGERS = (
    "CREATE TRIGGER sends_search_update AFTER UPDATE OF text ON sends "
    "WHEN old.text IS NOT new.text "
    "AND old.id <= (SELECT texts_upto FROM sends_search_state) BEGIN "
    "INSERT INTO sends_search (sends_search, rowid, body) "
    "SELECT 'delete', old.id, old.text || '  ' WHERE old.text IS NOT NULL; "
    "INSERT INTO sends_search (rowid, body) "
    "SELECT new.id, new.text || '  ' WHERE new.text IS NOT NULL; END",
    "CREATE TRIGGER sends_search_delete AFTER DELETE ON sends BEGIN "
    "INSERT INTO sends_search (sends_search, rowid, body) "
    "SELECT 'delete', old.id, old.text || '  ' WHERE old.text IS NOT NULL "
    "AND old.id <= (SELECT texts_upto FROM sends_search_state); "
    "UPDATE sends_search_state SET texts_upto = (SELECT coalesce(max(id), 0) FROM sends) "
    "WHERE texts_upto > (SELECT coalesce(max(id), 0) FROM sends); END",
    "CREATE TRIGGER sends_search_numbers_delete AFTER DELETE ON send_recipients BEGIN "
    "INSERT INTO sends_search_numbers (sends_search_numbers, rowid, phone) "
    "SELECT 'delete', old.rowid, old.phone "
    "WHERE old.rowid <= (SELECT numbers_upto FROM sends_search_state); "
    "UPDATE sends_search_state "
    "SET numbers_upto = (SELECT coalesce(max(rowid), 0) FROM send_recipients) "
    "WHERE numbers_upto > (SELECT coalesce(max(rowid), 0) FROM send_recipients); END",
)
# The triggers of migrations 0003 and 0008, as they were.
OLD_TRIGGERS = (
    "CREATE TRIGGER sends_search_insert AFTER INSERT ON sends WHEN new.text IS NOT NULL "
    "BEGIN INSERT INTO sends_search (rowid, body) VALUES (new.id, new.text || '  '); END",
    "CREATE TRIGGER sends_search_update AFTER UPDATE OF text ON sends "
    "WHEN old.text IS NOT new.text BEGIN "
    "INSERT INTO sends_search (sends_search, rowid, body) "
    "SELECT 'delete', old.id, old.text || '  ' WHERE old.text IS NOT NULL; "
    "INSERT INTO sends_search (rowid, body) "
    "SELECT new.id, new.text || '  ' WHERE new.text IS NOT NULL; END",
    "CREATE TRIGGER sends_search_delete AFTER DELETE ON sends WHEN old.text IS NOT NULL "
    "BEGIN INSERT INTO sends_search (sends_search, rowid, body) "
    "VALUES ('delete', old.id, old.text || '  '); END",
    "CREATE TRIGGER sends_search_numbers_insert AFTER INSERT ON send_recipients "
    "BEGIN INSERT INTO sends_search_numbers (rowid, phone) VALUES (new.rowid, new.phone); END",
    "CREATE TRIGGER sends_search_numbers_delete AFTER DELETE ON send_recipients "
    "BEGIN INSERT INTO sends_search_numbers (sends_search_numbers, rowid, phone) "
    "VALUES ('delete', old.rowid, old.phone); END",
)
DROP_OLD = ("sends_search_insert", "sends_search_update", "sends_search_delete",
            "sends_search_numbers_insert", "sends_search_numbers_delete")
DROP_NEW = ("sends_search_update", "sends_search_delete", "sends_search_numbers_delete")
# What the old triggers would have indexed by now (before going back to them).
CATCH_UP = (
    "INSERT INTO sends_search (rowid, body) SELECT id, text || '  ' FROM sends "
    "WHERE id > (SELECT texts_upto FROM sends_search_state) AND text IS NOT NULL",
    "INSERT INTO sends_search_numbers (rowid, phone) SELECT rowid, phone FROM send_recipients "
    "WHERE rowid > (SELECT numbers_upto FROM sends_search_state)",
)


def _has_index() -> bool:
    connection = op.get_bind()
    return connection.dialect.name == "sqlite" and connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sends_search_numbers'"
    ).first() is not None


def upgrade() -> None:
    """Mark everything indexed so far; swap the per-send triggers for the guarded ones."""
    if not _has_index():
        return
    for statement in STATE:
        op.execute(statement)
    for trigger in DROP_OLD:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Index what waits, then go back to a trigger per send."""
    if not _has_index():
        return
    for statement in CATCH_UP:
        op.execute(statement)
    for trigger in DROP_NEW:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE sends_search_state")
    for statement in OLD_TRIGGERS:
        op.execute(statement)
