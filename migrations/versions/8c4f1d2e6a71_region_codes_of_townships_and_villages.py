"""region codes of townships and villages: unit and site region codes may have 6 (county),
9 (township) or 12 (village) digits (server/regions.py)

Revision ID: 8c4f1d2e6a71
Revises: 7d2e5c1a9b40
Create Date: 2026-12-05 23:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "8c4f1d2e6a71"
down_revision = "7d2e5c1a9b40"
branch_labels = None
depends_on = None

TABLES = ("unit", "site")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_region_code_6_digits"), type_="check")
            batch_op.alter_column(
                "region_code", existing_type=sa.String(6), type_=sa.String(12), nullable=False
            )
            batch_op.create_check_constraint(
                "region_code_digits", "length(region_code) IN (6, 9, 12)"
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_region_code_digits"), type_="check")
            batch_op.alter_column(
                "region_code", existing_type=sa.String(12), type_=sa.String(6), nullable=False
            )
            batch_op.create_check_constraint("region_code_6_digits", "length(region_code) = 6")
