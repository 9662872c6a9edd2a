"""The send log's delivery filter: ``ix_send_recipients_delivery`` (delivery, send_id)
over the recipients that have an outcome (``/sends?delivery=failed`` reads the failed
recipients' sends, not every recipient).

Revision ID: 0017_delivery_index
Revises: 0016_delivery
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_delivery_index'
down_revision = '0016_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index the recipients by their delivery outcome."""
    op.create_index('ix_send_recipients_delivery', 'send_recipients', ['delivery', 'send_id'],
                    unique=False, sqlite_where=sa.text('delivery IS NOT NULL'),
                    postgresql_where=sa.text('delivery IS NOT NULL'))


def downgrade() -> None:
    """Drop it."""
    op.drop_index('ix_send_recipients_delivery', table_name='send_recipients',
                  sqlite_where=sa.text('delivery IS NOT NULL'),
                  postgresql_where=sa.text('delivery IS NOT NULL'))
