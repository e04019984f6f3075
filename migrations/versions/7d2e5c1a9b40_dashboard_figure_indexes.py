"""dashboard figure indexes: the item state figures grouped from one covering index, and
items closed per week read by closing time (bench/dashboards.py); the office's ledger page
index also covers the urgency order's deep pages (red_from, id; bench/ledger.py)

Revision ID: 7d2e5c1a9b40
Revises: 5e1f0b7c2a90
Create Date: 2026-12-05 23:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "7d2e5c1a9b40"
down_revision = "5e1f0b7c2a90"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_rectification_figures": [
        *("office_unit_id", "status", "listed", "unit_id", "region_code"),
        *("red_from", "deadline", "closed_at", "issued_at"),
    ],
    "ix_rectification_closed": [
        *("office_unit_id", "closed_at", "status"),
        *("unit_id", "region_code", "lead_official_id", "listed"),
    ],
}


OFFICE_PAGE = "ix_rectification_office_page"
PAGE = ["office_unit_id", sa.literal_column("listed DESC"), "deadline", "code", "status"]


def upgrade():
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_index(OFFICE_PAGE)
        batch_op.create_index(OFFICE_PAGE, [*PAGE, "red_from", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_index(OFFICE_PAGE)
        batch_op.create_index(OFFICE_PAGE, PAGE, unique=False)
