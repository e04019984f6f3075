"""What follows an item once issued: the unit's progress reports (整改进展), extension
requests (延期申请), verifications (复查 / 回头看) and summons (约谈)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type
from server.models.rectification import Rectification
from server.models.unit import Unit
from server.models.user import User


class ProgressReport(UUIDKey, Timestamps, Base):
    __tablename__ = "progress_report"

    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectification.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    percent: Mapped[int]  # the unit's own estimate of how far the work is, 0..100
    # A closure request is a report too: the unit's account of the finished work.
    closure: Mapped[bool] = mapped_column(default=False)

    author: Mapped[User] = relationship()


class ExtensionStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class ExtensionRequest(UUIDKey, Timestamps, Base):
    __tablename__ = "extension_request"

    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectification.id"), index=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    previous_deadline: Mapped[date | None]
    requested_deadline: Mapped[date]
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_type(ExtensionStatus), default=ExtensionStatus.pending
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class VerificationMethod(enum.StrEnum):
    desk = "desk"  # 书面核查: a supervisor decides from the reports
    field = "field"  # 实地复查 / 回头看: an inspector goes back, unannounced


class VerificationStatus(enum.StrEnum):
    assigned = "assigned"  # waiting for the inspector's visit
    reported = "reported"  # the inspector has reported; a supervisor decides
    passed = "passed"
    failed = "failed"
    cancelled = "cancelled"


class Verification(UUIDKey, Timestamps, Versioned, Base):
    """Never shown to the inspected unit: a 回头看 is unannounced."""

    __tablename__ = "verification"

    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectification.id"), index=True)
    method: Mapped[VerificationMethod] = mapped_column(enum_type(VerificationMethod))
    status: Mapped[VerificationStatus] = mapped_column(enum_type(VerificationStatus))
    assigned_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    inspector_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id"), index=True
    )
    instructions: Mapped[str] = mapped_column(Text, default="")
    # The inspector's account (field) and where it was written.
    report: Mapped[str] = mapped_column(Text, default="")
    opinion: Mapped[str | None] = mapped_column(String(10))  # passed | failed, a suggestion
    reported_at: Mapped[datetime | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    rectification: Mapped[Rectification] = relationship()
    inspector: Mapped[User | None] = relationship(foreign_keys=[inspector_id])
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Summons(UUIDKey, Timestamps, Base):
    """约谈: the head of a unit summoned over key problems (seed 000, 五(四))."""

    __tablename__ = "summons"

    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rectification.id"))
    held_on: Mapped[date]
    person: Mapped[str] = mapped_column(String(60))  # who was summoned (name, post)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    recorded_by: Mapped[User] = relationship()
