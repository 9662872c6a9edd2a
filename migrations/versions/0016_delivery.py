"""Delivery status (issue 16): each recipient's outcome read back from the gateway's
result list by the delivery sync (``services.delivery``).

- ``send_recipients``: ``delivery`` (None while waiting; delivered, failed, no_report),
  ``delivery_at``, ``delivery_code``, ``refunded_at``, ``delivery_ambiguous``.
- ``sends``: ``delivery_done_at`` (every recipient final) and ``listed_at`` (the list
  showed one of its recipients: an ``unknown`` send was sent).
- ``delivery_syncs``: one row per run of the sync.

Plain ``ADD COLUMN``s (never a copy of ``sends`` on SQLite, which would drop the send log's
search triggers) and one new table: nothing is rewritten, on either engine.

Revision ID: 0016_delivery
Revises: 0015_job_key
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_delivery'
down_revision = '0015_job_key'
branch_labels = None
depends_on = None

_RECIPIENT_COLUMNS = ('delivery_ambiguous', 'refunded_at', 'delivery_code', 'delivery_at',
                      'delivery')


def upgrade() -> None:
    """Add the delivery columns and the sync's table."""
    op.add_column('send_recipients', sa.Column('delivery', sa.String(length=12),
                                               nullable=True))
    op.add_column('send_recipients', sa.Column('delivery_at', sa.DateTime(), nullable=True))
    op.add_column('send_recipients', sa.Column('delivery_code', sa.String(length=8),
                                               nullable=True))
    op.add_column('send_recipients', sa.Column('refunded_at', sa.DateTime(), nullable=True))
    op.add_column('send_recipients', sa.Column('delivery_ambiguous', sa.Boolean(),
                                               server_default=sa.false(), nullable=False))
    op.add_column('sends', sa.Column('delivery_done_at', sa.DateTime(), nullable=True))
    op.add_column('sends', sa.Column('listed_at', sa.DateTime(), nullable=True))
    op.create_table(
        'delivery_syncs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('listed', sa.Integer(), nullable=False),
        sa.Column('matched', sa.Integer(), nullable=False),
        sa.Column('foreign', sa.Integer(), nullable=False),
        sa.Column('ambiguous', sa.Integer(), nullable=False),
        sa.Column('delivered', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('no_report', sa.Integer(), nullable=False),
        sa.Column('resolved', sa.Integer(), nullable=False),
        sa.Column('stopped', sa.String(length=16), nullable=True),
        sa.Column('detail', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_delivery_syncs_started_at', 'delivery_syncs', ['started_at'],
                    unique=False)


def downgrade() -> None:
    """Drop them (what the sync learnt is forgotten)."""
    op.drop_index('ix_delivery_syncs_started_at', table_name='delivery_syncs')
    op.drop_table('delivery_syncs')
    op.execute("ALTER TABLE sends DROP COLUMN listed_at")  # SQLite 3.35 drops columns
    op.execute("ALTER TABLE sends DROP COLUMN delivery_done_at")
    for column in _RECIPIENT_COLUMNS:
        op.execute(f"ALTER TABLE send_recipients DROP COLUMN {column}")
