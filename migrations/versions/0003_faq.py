"""faq: candidates, entries with versions, provenance, votes and link uses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:28:49.217259

"""
from alembic import op
import sqlalchemy as sa

import desk.models.base  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('answer_html', sa.Text(), nullable=False),
    sa.Column('answer_text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('language', sa.Enum('de', 'en', name='faq_language', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('published', 'archived', name='faq_entry_status', native_enum=False, create_constraint=True, length=20), server_default='published', nullable=False),
    sa.Column('publish_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('view_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('helpful_yes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('helpful_no', sa.Integer(), server_default='0', nullable=False),
    sa.Column('sent_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('followup_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries')),
    sa.UniqueConstraint('slug', name=op.f('uq_faq_entries_slug'))
    )
    with op.batch_alter_table('faq_entries', schema=None) as batch_op:
        batch_op.create_index('ix_faq_entries_public', ['status', 'language', 'category', 'publish_at'], unique=False)
        batch_op.create_index('ix_faq_entries_updated_at', ['updated_at'], unique=False)

    op.create_table('faq_entry_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('answer_html', sa.Text(), nullable=False),
    sa.Column('answer_text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('language', sa.Enum('de', 'en', name='faq_language', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('published', 'archived', name='faq_entry_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('publish_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['people.id'], name=op.f('fk_faq_entry_versions_editor_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_entry_versions_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entry_versions')),
    sa.UniqueConstraint('entry_id', 'version', name=op.f('uq_faq_entry_versions_entry_id_version'))
    )
    op.create_table('faq_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('is_helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_votes_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_votes')),
    sa.UniqueConstraint('entry_id', 'visitor_key', name=op.f('uq_faq_votes_entry_id_visitor_key'))
    )
    op.create_table('faq_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('agent', 'cluster', name='faq_candidate_source', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'published', 'merged', 'rejected', name='faq_candidate_status', native_enum=False, create_constraint=True, length=20), server_default='pending', nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), server_default='', nullable=False),
    sa.Column('language', sa.Enum('de', 'en', name='faq_language', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('ticket_ids', sa.JSON(), nullable=False),
    sa.Column('cluster_key', sa.String(length=64), nullable=True),
    sa.Column('cluster_size', sa.Integer(), server_default='1', nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', desk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_candidates_entry_id_faq_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_faq_candidates_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposer_id'], ['people.id'], name=op.f('fk_faq_candidates_proposer_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_faq_candidates_reviewer_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_faq_candidates_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_candidates')),
    sa.UniqueConstraint('cluster_key', name=op.f('uq_faq_candidates_cluster_key'))
    )
    with op.batch_alter_table('faq_candidates', schema=None) as batch_op:
        batch_op.create_index('ix_faq_candidates_proposer_id', ['proposer_id', 'id'], unique=False)
        batch_op.create_index('ix_faq_candidates_status', ['status', 'cluster_size', 'id'], unique=False)

    op.create_table('faq_link_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_link_uses_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_faq_link_uses_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_link_uses')),
    sa.UniqueConstraint('entry_id', 'message_id', name=op.f('uq_faq_link_uses_entry_id_message_id'))
    )
    op.create_table('faq_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('created_at', desk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['faq_candidates.id'], name=op.f('fk_faq_sources_candidate_id_faq_candidates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_sources_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_faq_sources_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_sources')),
    sa.UniqueConstraint('entry_id', 'ticket_id', name=op.f('uq_faq_sources_entry_id_ticket_id'))
    )
    with op.batch_alter_table('faq_sources', schema=None) as batch_op:
        batch_op.create_index('ix_faq_sources_ticket_id', ['ticket_id'], unique=False)



def downgrade():
    with op.batch_alter_table('faq_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_faq_sources_ticket_id')

    op.drop_table('faq_sources')
    op.drop_table('faq_link_uses')
    with op.batch_alter_table('faq_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_faq_candidates_status')
        batch_op.drop_index('ix_faq_candidates_proposer_id')

    op.drop_table('faq_candidates')
    op.drop_table('faq_votes')
    op.drop_table('faq_entry_versions')
    with op.batch_alter_table('faq_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_faq_entries_updated_at')
        batch_op.drop_index('ix_faq_entries_public')

    op.drop_table('faq_entries')
