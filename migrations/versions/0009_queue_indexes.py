"""queue indexes: PostgreSQL-only partial indexes for tickets without a due time; a covering
index for an agent's sidebar counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 11:10:00

SQLite walks the existing (…, due_at, created_at, id) indexes for the undated
segment of a queue page; PostgreSQL does not treat `due_at IS NULL` as an equality
there and sorted every undated ticket per page (docs/benchmarks.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'open', 'pending')"
UNDATED_OPEN = OPEN + " AND due_at IS NULL"
INDEXES = {
    "open": ((), UNDATED_OPEN),
    "unassigned": ((), UNDATED_OPEN + " AND assignee_id IS NULL"),
    "assignee": (("assignee_id",), UNDATED_OPEN),
    "team": (("team_id",), UNDATED_OPEN),
    "channel": (("channel_id",), UNDATED_OPEN),
}


def upgrade():
    op.create_index("ix_tickets_open_assignee_team", "tickets", ["assignee_id", "team_id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (leading, where) in INDEXES.items():
        op.create_index(f"ix_tickets_undated_{name}", "tickets", [*leading, "created_at", "id"],
                        postgresql_where=sa.text(where))


def downgrade():
    op.drop_index("ix_tickets_open_assignee_team", table_name="tickets")
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.drop_index(f"ix_tickets_undated_{name}", table_name="tickets")
