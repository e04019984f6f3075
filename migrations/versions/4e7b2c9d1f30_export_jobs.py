"""issue 16: export jobs (导出任务), the large XLSX exports run on the job queue

Revision ID: 4e7b2c9d1f30
Revises: 9a3b6e0d2c15
Create Date: 2026-12-06 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "4e7b2c9d1f30"
down_revision = "9a3b6e0d2c15"
branch_labels = None
depends_on = None

STATUSES = ("queued", "running", "done", "failed", "expired")


def upgrade():
    op.create_table(
        "export_job",
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="exportstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["user_account.id"],
            name=op.f("fk_export_job_requester_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        for column in ("created_at", "expires_at", "requester_id", "status"):
            batch_op.create_index(batch_op.f(f"ix_export_job_{column}"), [column], unique=False)


def downgrade():
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        for column in ("status", "requester_id", "expires_at", "created_at"):
            batch_op.drop_index(batch_op.f(f"ix_export_job_{column}"))
    op.drop_table("export_job")
