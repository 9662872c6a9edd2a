"""A bulk job's Idempotency-Key: ``jobs.request_key`` (``key:<user>:<key>``, unique: a
repeated ``POST /api/v1/jobs`` finds its first job instead of making a second) and
``jobs.request_hash`` (a digest of what was asked, to tell a key reused for another list).

Two nullable columns and a unique index: nothing is rewritten, on either engine.

Revision ID: 0015_job_key
Revises: 0014_bulk_jobs
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_job_key'
down_revision = '0014_bulk_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add jobs.request_key (unique) and jobs.request_hash."""
    op.add_column('jobs', sa.Column('request_key', sa.String(length=160), nullable=True))
    op.add_column('jobs', sa.Column('request_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_jobs_request_key', 'jobs', ['request_key'], unique=True)


def downgrade() -> None:
    """Drop them (the jobs stay; their keys are forgotten)."""
    op.drop_index('ix_jobs_request_key', table_name='jobs')
    op.execute("ALTER TABLE jobs DROP COLUMN request_hash")  # SQLite 3.35 drops columns
    op.execute("ALTER TABLE jobs DROP COLUMN request_key")
