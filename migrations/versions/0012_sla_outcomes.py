"""sla outcomes: each clock's met/breached recorded on ticket_sla when it stops; the report
facts and daily sums read them (next response counted too)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 14:40:00

Outcomes are recorded from now on, at each ticket's next change (a stopped first
response is judged then from its reply time, so older answered tickets fill in as
they are touched). The report facts are recomputed by the next rollup run: the
watermark is dropped, which makes that run a full rebuild.
"""
from alembic import op
import sqlalchemy as sa

import desk.models.base  # noqa: F401 - UTCDateTime columns


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _outcome(name: str) -> sa.Enum:
    return sa.Enum('met', 'breached', name=name, native_enum=False, create_constraint=True,
                   length=20)


def upgrade():
    with op.batch_alter_table('ticket_sla', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_outcome',
                                      _outcome('sla_first_response_outcome'), nullable=True))
        batch_op.add_column(sa.Column('resolution_outcome', _outcome('sla_resolution_outcome'),
                                      nullable=True))
        batch_op.add_column(sa.Column('next_response_met', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('next_response_breached', sa.Integer(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('settled_at', desk.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_ticket_sla_settled_at', ['settled_at'], unique=False)
    with op.batch_alter_table('report_ticket_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_next_met', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('sla_next_breached', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.drop_index('ix_report_ticket_facts_sla_running')
        batch_op.create_index('ix_report_ticket_facts_sla_due_at', ['sla_due_at'], unique=False)
    with op.batch_alter_table('report_daily', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_nr_met', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('sla_nr_breached', sa.Integer(), server_default='0',
                                      nullable=False))
    op.execute("DELETE FROM report_state WHERE name = 'rollup.updated_at'")


def downgrade():
    with op.batch_alter_table('report_daily', schema=None) as batch_op:
        batch_op.drop_column('sla_nr_breached')
        batch_op.drop_column('sla_nr_met')
    with op.batch_alter_table('report_ticket_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_report_ticket_facts_sla_due_at')
        batch_op.create_index('ix_report_ticket_facts_sla_running',
                              ['sla_first_response', 'sla_due_at'], unique=False)
        batch_op.drop_column('sla_next_breached')
        batch_op.drop_column('sla_next_met')
    with op.batch_alter_table('ticket_sla', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_sla_settled_at')
        batch_op.drop_column('settled_at')
        batch_op.drop_column('next_response_breached')
        batch_op.drop_column('next_response_met')
        # The named CHECKs go first: SQLite's batch copy would keep them otherwise.
        batch_op.drop_constraint(op.f('ck_ticket_sla_sla_resolution_outcome'), type_='check')
        batch_op.drop_constraint(op.f('ck_ticket_sla_sla_first_response_outcome'),
                                 type_='check')
        batch_op.drop_column('resolution_outcome')
        batch_op.drop_column('first_response_outcome')
