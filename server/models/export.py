"""Export jobs (导出任务): a large XLSX export runs on the job queue; this row is the
truth about it (who asked, what, with which filters, how far it got, where the file is
and when it is deleted)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UUIDKey, enum_type, utcnow


class ExportStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    expired = "expired"  # done, and its file deleted after export_keep_hours


class ExportJob(UUIDKey, Base):
    __tablename__ = "export_job"

    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # ledger | three_lists
    filters: Mapped[dict] = mapped_column(JSON, default=dict)  # the page's query string
    status: Mapped[ExportStatus] = mapped_column(
        enum_type(ExportStatus), default=ExportStatus.queued, index=True
    )
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))  # under STORAGE_DIR/exports
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    # Created, started, each batch written, re-queued: the sweeper's clock.
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)
