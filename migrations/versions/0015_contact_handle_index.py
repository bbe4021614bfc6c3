"""contact handle index: a new contact finds the same platform account on the
platform's other channels (unified by verified handle)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 16:00:00

"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_contacts_handle", "contacts", ["handle"])


def downgrade():
    op.drop_index("ix_contacts_handle", table_name="contacts")
