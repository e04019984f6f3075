"""issue 16: the negative list and points (负面清单 / 积分): one row per deduction

Revision ID: b7e4c2a9d813
Revises: 9a3b6e0d2c15
Create Date: 2026-12-06 03:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4c2a9d813"
down_revision = "9a3b6e0d2c15"
branch_labels = None
depends_on = None


def _user_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_points_entry_{column}_user_account")
    )


def upgrade():
    op.create_table(
        "points_entry",
        sa.Column("office_unit_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("summons_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection", sa.Text(), nullable=False),
        sa.Column(
            "objection_status",
            sa.Enum(
                "pending",
                "upheld",
                "rejected",
                name="objectionstatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("objected_by_id", sa.Uuid(), nullable=True),
        sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("created_by_id"),
        _user_fk("decided_by_id"),
        _user_fk("objected_by_id"),
        sa.ForeignKeyConstraint(
            ["office_unit_id"], ["unit.id"], name=op.f("fk_points_entry_office_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["rectification.id"],
            name=op.f("fk_points_entry_rectification_id_rectification"),
        ),
        sa.ForeignKeyConstraint(
            ["summons_id"], ["summons.id"], name=op.f("fk_points_entry_summons_id_summons")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_points_entry_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entry")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_points_entry_dedupe_key")),
    )
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_entry_office_year", ["office_unit_id", "year", "unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_points_entry_rectification_id"), ["rectification_id"], unique=False
        )
        batch_op.create_index("ix_points_entry_unit_year", ["unit_id", "year"], unique=False)


def downgrade():
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_points_entry_unit_year")
        batch_op.drop_index(batch_op.f("ix_points_entry_rectification_id"))
        batch_op.drop_index("ix_points_entry_office_year")
    op.drop_table("points_entry")
