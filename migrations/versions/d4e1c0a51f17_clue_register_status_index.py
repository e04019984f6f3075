"""clue register status index: the register's counts by status (and its status filters)
read one index of the office's clues (bench/clue_import.py)

Revision ID: d4e1c0a51f17
Revises: 9e6286f90647
Create Date: 2026-12-06 06:30:00.000000

"""

from alembic import op

revision = "d4e1c0a51f17"
down_revision = "9e6286f90647"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clue", schema=None) as batch_op:
        batch_op.create_index("ix_clue_office_status", ["office_unit_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("clue", schema=None) as batch_op:
        batch_op.drop_index("ix_clue_office_status")
