"""assignment: team rules, each person's assignment state, assignment times on tickets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_UNASSIGNED_OPEN = "status IN ('new', 'open', 'pending') AND assignee_id IS NULL"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table('assignment_rules',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('mode', _enum('assign_mode', 'off', 'round_robin', 'least_loaded'), server_default='off', nullable=False),
    sa.Column('capacity', sa.Integer(), server_default='10', nullable=False),
    sa.Column('grace_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('response_minutes', sa.Integer(), nullable=True),
    sa.Column('response_minutes_by_priority', sa.JSON(), nullable=False),
    sa.Column('response_action', _enum('response_action', 'reassign', 'escalate'), server_default='reassign', nullable=False),
    sa.Column('fair_limit', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fair_window_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_assignment_rules_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_assignment_rules'))
    )
    op.create_table('agent_states',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=True),
    sa.Column('channel_ids', sa.JSON(), nullable=True),
    sa.Column('chosen_status', _enum('chosen_presence', 'online', 'away', 'offline'), server_default='online', nullable=False),
    sa.Column('chosen_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assign_seq', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('window_started_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_count', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_agent_states_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_agent_states'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', desk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('response_due_at', desk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_tickets_backlog', ['team_id', 'created_at', 'id'], unique=False,
                              sqlite_where=sa.text(_UNASSIGNED_OPEN),
                              postgresql_where=sa.text(_UNASSIGNED_OPEN))
        batch_op.create_index('ix_tickets_response_due', ['response_due_at'], unique=False,
                              sqlite_where=sa.text('response_due_at IS NOT NULL'),
                              postgresql_where=sa.text('response_due_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_response_due',
                            sqlite_where=sa.text('response_due_at IS NOT NULL'),
                            postgresql_where=sa.text('response_due_at IS NOT NULL'))
        batch_op.drop_index('ix_tickets_backlog', sqlite_where=sa.text(_UNASSIGNED_OPEN),
                            postgresql_where=sa.text(_UNASSIGNED_OPEN))
        batch_op.drop_column('response_due_at')
        batch_op.drop_column('assigned_at')
    op.drop_table('agent_states')
    op.drop_table('assignment_rules')
