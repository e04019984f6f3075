"""issue 15: forced password change at first login, item titles (backfilled from the
problem's first words), leaders' instructions (批示) and region names

Revision ID: 9a3b6e0d2c15
Revises: 8c4f1d2e6a71
Create Date: 2026-12-06 02:20:00.000000

"""

import re

import sqlalchemy as sa
from alembic import op

revision = "9a3b6e0d2c15"
down_revision = "8c4f1d2e6a71"
branch_labels = None
depends_on = None

TITLE_CHARS = 20
BREAK = re.compile(r"[。;;!!??\n\r]")


def _title(problem: str) -> str:
    # Frozen copy of the app's default title at the time of this migration.
    head = BREAK.split((problem or "").strip(), maxsplit=1)[0].strip()
    return head[:TITLE_CHARS]


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=60), server_default="", nullable=False)
        )
    bind = op.get_bind()
    item = sa.table(
        "rectification",
        sa.column("id", sa.Uuid()),
        sa.column("problem", sa.Text()),
        sa.column("title", sa.String()),
    )
    rows = bind.execute(sa.select(item.c.id, item.c.problem)).all()
    for start in range(0, len(rows), 1000):
        bind.execute(
            item.update().where(item.c.id == sa.bindparam("b_id")),
            [{"b_id": r.id, "title": _title(r.problem)} for r in rows[start : start + 1000]],
        )

    op.create_table(
        "instruction",
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("finding_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rectification_id IS NOT NULL OR finding_id IS NOT NULL",
            name=op.f("ck_instruction_has_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user_account.id"],
            name=op.f("fk_instruction_answered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_instruction_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_instruction_finding_id_finding")
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["rectification.id"],
            name=op.f("fk_instruction_rectification_id_rectification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction")),
    )
    with op.batch_alter_table("instruction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instruction_finding_id"), ["finding_id"], unique=False)
        batch_op.create_index(
            "ix_instruction_open", ["rectification_id", "answered_at"], unique=False
        )

    op.create_table(
        "region",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(code) IN (6, 9, 12)", name=op.f("ck_region_code_digits")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )


def downgrade():
    op.drop_table("region")
    with op.batch_alter_table("instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_instruction_open")
        batch_op.drop_index(batch_op.f("ix_instruction_finding_id"))
    op.drop_table("instruction")
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
