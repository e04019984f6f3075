"""Leaders' instructions (领导批示) on an item or a finding, and the unit's answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey
from server.models.user import User


class Instruction(UUIDKey, Timestamps, Base):
    __tablename__ = "instruction"
    __table_args__ = (
        CheckConstraint(
            "rectification_id IS NOT NULL OR finding_id IS NOT NULL", name="has_subject"
        ),
        # "Has an open 批示" on the ledger: the item's unanswered instructions.
        Index("ix_instruction_open", "rectification_id", "answered_at"),
    )

    rectification_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rectification.id"))
    finding_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("finding.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    # leader_instruction_working_days from the day it is written (seed 002 四(二)).
    due_date: Mapped[date | None]
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
