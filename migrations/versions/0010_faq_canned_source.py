"""faq canned source: candidates proposed from canned replies that work

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 11:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CONSTRAINT = "faq_candidate_source"  # named ck_faq_candidates_faq_candidate_source


def _replace_check(values: tuple[str, ...]) -> None:
    condition = "source IN ({})".format(", ".join(f"'{value}'" for value in values))
    with op.batch_alter_table("faq_candidates") as batch:
        batch.drop_constraint(op.f("ck_faq_candidates_faq_candidate_source"), type_="check")
        batch.create_check_constraint(CONSTRAINT, condition)


def upgrade():
    _replace_check(("agent", "cluster", "canned"))


def downgrade():
    op.execute("DELETE FROM faq_candidates WHERE source = 'canned'")
    _replace_check(("agent", "cluster"))
