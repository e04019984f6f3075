"""merge issue 16's branches: XLSX export jobs, monthly bulletins, negative-list points and
exposure copies were built side by side on 9a3b6e0d2c15; this joins their heads into one

Revision ID: c0ffee16a001
Revises: 4e7b2c9d1f30, b7e4c2a19d30, b7e4c2a9d813, 584493f75ad6
Create Date: 2026-12-06 03:40:00.000000

"""

revision = "c0ffee16a001"
down_revision = ("4e7b2c9d1f30", "b7e4c2a19d30", "b7e4c2a9d813", "584493f75ad6")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
