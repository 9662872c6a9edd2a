"""Relay sites (ids and hashed keys of the sites that send through /relay) and API tokens
(hashed bearer tokens for /api/v1).

Revision ID: 0004_relay_api
Revises: 0003_send_search
Create Date: 2026-12-02 07:50
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_relay_api'
down_revision = '0003_send_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add relay_sites and api_tokens."""
    op.create_table('relay_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('senders', sa.Text(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('test_only', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('allow_ips', sa.Text(), nullable=False),
    sa.Column('charset', sa.String(length=8), server_default='auto', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('user_id')
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    """Drop them (the sites' keys and the tokens are lost)."""
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('relay_sites')
