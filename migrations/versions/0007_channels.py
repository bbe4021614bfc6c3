"""channels: connector settings, write-only credentials, poll state; the reply outbox;
contacts unified across channels, related tickets, attachments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OUTBOX_STATE = sa.Enum('queued', 'sending', 'sent', 'unknown', 'failed', 'manual',
                       name='outbox_state', native_enum=False, create_constraint=True,
                       length=20)


def upgrade():
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), server_default='{}',
                                      nullable=False))
        batch_op.add_column(sa.Column('credentials', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('allow_private', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('cursor', sa.JSON(), server_default='{}',
                                      nullable=False))
        batch_op.add_column(sa.Column('poll_interval', sa.Integer(), server_default='300',
                                      nullable=False))
        batch_op.add_column(sa.Column('next_poll_at',
                                      desk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_polled_at',
                                      desk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_error_at',
                                      desk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('taken_count', sa.Integer(), server_default='0',
                                      nullable=False))

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('state', OUTBOX_STATE, server_default='queued', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('leased_until', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_outbox_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_outbox_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_state', ['state', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('unified_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_unified_id_contacts'), 'contacts',
                                    ['unified_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_contacts_email', ['email'], unique=False)
        batch_op.create_index('ix_contacts_unified_id', ['unified_id'], unique=False)

    op.create_table('ticket_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ticket_id < related_id', name=op.f('ck_ticket_links_ordered')),
    sa.ForeignKeyConstraint(['related_id'], ['tickets.id'], name=op.f('fk_ticket_links_related_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_links')),
    sa.UniqueConstraint('ticket_id', 'related_id', name=op.f('uq_ticket_links_ticket_id_related_id'))
    )
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_links_related_id', ['related_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_message_id', ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_message_id')
    op.drop_table('attachments')
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_links_related_id')
    op.drop_table('ticket_links')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_unified_id')
        batch_op.drop_index('ix_contacts_email')
        batch_op.drop_constraint(batch_op.f('fk_contacts_unified_id_contacts'),
                                 type_='foreignkey')
        batch_op.drop_column('unified_id')
        batch_op.drop_column('email')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state')
    op.drop_table('outbox')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('taken_count')
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_polled_at')
        batch_op.drop_column('next_poll_at')
        batch_op.drop_column('poll_interval')
        batch_op.drop_column('cursor')
        batch_op.drop_column('allow_private')
        batch_op.drop_column('credentials')
        batch_op.drop_column('settings')
