"""Baseline: the users and send_tokens tables exactly as db.create_all() made them.

A database created before migrations existed already has this schema; ``flask --app app
upgrade-db`` stamps it with this revision instead of running it (smsform/database.py).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-02 06:19:25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the staff accounts and the send form's one-time tokens."""
    op.create_table(
        "send_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("send_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_send_tokens_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_send_tokens_user_id", ["user_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )


def downgrade() -> None:
    """Drop both tables (and every account and token in them)."""
    op.drop_table("users")
    with op.batch_alter_table("send_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_send_tokens_user_id")
        batch_op.drop_index("ix_send_tokens_created_at")
    op.drop_table("send_tokens")
