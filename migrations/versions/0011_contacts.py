"""The address book: contacts (one per number), groups and who is in which.

Revision ID: 0011_contacts
Revises: 0010_message_templates
Create Date: 2026-12-07 06:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_contacts'
down_revision = '0010_message_templates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add contacts, contact_groups and contact_members."""
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('digits', sa.String(length=16), nullable=False),
    sa.Column('tail', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=100).with_variant(
        sa.String(length=100, collation='C'), 'postgresql'), server_default='', nullable=False),
    sa.Column('memo', sa.Text(), server_default='', nullable=False),
    sa.Column('fields', sa.Text(), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digits')
    )
    op.create_index('ix_contacts_name_id', 'contacts', ['name', 'id'])
    op.create_index('ix_contacts_tail', 'contacts', ['tail', 'id'])
    op.create_table('contact_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('contact_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['contact_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'contact_id')
    )
    op.create_index('ix_contact_members_contact', 'contact_members', ['contact_id'])


def downgrade() -> None:
    """Drop the address book."""
    op.drop_index('ix_contact_members_contact', table_name='contact_members')
    op.drop_table('contact_members')
    op.drop_table('contact_groups')
    op.drop_index('ix_contacts_tail', table_name='contacts')
    op.drop_index('ix_contacts_name_id', table_name='contacts')
    op.drop_table('contacts')
