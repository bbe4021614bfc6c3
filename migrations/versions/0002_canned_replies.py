"""canned replies: the library (replies, variants per language, tags) and their uses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:51:32.500140

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.Enum('personal', 'team', 'global', name='canned_scope', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('languages', sa.String(length=16), server_default='', nullable=False),
    sa.Column('use_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(scope = 'personal' AND owner_id IS NOT NULL AND team_id IS NULL) OR (scope = 'team' AND team_id IS NOT NULL AND owner_id IS NULL) OR (scope = 'global' AND owner_id IS NULL AND team_id IS NULL)", name=op.f('ck_canned_replies_holder_matches_scope')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_canned_replies_created_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_canned_replies_owner_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_canned_replies_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.create_index('ix_canned_replies_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_canned_replies_shortcut', ['shortcut'], unique=False)
        batch_op.create_index('ix_canned_replies_team_id', ['team_id'], unique=False)

    op.create_table('canned_reply_tags',
    sa.Column('canned_reply_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['canned_reply_id'], ['canned_replies.id'], name=op.f('fk_canned_reply_tags_canned_reply_id_canned_replies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('canned_reply_id', 'tag', name=op.f('pk_canned_reply_tags'))
    )
    with op.batch_alter_table('canned_reply_tags', schema=None) as batch_op:
        batch_op.create_index('ix_canned_reply_tags_tag', ['tag'], unique=False)

    op.create_table('canned_reply_variants',
    sa.Column('canned_reply_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.Enum('de', 'en', name='canned_language', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['canned_reply_id'], ['canned_replies.id'], name=op.f('fk_canned_reply_variants_canned_reply_id_canned_replies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('canned_reply_id', 'language', name=op.f('pk_canned_reply_variants'))
    )
    op.create_table('canned_reply_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canned_reply_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['canned_reply_id'], ['canned_replies.id'], name=op.f('fk_canned_reply_uses_canned_reply_id_canned_replies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_canned_reply_uses_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_canned_reply_uses_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_canned_reply_uses_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_reply_uses')),
    sa.UniqueConstraint('message_id', 'canned_reply_id', name=op.f('uq_canned_reply_uses_message_id_canned_reply_id'))
    )
    with op.batch_alter_table('canned_reply_uses', schema=None) as batch_op:
        batch_op.create_index('ix_canned_reply_uses_canned_reply_id', ['canned_reply_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('canned_reply_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_reply_uses_canned_reply_id')

    op.drop_table('canned_reply_uses')
    op.drop_table('canned_reply_variants')
    with op.batch_alter_table('canned_reply_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_reply_tags_tag')

    op.drop_table('canned_reply_tags')
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_replies_team_id')
        batch_op.drop_index('ix_canned_replies_shortcut')
        batch_op.drop_index('ix_canned_replies_owner_id')

    op.drop_table('canned_replies')
