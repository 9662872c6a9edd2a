"""The send log (sends, send_recipients), the audit trail, account state, the demo
gateway's state; send_tokens goes (a form's token is now signed, and claimed by the
send log row that carries it; tokens issued before the upgrade simply expire).

Revision ID: 0002_send_log
Revises: 0001_baseline
Create Date: 2026-12-02 06:55:52
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002_send_log'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the log, the audit, the account columns; drop send_tokens."""
    op.create_table('simulator_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('send_key', sa.String(length=160), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('sender', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('reserve_at', sa.DateTime(), nullable=True),
    sa.Column('repeat_num', sa.Integer(), nullable=True),
    sa.Column('repeat_minutes', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('remaining', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=300), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('marked', sa.String(length=16), nullable=True),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['marked_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('send_key')
    )
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.create_index('ix_sends_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_sends_result_created', ['result', 'created_at'], unique=False)
        batch_op.create_index('ix_sends_source_created', ['source', 'created_at'], unique=False)
        batch_op.create_index('ix_sends_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('send_recipients',
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['send_id'], ['sends.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('send_id', 'position')
    )
    with op.batch_alter_table('send_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_send_recipients_phone', ['phone', 'send_id'], unique=False)

    with op.batch_alter_table('send_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_tokens_created_at'))
        batch_op.drop_index(batch_op.f('ix_send_tokens_user_id'))

    op.drop_table('send_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_sender', sa.String(length=20), nullable=True))



def downgrade() -> None:
    """Back to the baseline (the log and the audit are lost)."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_sender')
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')
        batch_op.drop_column('active')

    op.create_table('send_tokens',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('send_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_send_tokens_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_tokens_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('send_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_send_recipients_phone')

    op.drop_table('send_recipients')
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_index('ix_sends_user_created')
        batch_op.drop_index('ix_sends_source_created')
        batch_op.drop_index('ix_sends_result_created')
        batch_op.drop_index('ix_sends_created_at')

    op.drop_table('sends')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('simulator_state')
