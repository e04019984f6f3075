"""Rectification items (整改事项) in the shape plans need to link them: a follow-up
(回头看) plan names the items it re-checks. The rectification workflow extends this."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned
from server.models.unit import Unit


class RectificationStatus(enum.StrEnum):
    draft = "draft"
    issued = "issued"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    closure_requested = "closure_requested"
    closed = "closed"


# Items a follow-up inspection can re-check: issued to a unit and not yet closed.
OPEN_FOR_RECHECK = (
    RectificationStatus.issued,
    RectificationStatus.acknowledged,
    RectificationStatus.in_progress,
    RectificationStatus.closure_requested,
)


class Rectification(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "rectification"
    __table_args__ = (UniqueConstraint("office_unit_id", "code"),)

    code: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(Text)  # 问题
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)  # 责任单位
    source_plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id"), index=True)
    status: Mapped[RectificationStatus] = mapped_column(
        Enum(RectificationStatus, native_enum=False, length=20, validate_strings=True),
        default=RectificationStatus.draft,
    )
    deadline: Mapped[date | None]

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
