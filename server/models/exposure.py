"""Exposure copies (曝光台): a public copy of a problem photo with faces, number plates and
whatever the office marks blurred. The photo and its own copies are never written."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, Timestamps, UUIDKey, enum_type


class ExposureStatus(enum.StrEnum):
    draft = "draft"  # only the office sees it; boxes may change
    published = "published"  # shown to the office's units; never changes again
    withdrawn = "withdrawn"  # taken down; a new draft may be made


class RenderState(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ExposureCopy(UUIDKey, Timestamps, Base):
    __tablename__ = "exposure_copy"
    __table_args__ = (Index("ix_exposure_copy_office_status", "office_unit_id", "status"),)

    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photo.id"), index=True)
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[ExposureStatus] = mapped_column(
        enum_type(ExposureStatus), default=ExposureStatus.draft
    )
    # [{"id", "x", "y", "w", "h", "source": auto|manual, "kind": face|plate|manual}] in
    # pixels of the photo's public copy (width x height below).
    boxes: Mapped[list] = mapped_column(JSON, default=list)
    # +1 on every change of the boxes; the rendered file is of `rendered_revision`.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    rendered_revision: Mapped[int | None] = mapped_column(Integer)
    render_state: Mapped[RenderState] = mapped_column(
        enum_type(RenderState), default=RenderState.queued
    )
    render_error: Mapped[str | None] = mapped_column(String(300))
    render_queued_at: Mapped[datetime | None]
    detector_version: Mapped[str | None] = mapped_column(String(120))  # None: not yet run
    width: Mapped[int | None]
    height: Mapped[int | None]
    file_path: Mapped[str | None] = mapped_column(String(300))  # storage key of the copy
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_at: Mapped[datetime | None]

    @property
    def rendered(self) -> bool:
        """The file shows the current boxes."""
        return self.file_path is not None and self.rendered_revision == self.revision
