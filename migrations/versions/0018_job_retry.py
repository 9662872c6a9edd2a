"""A job made to retry the failed recipients of a job or a send ("retry the failed",
services.retry) names where they came from: ``jobs.retry_of_job`` or ``jobs.retry_of_send``.

Revision ID: 0018_job_retry
Revises: 0017_delivery_index
Create Date: 2026-12-07 11:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_job_retry'
down_revision = '0017_delivery_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two origin columns (no foreign key: a purged send or a discarded job may
    go, the retry stays)."""
    op.add_column('jobs', sa.Column('retry_of_job', sa.Integer(), nullable=True))
    op.add_column('jobs', sa.Column('retry_of_send', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('retry_of_send')
        batch.drop_column('retry_of_job')
