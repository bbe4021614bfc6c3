"""sla: policies, ticket clocks, escalations, message scores, alerts

Policies with business calendars; one ticket_sla row per ticket with its due times
and the sweep's next check (partial index on check_at); escalations unique per
(ticket, policy, clock, clock start, level); per-message sentiment (partial index on
negative ones, for early warning); alerts unique per (channel, topic, hour).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 11:00:47.835957

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=100), server_default='', nullable=False),
    sa.Column('window_start', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('baseline_mean', sa.Double(), nullable=False),
    sa.Column('baseline_std', sa.Double(), nullable=False),
    sa.Column('message_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['people.id'], name=op.f('fk_alerts_acknowledged_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_alerts_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('channel_id', 'topic', 'window_start', name=op.f('uq_alerts_channel_id_topic_window_start'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='sla_priority', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('next_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.JSON(), nullable=False),
    sa.Column('pause_statuses', sa.JSON(), nullable=False),
    sa.Column('warn_share', sa.Double(), server_default='0.8', nullable=False),
    sa.Column('repeat_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('max_level', sa.Integer(), server_default='3', nullable=False),
    sa.Column('escalate_to_id', sa.Integer(), nullable=True),
    sa.Column('reassign', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_sla_policies_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['escalate_to_id'], ['people.id'], name=op.f('fk_sla_policies_escalate_to_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('name', name=op.f('uq_sla_policies_name'))
    )
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('clock', sa.String(length=20), nullable=False),
    sa.Column('clock_started_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('warning', 'breach', 'manual', 'risk', name='escalation_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('notify_id', sa.Integer(), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('digest_sent_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['people.id'], name=op.f('fk_escalations_acknowledged_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notify_id'], ['people.id'], name=op.f('fk_escalations_notify_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_escalations_policy_id_sla_policies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['people.id'], name=op.f('fk_escalations_raised_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_escalations_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('ticket_id', 'policy_id', 'clock', 'clock_started_at', 'level', name=op.f('uq_escalations_ticket_id_policy_id_clock_clock_started_at_level'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_digest', ['digest_sent_at', 'created_at'], unique=False)
        batch_op.create_index('ix_escalations_notify_id', ['notify_id', 'acknowledged_at'], unique=False)

    op.create_table('ticket_sla',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('first_response_due_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_response_due_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_response_started_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warn_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('check_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_minutes', sa.Double(), server_default='0', nullable=False),
    sa.Column('priority_reason', sa.String(length=200), nullable=True),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_ticket_sla_policy_id_sla_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_sla_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_sla'))
    )
    with op.batch_alter_table('ticket_sla', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_sla_check_at', ['check_at'], unique=False, sqlite_where=sa.text('check_at IS NOT NULL'), postgresql_where=sa.text('check_at IS NOT NULL'))

    op.create_table('message_scores',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('sentiment', sa.Double(), nullable=False),
    sa.Column('is_negative', sa.Boolean(), nullable=False),
    sa.Column('topics', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_message_scores_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_scores_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_message_scores'))
    )
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.create_index('ix_message_scores_negative', ['channel_id', 'created_at'], unique=False, sqlite_where=sa.text('is_negative'), postgresql_where=sa.text('is_negative'))



def downgrade():
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_message_scores_negative', sqlite_where=sa.text('is_negative'), postgresql_where=sa.text('is_negative'))

    op.drop_table('message_scores')
    with op.batch_alter_table('ticket_sla', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_sla_check_at', sqlite_where=sa.text('check_at IS NOT NULL'), postgresql_where=sa.text('check_at IS NOT NULL'))

    op.drop_table('ticket_sla')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_notify_id')
        batch_op.drop_index('ix_escalations_digest')

    op.drop_table('escalations')
    op.drop_table('sla_policies')
    op.drop_table('alerts')
