"""ledger page indexes: the ledger's order (listed first, deadline, code) after each filter,
replacing single-column indexes that are now their prefixes (bench/ledger.py)

Revision ID: 3301c3bd925b
Revises: cb27b1e89892
Create Date: 2026-12-02 04:35:50.517406

"""

import sqlalchemy as sa
from alembic import op

revision = "3301c3bd925b"
down_revision = "cb27b1e89892"
branch_labels = None
depends_on = None

ORDER = [sa.literal_column("listed DESC"), "deadline", "code"]
PAGES = {  # status last: the page's count reads the index alone
    "ix_rectification_office_page": ["office_unit_id", *ORDER, "status"],
    "ix_rectification_region_page": ["office_unit_id", "region_code", *ORDER, "status"],
    "ix_rectification_unit_page": ["unit_id", *ORDER, "status"],
    "ix_rectification_lead_page": ["lead_official_id", *ORDER, "status"],
    "ix_rectification_status_page": ["office_unit_id", "status", *ORDER],
}
SINGLE = {
    "ix_rectification_office_unit_id": ["office_unit_id"],
    "ix_rectification_unit_id": ["unit_id"],
    "ix_rectification_region_code": ["region_code"],
    "ix_rectification_lead_official_id": ["lead_official_id"],
    "ix_rectification_office_order": ["office_unit_id", "listed", "deadline"],
}


def upgrade():
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        for name in SINGLE:
            batch_op.drop_index(name)
        for name, columns in PAGES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        for name in PAGES:
            batch_op.drop_index(name)
        for name, columns in SINGLE.items():
            batch_op.create_index(name, columns, unique=False)
