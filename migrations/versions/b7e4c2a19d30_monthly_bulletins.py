"""issue 16: monthly bulletins (月公示、月通报、月排位) with versions and frozen figures

Revision ID: b7e4c2a19d30
Revises: 9a3b6e0d2c15
Create Date: 2026-12-06 03:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4c2a19d30"
down_revision = "9a3b6e0d2c15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulletin",
        sa.Column("office_unit_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "reviewed",
                "published",
                name="bulletinstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("doc_number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("typical", sa.JSON(), nullable=False),
        sa.Column("frozen", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pdf_path", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_bulletin_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["office_unit_id"], ["unit.id"], name=op.f("fk_bulletin_office_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["bulletin.id"], name=op.f("fk_bulletin_previous_id_bulletin")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_bulletin_published_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_bulletin_reviewed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
        sa.UniqueConstraint(
            "office_unit_id",
            "year",
            "month",
            "version",
            name=op.f("uq_bulletin_office_unit_id"),
        ),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_office_unit_id"), ["office_unit_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_office_unit_id"))
    op.drop_table("bulletin")
