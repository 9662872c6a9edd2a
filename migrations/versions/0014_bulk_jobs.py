"""Bulk jobs: ``jobs``, ``job_batches``, ``job_recipients``, ``job_problems`` and
``job_uploads``, and on the send log the job and batch a bulk send belongs to
(``sends.job_id``, ``sends.batch``).

New tables and two nullable columns: nothing is rewritten, on either engine.

Revision ID: 0014_bulk_jobs
Revises: 0013_optouts
Create Date: 2026-12-07 08:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_bulk_jobs'
down_revision = '0013_optouts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the job tables; add sends.job_id (indexed) and sends.batch."""
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('pause_reason', sa.String(length=16), nullable=True),
        sa.Column('sender', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('kind_choice', sa.String(length=8), nullable=False),
        sa.Column('test', sa.Boolean(), nullable=False),
        sa.Column('advertising', sa.Boolean(), nullable=False),
        sa.Column('send_at', sa.DateTime(), nullable=True),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('phone_column', sa.String(length=255), nullable=True),
        sa.Column('name_column', sa.String(length=255), nullable=True),
        sa.Column('fields', sa.Text(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('recipient_count', sa.Integer(), nullable=False),
        sa.Column('refused_count', sa.Integer(), nullable=False),
        sa.Column('duplicate_count', sa.Integer(), nullable=False),
        sa.Column('opted_out_count', sa.Integer(), nullable=False),
        sa.Column('batch_count', sa.Integer(), nullable=False),
        sa.Column('sms_count', sa.Integer(), nullable=False),
        sa.Column('lms_count', sa.Integer(), nullable=False),
        sa.Column('forecast', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.Column('cancelled_by', sa.String(length=64), nullable=True),
        sa.Column('resume_at', sa.DateTime(), nullable=True),
        sa.Column('pace_ms', sa.Integer(), nullable=True),
        sa.Column('worker', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('failures_in_row', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_jobs_user_id', 'jobs', ['user_id'])
    op.create_index('ix_jobs_state', 'jobs', ['state', 'send_at'])
    op.create_table(
        'job_batches',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('named', sa.Boolean(), nullable=False),
        sa.Column('first_position', sa.Integer(), nullable=False),
        sa.Column('recipient_count', sa.Integer(), nullable=False),
        sa.Column('forecast', sa.Integer(), nullable=False),
        sa.Column('cost', sa.Integer(), nullable=True),
        sa.Column('send_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=16), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['send_id'], ['sends.id']),
        sa.PrimaryKeyConstraint('job_id', 'number'),
    )
    op.create_index('ix_job_batches_state', 'job_batches', ['job_id', 'state', 'number'])
    op.create_table(
        'job_recipients',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('batch', sa.Integer(), nullable=False),
        sa.Column('row', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('name', sa.Text(), nullable=True),
        sa.Column('fields', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'position'),
    )
    op.create_table(
        'job_problems',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('row', sa.Integer(), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('first_row', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'row'),
    )
    op.create_table(
        'job_uploads',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id'),
    )
    # Plain ALTER TABLE on both engines (a batch copy of sends would drop its triggers).
    # SQLite adds a column with REFERENCES inline; PostgreSQL gets a named constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE sends ADD COLUMN job_id INTEGER REFERENCES jobs (id)")
    else:
        op.add_column('sends', sa.Column('job_id', sa.Integer(), nullable=True))
        op.create_foreign_key('sends_job_id_fkey', 'sends', 'jobs', ['job_id'], ['id'])
    op.add_column('sends', sa.Column('batch', sa.Integer(), nullable=True))
    op.create_index('ix_sends_job_id', 'sends', ['job_id'])


def downgrade() -> None:
    """Drop them (every job, its batches and recipients are lost; the sends stay)."""
    op.drop_index('ix_sends_job_id', table_name='sends')
    op.execute("ALTER TABLE sends DROP COLUMN batch")  # SQLite 3.35 drops columns
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('sends_job_id_fkey', 'sends', type_='foreignkey')
    op.execute("ALTER TABLE sends DROP COLUMN job_id")
    op.drop_table('job_uploads')
    op.drop_table('job_problems')
    op.drop_table('job_recipients')
    op.drop_index('ix_job_batches_state', table_name='job_batches')
    op.drop_table('job_batches')
    op.drop_index('ix_jobs_state', table_name='jobs')
    op.drop_index('ix_jobs_user_id', table_name='jobs')
    op.drop_table('jobs')
