"""Message templates: ``message_templates``, the team's saved texts (issue 14).

A new table on both engines: name (unique), text, subject, kind (auto, sms, lms), the
advertising flag, and who made and last changed it, when. Nothing else changes.

Revision ID: 0010_message_templates
Revises: 0009_deferred_search
Create Date: 2026-12-07 03:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_message_templates'
down_revision = '0009_deferred_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create message_templates."""
    op.create_table(
        'message_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('subject', sa.String(length=200), server_default='', nullable=False),
        sa.Column('kind', sa.String(length=8), server_default='auto', nullable=False),
        sa.Column('advertising', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )


def downgrade() -> None:
    """Drop message_templates (the saved texts are lost; the send log keeps its own)."""
    op.drop_table('message_templates')
