"""initial schema: people, teams, channels, contacts, tickets, messages, intake, audit, job failures

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 07:30:42.902964

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('queue', sa.String(length=40), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failed_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retried_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('is_active_account', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_api_tokens_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('webhook', 'form', 'feed', 'meta', 'mastodon', 'x', 'email', name='channel_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('secret', sa.String(length=256), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_channels_owner_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_channels_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels')),
    sa.UniqueConstraint('slug', name=op.f('uq_channels_slug'))
    )
    op.create_table('person_roles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('agent', 'supervisor', 'faq_editor', 'admin', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_roles_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'role', name=op.f('pk_person_roles'))
    )
    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_team_members_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'person_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index('ix_team_members_person_id', ['person_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('reach', sa.Integer(), server_default='0', nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_contacts_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('channel_id', 'handle', name=op.f('uq_contacts_channel_id_handle'))
    )
    op.create_table('intake_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('received', 'processing', 'processed', 'failed', name='intake_status', native_enum=False, create_constraint=True, length=20), server_default='received', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('lease_token', sa.String(length=36), nullable=True),
    sa.Column('leased_until', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_intake_events_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_events')),
    sa.UniqueConstraint('channel_id', 'external_id', name=op.f('uq_intake_events_channel_id_external_id'))
    )
    with op.batch_alter_table('intake_events', schema=None) as batch_op:
        batch_op.create_index('ix_intake_events_status', ['status', 'id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('thread_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('preview', sa.String(length=200), server_default='', nullable=False),
    sa.Column('status', sa.Enum('new', 'open', 'pending', 'resolved', 'spam', name='ticket_status', native_enum=False, create_constraint=True, length=20), server_default='new', nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='ticket_priority', native_enum=False, create_constraint=True, length=20), server_default='normal', nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('due_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False),
    sa.Column('sentiment', sa.Double(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('message_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_message_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['people.id'], name=op.f('fk_tickets_assignee_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_tickets_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_tickets_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_tickets_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('channel_id', 'thread_key', name=op.f('uq_tickets_channel_id_thread_key'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_contact_id', ['contact_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tickets_queue_assignee', ['assignee_id', 'due_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.create_index('ix_tickets_queue_channel', ['channel_id', 'due_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.create_index('ix_tickets_queue_open', ['due_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.create_index('ix_tickets_queue_status', ['status', 'due_at', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_queue_team', ['team_id', 'due_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.create_index('ix_tickets_queue_unassigned', ['due_at', 'created_at', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"), postgresql_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"))

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_audit_events_actor_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_audit_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_ticket_id', ['ticket_id', 'id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('inbound', 'reply', 'note', name='message_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('intake_event_id', sa.Integer(), nullable=True),
    sa.Column('delivery', sa.Enum('queued', 'sent', 'failed', 'manual', name='message_delivery', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_messages_author_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_messages_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['intake_event_id'], ['intake_events.id'], name=op.f('fk_messages_intake_event_id_intake_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_messages_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('channel_id', 'external_id', name=op.f('uq_messages_channel_id_external_id')),
    sa.UniqueConstraint('intake_event_id', name=op.f('uq_messages_intake_event_id'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_ticket_id', ['ticket_id', 'created_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_ticket_id')

    op.drop_table('messages')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_ticket_id')

    op.drop_table('audit_events')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue_unassigned', sqlite_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"), postgresql_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"))
        batch_op.drop_index('ix_tickets_queue_team', sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.drop_index('ix_tickets_queue_status')
        batch_op.drop_index('ix_tickets_queue_open', sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.drop_index('ix_tickets_queue_channel', sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.drop_index('ix_tickets_queue_assignee', sqlite_where=sa.text("status IN ('new', 'open', 'pending')"), postgresql_where=sa.text("status IN ('new', 'open', 'pending')"))
        batch_op.drop_index('ix_tickets_contact_id')

    op.drop_table('tickets')
    with op.batch_alter_table('intake_events', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_events_status')

    op.drop_table('intake_events')
    op.drop_table('contacts')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index('ix_team_members_person_id')

    op.drop_table('team_members')
    op.drop_table('person_roles')
    op.drop_table('channels')
    op.drop_table('api_tokens')
    op.drop_table('teams')
    op.drop_table('people')
    op.drop_table('job_failures')
