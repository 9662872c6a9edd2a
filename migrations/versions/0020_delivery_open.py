"""The delivery sync's open sends: ``ix_sends_delivery_open`` (created_at) over the sends
whose delivery is not settled (``delivery_done_at IS NULL``). The sync's look-ups of what
still waits (its oldest due time, the sends past their ``no_report`` window, the sends to
settle) read this small index instead of every accepted send ever logged; the sync now
also settles the sends that can never have a delivery (tests, refusals, sends never made,
unknown ones past the list's reach), so the index holds only what may still change.
And ``ix_sends_reserve_at`` over the reservations: the sends the list may show since a
time are those made or reserved since then, now two index ranges instead of a read of
every accepted send.

Revision ID: 0020_delivery_open
Revises: 0019_batch_recipients
Create Date: 2026-12-07 12:20:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_delivery_open'
down_revision = '0019_batch_recipients'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index the open sends by their time, and the reservations by theirs."""
    op.create_index('ix_sends_delivery_open', 'sends', ['created_at'], unique=False,
                    sqlite_where=sa.text('delivery_done_at IS NULL'),
                    postgresql_where=sa.text('delivery_done_at IS NULL'))
    op.create_index('ix_sends_reserve_at', 'sends', ['reserve_at'], unique=False,
                    sqlite_where=sa.text('reserve_at IS NOT NULL'),
                    postgresql_where=sa.text('reserve_at IS NOT NULL'))


def downgrade() -> None:
    """Drop them."""
    op.drop_index('ix_sends_reserve_at', table_name='sends',
                  sqlite_where=sa.text('reserve_at IS NOT NULL'),
                  postgresql_where=sa.text('reserve_at IS NOT NULL'))
    op.drop_index('ix_sends_delivery_open', table_name='sends',
                  sqlite_where=sa.text('delivery_done_at IS NULL'),
                  postgresql_where=sa.text('delivery_done_at IS NULL'))
