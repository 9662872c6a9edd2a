"""The send log's search aids on SQLite, kept by triggers (the statements of
smsform.models.SEND_SEARCH_DDL and SEND_COUNTS_DDL, copied here as they were) and filled
from the sends already logged: an FTS5 trigram index of each send's text, and the number of
sends per Korean day, user and result. Other databases get nothing: their search reads the
texts (ILIKE) and their totals count rows. A SQLite without FTS5's trigram tokenizer (before
3.34) gets only the counts, and its search reads the texts.

Revision ID: 0003_send_search
Revises: 0002_send_log
Create Date: 2026-12-02 07:20:00
"""

import sqlite3

from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_send_search'
down_revision = '0002_send_log'
branch_labels = None
depends_on = None

SEND_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE sends_search USING fts5("
    "body, content='', columnsize=0, tokenize='trigram')",
    "CREATE VIRTUAL TABLE sends_search_terms USING fts5vocab(sends_search, 'row')",
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
)
FILL = ("INSERT INTO sends_search (rowid, body) "
        "SELECT id, text || '  ' FROM sends WHERE text IS NOT NULL")

_COUNT_ROW = ("INSERT INTO sends_search_counts (day, user_id, result, n) "
              "VALUES (date({row}.created_at, '+9 hours'), coalesce({row}.user_id, 0), "
              "{row}.result, 1) ON CONFLICT (day, user_id, result) DO UPDATE SET n = n + 1;")
_UNCOUNT_ROW = ("UPDATE sends_search_counts SET n = n - 1 "
                "WHERE day = date(old.created_at, '+9 hours') "
                "AND user_id = coalesce(old.user_id, 0) AND result = old.result;")
SEND_COUNTS_DDL = (
    "CREATE TABLE sends_search_counts (day VARCHAR(10) NOT NULL, user_id INTEGER NOT NULL, "
    "result VARCHAR(16) NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (day, user_id, result)) WITHOUT ROWID",
    "CREATE TRIGGER sends_search_count_insert AFTER INSERT ON sends "
    f"BEGIN {_COUNT_ROW.format(row='new')} END",
    "CREATE TRIGGER sends_search_count_update AFTER UPDATE OF created_at, user_id, result "
    f"ON sends BEGIN {_UNCOUNT_ROW} {_COUNT_ROW.format(row='new')} END",
    f"CREATE TRIGGER sends_search_count_delete AFTER DELETE ON sends BEGIN {_UNCOUNT_ROW} END",
)
COUNT = ("INSERT INTO sends_search_counts (day, user_id, result, n) "
         "SELECT date(created_at, '+9 hours'), coalesce(user_id, 0), result, count(*) "
         "FROM sends GROUP BY 1, 2, 3")
TRIGGERS = ("sends_search_insert", "sends_search_update", "sends_search_delete",
            "sends_search_count_insert", "sends_search_count_update",
            "sends_search_count_delete")


def upgrade() -> None:
    """Make the index, the counts and their triggers; index and count the sends so far."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SEND_COUNTS_DDL:
        op.execute(statement)
    op.execute(COUNT)
    if sqlite3.sqlite_version_info >= (3, 34):  # FTS5's trigram tokenizer
        for statement in SEND_SEARCH_DDL:
            op.execute(statement)
        op.execute(FILL)


def downgrade() -> None:
    """Drop the triggers, the index and the counts."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for name in ("sends_search_terms", "sends_search", "sends_search_counts"):
        op.execute(f"DROP TABLE IF EXISTS {name}")
