"""Opt-outs (수신거부): ``optouts`` (the numbers that opted out, one row each), the history
of removed ones (``optout_removals``), and on the send log what an advertising send left
out (``sends.excluded``) or how many opted-out numbers a notice reached (``sends.opted_out``).

New tables and two nullable columns: nothing is rewritten, on either engine.

Revision ID: 0013_optouts
Revises: 0012_advertising
Create Date: 2026-12-07 03:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_optouts'
down_revision = '0012_advertising'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create optouts and optout_removals; add sends.excluded and sends.opted_out."""
    op.create_table(
        'optouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('via', sa.String(length=8), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('by_name', sa.String(length=64), nullable=False),
        sa.Column('memo', sa.Text(), nullable=True),
        sa.Column('confirm_send_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['confirm_send_id'], ['sends.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('phone'),
    )
    op.create_index('ix_optouts_created_at', 'optouts', ['created_at'])
    op.create_table(
        'optout_removals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(), nullable=False),
        sa.Column('via', sa.String(length=8), nullable=False),
        sa.Column('by_name', sa.String(length=64), nullable=False),
        sa.Column('memo', sa.Text(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=False),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.Column('removed_by_name', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['removed_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_optout_removals_phone', 'optout_removals', ['phone'])
    op.create_index('ix_optout_removals_removed_at', 'optout_removals', ['removed_at'])
    # Plain ALTER TABLE on both engines (a batch copy of sends would drop its triggers).
    op.add_column('sends', sa.Column('excluded', sa.Text(), nullable=True))
    op.add_column('sends', sa.Column('opted_out', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them (the opt-out list and its history are lost: export them first)."""
    op.execute("ALTER TABLE sends DROP COLUMN opted_out")  # SQLite 3.35 drops columns
    op.execute("ALTER TABLE sends DROP COLUMN excluded")
    op.drop_index('ix_optout_removals_removed_at', table_name='optout_removals')
    op.drop_index('ix_optout_removals_phone', table_name='optout_removals')
    op.drop_table('optout_removals')
    op.drop_index('ix_optouts_created_at', table_name='optouts')
    op.drop_table('optouts')
