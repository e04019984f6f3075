"""photo processing through the job queue: attempts and when it was last queued, so the
sweeper can re-enqueue stranded photos and give up (content_status `failed`) after a set
number of attempts; which job consumer is working on it, so that the photos of a consumer
that died are re-enqueued at once and two consumers never decode the same photo

Revision ID: 5e1f0b7c2a90
Revises: 3301c3bd925b
Create Date: 2026-12-05 13:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5e1f0b7c2a90"
down_revision = "3301c3bd925b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("photo") as batch:
        batch.add_column(
            sa.Column("processing_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("processing_queued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("processing_claimed_by", sa.String(80), nullable=True))
        batch.create_index("ix_photo_processing_queue", ["content_status", "processing_queued_at"])


def downgrade():
    with op.batch_alter_table("photo") as batch:
        batch.drop_index("ix_photo_processing_queue")
        batch.drop_column("processing_claimed_by")
        batch.drop_column("processing_queued_at")
        batch.drop_column("processing_attempts")
