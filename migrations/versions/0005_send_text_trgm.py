"""The send log's word search on PostgreSQL: pg_trgm and a trigram index of the texts.

On PostgreSQL only, the pg_trgm extension and a GIN trigram index of each send's text
(``ix_sends_text_trgm``, the same as ``models.SEND_TEXT_TRGM``), so that ``text ILIKE
'%word%'`` (services.sendlog_query) reads the index instead of every text. SQLite gets
nothing (its FTS5 index is migration 0003's).

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner, or anyone with
CREATE on it, may create it. When it cannot be created (not installed, no right), the upgrade
still succeeds without the index, says so in a warning, and the search keeps reading every
text. To add it later: ``CREATE EXTENSION pg_trgm`` as a superuser, then
``flask --app app db downgrade 0004_relay_api`` and ``flask --app app upgrade-db``.

pg_trgm takes letters and digits as the database's LC_CTYPE says: under C or POSIX, Hangul is
neither, so Korean words have no trigrams there and are found by reading the texts (a warning
says so); C.UTF-8, ko_KR.UTF-8 or en_US.UTF-8 index them.

Building the index reads every text and blocks writes to ``sends`` meanwhile (a million sends:
10 to 15 s). The downgrade drops the index, never the extension (other objects may use it).

Revision ID: 0005_send_text_trgm
Revises: 0004_relay_api
Create Date: 2026-12-02 10:30:00
"""

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

# revision identifiers, used by Alembic.
revision = '0005_send_text_trgm'
down_revision = '0004_relay_api'
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

INDEX = "ix_sends_text_trgm"
CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {INDEX} ON sends USING gin (text gin_trgm_ops)"
# pg_trgm's operator class, as CREATE INDEX will look it up.
OPCLASS_VISIBLE = ("SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops' "
                   "AND pg_opclass_is_visible(oid)")
# Where pg_trgm takes only ASCII letters and digits.
C_CTYPES = ("C", "POSIX")


def _has_pg_trgm(connection) -> bool:
    """Create pg_trgm if it is missing (in a savepoint: a refusal leaves the migration's
    transaction usable); whether its operator class can be used now."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(CREATE_EXTENSION)
    except DBAPIError as exc:
        problem = str(exc.orig).strip().splitlines()[0]
    else:
        if connection.exec_driver_sql(OPCLASS_VISIBLE).first() is not None:
            return True
        problem = "gin_trgm_ops is not in a schema on the search_path"
    logger.warning("pg_trgm could not be created (%s): no trigram index, the send log's word "
                   "search keeps reading every text. To add it: CREATE EXTENSION pg_trgm as a "
                   "superuser, then flask --app app db downgrade 0004_relay_api and "
                   "flask --app app upgrade-db.", problem)
    return False


def upgrade() -> None:
    """Create pg_trgm if allowed, then the trigram index of the texts (PostgreSQL only)."""
    connection = op.get_bind()
    if connection.dialect.name != "postgresql" or not _has_pg_trgm(connection):
        return
    op.execute(CREATE_INDEX)
    ctype = connection.exec_driver_sql(
        "SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
    if ctype in C_CTYPES:
        logger.warning("the database's LC_CTYPE is %s: pg_trgm indexes only ASCII letters and "
                       "digits there, so words in Hangul are found by reading every text. "
                       "A database made with LC_CTYPE C.UTF-8 (or ko_KR.UTF-8, en_US.UTF-8) "
                       "indexes them.", ctype)


def downgrade() -> None:
    """Drop the index (the extension stays)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
