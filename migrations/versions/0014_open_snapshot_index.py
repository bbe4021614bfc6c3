"""open snapshot index: the report backlog and today's open counters from one covering
partial index over the open tickets

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 15:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'open', 'pending')"


def upgrade():
    op.create_index("ix_tickets_open_snapshot", "tickets",
                    ["status", "created_at", "team_id", "channel_id", "assignee_id", "due_at"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_index("ix_tickets_open_snapshot", table_name="tickets")
