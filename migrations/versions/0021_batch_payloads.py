"""A job batch's recipients written out (0019's ``recipients_field``,
``recipients_logged``, ``longest_name``) move from ``job_batches`` to a table of their own,
``job_batch_payloads`` (one row per batch, same key): a batch's state changes twice while
it is sent (claimed, then its outcome), and SQLite writes a row that changes size again
whole, its 60 kB of recipients with it. The rows are copied over, the columns dropped.

Revision ID: 0021_batch_payloads
Revises: 0020_delivery_open
Create Date: 2026-12-07 14:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_batch_payloads'
down_revision = '0020_delivery_open'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Make the table, copy the written-out recipients into it, drop the columns."""
    op.create_table(
        'job_batch_payloads',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('recipients_field', sa.Text(), nullable=False),
        sa.Column('recipients_logged', sa.Text(), nullable=False),
        sa.Column('longest_name', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'number'),
    )
    op.execute(
        "INSERT INTO job_batch_payloads (job_id, number, recipients_field, "
        "recipients_logged, longest_name) SELECT job_id, number, recipients_field, "
        "recipients_logged, coalesce(longest_name, '') FROM job_batches "
        "WHERE recipients_field IS NOT NULL AND recipients_logged IS NOT NULL")
    with op.batch_alter_table('job_batches') as batch:
        batch.drop_column('longest_name')
        batch.drop_column('recipients_logged')
        batch.drop_column('recipients_field')


def downgrade() -> None:
    """The columns again, filled from the table, which goes."""
    op.add_column('job_batches', sa.Column('recipients_field', sa.Text(), nullable=True))
    op.add_column('job_batches', sa.Column('recipients_logged', sa.Text(), nullable=True))
    op.add_column('job_batches', sa.Column('longest_name', sa.Text(), nullable=True))
    for column in ('recipients_field', 'recipients_logged', 'longest_name'):
        op.execute(
            f"UPDATE job_batches SET {column} = (SELECT p.{column} FROM job_batch_payloads p "  # noqa: S608 - constants
            "WHERE p.job_id = job_batches.job_id AND p.number = job_batches.number)")
    op.drop_table('job_batch_payloads')
