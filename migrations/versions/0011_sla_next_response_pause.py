"""sla next-response pause: business minutes paused since the running next-response clock
started

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 14:40:00

`ticket_sla.paused_minutes` counts every pause since the ticket was created, which
is the start of the first-response and resolution clocks. The next-response clock
starts at each customer message after our reply, so it needs its own count, reset
when it restarts. Existing rows start at 0: a pause already over before this
migration keeps counting against the running next-response clock, as it did.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_sla") as batch:
        batch.add_column(sa.Column("next_response_paused_minutes", sa.Double(),
                                   server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("ticket_sla") as batch:
        batch.drop_column("next_response_paused_minutes")
