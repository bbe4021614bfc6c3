"""presence and drafts: the last known presence of each person; reply drafts per person and ticket

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 08:30:25.891854

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PRESENCE = sa.Enum('online', 'away', 'offline', name='presence', native_enum=False,
                   create_constraint=True, length=20)


def upgrade():
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_drafts_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_drafts_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('person_id', 'ticket_id', name=op.f('uq_drafts_person_id_ticket_id'))
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drafts_ticket_id'), ['ticket_id'], unique=False)

    # NOT NULL on existing rows: the server default makes everyone offline until seen.
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presence', PRESENCE, server_default='offline', nullable=False))
        batch_op.add_column(sa.Column('presence_at', desk.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_people_presence'), type_='check')
        batch_op.drop_column('presence_at')
        batch_op.drop_column('presence')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_ticket_id'))

    op.drop_table('drafts')
