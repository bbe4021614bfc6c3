"""ticket tags: a tag vocabulary (names unique, stored in lower case) and the tags on
each ticket

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base  # noqa: F401 - UTCDateTime columns


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('ticket_tags',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['people.id'], name=op.f('fk_ticket_tags_added_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_ticket_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_tags_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'tag_id', name=op.f('pk_ticket_tags'))
    )
    with op.batch_alter_table('ticket_tags', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_tags_tag_id', ['tag_id', 'ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_tags_tag_id')
    op.drop_table('ticket_tags')
    op.drop_table('tags')
