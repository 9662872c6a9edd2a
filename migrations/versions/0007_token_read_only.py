"""Read-only API tokens: ``api_tokens.read_only`` (false for every existing token).

A read-only token lists and reads (the send log, the credit, the sender numbers) with its
user's rights, and ``POST /api/v1/messages`` answers it 403 (services.api_tokens). A plain
``ADD COLUMN`` with a default on both engines: existing tokens keep working as before.

Revision ID: 0007_token_read_only
Revises: 0006_cost_charged
Create Date: 2026-12-07 01:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_token_read_only'
down_revision = '0006_cost_charged'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add api_tokens.read_only."""
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('read_only', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    """Drop api_tokens.read_only (read-only tokens become full ones: revoke them first)."""
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('read_only')
