"""The negative list (负面清单) and its points (积分, seed 000 五(一)): one row per
deduction, made by a rule of server/points/rules.py or by a supervisor, with the unit's
one objection (异议) and the office's decision on it. An upheld objection cancels the row;
nothing is ever deleted."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, enum_type
from server.models.rectification import Rectification
from server.models.unit import Unit
from server.models.user import User

MANUAL = "manual"


class ObjectionStatus(enum.StrEnum):
    pending = "pending"  # 待处理
    upheld = "upheld"  # 异议成立: the entry is cancelled
    rejected = "rejected"  # 异议不成立


class PointsEntry(UUIDKey, Timestamps, Base):
    __tablename__ = "points_entry"
    __table_args__ = (
        # The negative list and the year totals: an office's year, by unit.
        Index("ix_points_entry_office_year", "office_unit_id", "year", "unit_id"),
        Index("ix_points_entry_unit_year", "unit_id", "year"),
    )

    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int]  # of occurred_on: the year whose total it counts in
    occurred_on: Mapped[date]
    points: Mapped[float]  # negative: a deduction
    rule: Mapped[str] = mapped_column(String(20))  # a rule key of rules.py, or "manual"
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rectification.id"), index=True
    )
    summons_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("summons.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # rule:subject:period for the job's rows, so a re-run never deducts twice; None if manual.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    cancelled_at: Mapped[datetime | None]
    objection: Mapped[str] = mapped_column(Text, default="")
    objection_status: Mapped[ObjectionStatus | None] = mapped_column(enum_type(ObjectionStatus))
    objected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    objected_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    rectification: Mapped[Rectification | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    objected_by: Mapped[User | None] = relationship(foreign_keys=[objected_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
