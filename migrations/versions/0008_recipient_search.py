"""The send log finds a recipient by a part of the number and by name.

- ``send_recipients.name``: each recipient's name of a ``{name}`` send (until now only in
  the send's JSON ``recipients``), filled from that JSON for the sends logged before, and
  ``ix_send_recipients_name`` (name, send_id) over the named rows: a name or its beginning
  is an index range (PostgreSQL: ``text_pattern_ops``, so ``LIKE 'x%'`` uses it whatever the
  collation).
- SQLite: ``sends_search_numbers``, an FTS5 trigram index of each recipient's digits (rowid:
  the send_recipients row), kept by triggers (``models.SEND_NUMBERS_DDL``) and filled from
  the numbers logged before, so ``5678`` or ``2222-33`` reads the index, not every number.
- PostgreSQL: ``ix_send_recipients_phone_trgm``, a GIN trigram index of the digits (pg_trgm,
  as migration 0005; left out with a warning when pg_trgm cannot be created).

A million sends (2.7 million recipient rows): tens of seconds on SQLite, writes to the
send log wait meanwhile (``upgrade-db`` upgrades in place).

Revision ID: 0008_recipient_search
Revises: 0007_token_read_only
Create Date: 2026-12-07 02:00:00
"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

# revision identifiers, used by Alembic.
revision = '0008_recipient_search'
down_revision = '0007_token_read_only'
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

NUMBERS = "sends_search_numbers"
# The same statements as models.SEND_NUMBERS_DDL (a migration keeps its own copy).
NUMBERS_DDL = (  # NUMBERS' table and triggers
    "CREATE VIRTUAL TABLE sends_search_numbers USING fts5("
    "phone, content='', columnsize=0, tokenize='trigram')",
    "CREATE TRIGGER sends_search_numbers_insert AFTER INSERT ON send_recipients "
    "BEGIN INSERT INTO sends_search_numbers (rowid, phone) VALUES (new.rowid, new.phone); END",
    "CREATE TRIGGER sends_search_numbers_delete AFTER DELETE ON send_recipients "
    "BEGIN INSERT INTO sends_search_numbers (sends_search_numbers, rowid, phone) "
    "VALUES ('delete', old.rowid, old.phone); END",
)
PHONE_TRGM = "ix_send_recipients_phone_trgm"
# Only sends with a name hold '", "' in their JSON ([["010-…", "홍길동"]] vs [["010-…", null]]).
FILL_NAMES = {
    "sqlite": ("UPDATE send_recipients SET name = (SELECT json_extract(s.recipients, "
               "'$[' || send_recipients.position || '][1]') FROM sends s "
               "WHERE s.id = send_recipients.send_id) WHERE send_id IN "
               "(SELECT s.id FROM sends s WHERE s.recipients LIKE '%\", \"%')"),
    "postgresql": ("UPDATE send_recipients r SET name = "
                   "(s.recipients::jsonb -> r.position ->> 1) FROM sends s "
                   "WHERE s.id = r.send_id AND s.recipients LIKE '%\", \"%'"),
}


def _has_pg_trgm(connection) -> bool:
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError:
        pass
    found = connection.exec_driver_sql(
        "SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops' "
        "AND pg_opclass_is_visible(oid)").first() is not None
    if not found:
        logger.warning("pg_trgm is not available: no trigram index of the recipients' "
                       "numbers; a search by a part of a number reads every number.")
    return found


def upgrade() -> None:
    """Add and fill send_recipients.name with its index; index the numbers' digits."""
    connection = op.get_bind()
    dialect = connection.dialect.name
    with op.batch_alter_table('send_recipients') as batch:
        batch.add_column(sa.Column('name', sa.Text(), nullable=True))
    op.execute(FILL_NAMES[dialect] if dialect in FILL_NAMES else "SELECT 1")
    op.create_index('ix_send_recipients_name', 'send_recipients', ['name', 'send_id'],
                    postgresql_ops={'name': 'text_pattern_ops'},
                    sqlite_where=sa.text('name IS NOT NULL'),
                    postgresql_where=sa.text('name IS NOT NULL'))
    if dialect == "sqlite":
        for statement in NUMBERS_DDL:
            op.execute(statement)
        op.execute("INSERT INTO sends_search_numbers (rowid, phone) "
                   "SELECT rowid, phone FROM send_recipients")
    elif dialect == "postgresql" and _has_pg_trgm(connection):
        op.execute(f"CREATE INDEX IF NOT EXISTS {PHONE_TRGM} ON send_recipients "
                   "USING gin (phone gin_trgm_ops)")


def downgrade() -> None:
    """Drop the numbers' index and the names (the JSON keeps them)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {NUMBERS}")
        op.execute(f"DROP TRIGGER IF EXISTS {NUMBERS}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {NUMBERS}_delete")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PHONE_TRGM}")
    op.drop_index('ix_send_recipients_name', table_name='send_recipients')
    with op.batch_alter_table('send_recipients') as batch:
        batch.drop_column('name')
