"""Advertising sends: ``sends.advertising`` (false for every existing send).

The send service's judge of the law (services/compliance.py) marks a send that the law
sees as an advertisement (the switch, or a text that starts with ``(광고)``); the log keeps
it so the send's page and the API can say so. A plain ``ADD COLUMN`` with a default on
both engines (SQLite 3.35+ drops it again).

Revision ID: 0012_advertising
Revises: 0011_contacts
Create Date: 2026-12-07 06:15:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_advertising'
down_revision = '0011_contacts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sends.advertising: a plain ADD COLUMN, not a batch (on SQLite a batch would copy
    the table and lose the send log's triggers)."""
    op.add_column('sends', sa.Column('advertising', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade() -> None:
    """Drop sends.advertising (the log forgets which sends were advertisements)."""
    op.execute("ALTER TABLE sends DROP COLUMN advertising")
