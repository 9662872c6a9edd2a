"""A bulk job's batch keeps its recipients written out when the job is made: the gateway's
field (``recipients_field``: ``destination`` or ``rphone``), the send log's JSON of them
(``recipients_logged``) and its longest name, so a batch's send does no work per recipient
(``SendRequest.prepared``). A batch of a job made before has none: it is built from the
job's recipient rows as then.

Revision ID: 0019_batch_recipients
Revises: 0018_job_retry
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_batch_recipients'
down_revision = '0018_job_retry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the three columns."""
    op.add_column('job_batches', sa.Column('recipients_field', sa.Text(), nullable=True))
    op.add_column('job_batches', sa.Column('recipients_logged', sa.Text(), nullable=True))
    op.add_column('job_batches', sa.Column('longest_name', sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table('job_batches') as batch:
        batch.drop_column('longest_name')
        batch.drop_column('recipients_logged')
        batch.drop_column('recipients_field')
