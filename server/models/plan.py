"""Inspection plans (督查计划): matter, mode and kind, team, targets, window, status;
and the recorded 双随机 draws that chose targets and inspectors."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type, link_table
from server.models.rectification import Rectification
from server.models.site import Site
from server.models.unit import Unit
from server.models.user import User
from sync.types import UTCDateTime

if TYPE_CHECKING:
    from server.models.field import Category


class PlanMode(enum.StrEnum):
    sanbu_sanzhi = "sanbu_sanzhi"  # 三不三直
    sibu_liangzhi = "sibu_liangzhi"  # 四不两直
    open = "open"  # announced


class PlanKind(enum.StrEnum):
    leader_led = "leader_led"
    cross_region = "cross_region"
    follow_up = "follow_up"
    routine_special = "routine_special"
    ad_hoc = "ad_hoc"


class PlanStatus(enum.StrEnum):
    draft = "draft"
    approved = "approved"
    active = "active"
    finished = "finished"
    findings_issued = "findings_issued"


plan_member = link_table("plan_member", "plan", "user_id", "user_account")

plan_site = link_table("plan_site", "plan", "site_id", "site")

# Target units: named directly, or the units responsible for the target sites.
plan_unit = link_table("plan_unit", "plan", "unit_id", "unit")

# The rectification items a follow-up (回头看) plan re-checks.
plan_rectification = link_table("plan_rectification", "plan", "rectification_id", "rectification")


class Plan(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("window_end >= window_start", name="window_order"),
        # Codes are numbered per office, so no office can probe another's codes.
        UniqueConstraint("office_unit_id", "code"),
    )

    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    matter: Mapped[str] = mapped_column(Text, default="", server_default="")  # 督查事项
    matter_category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("category.id"), index=True
    )
    mode: Mapped[PlanMode] = mapped_column(enum_type(PlanMode))
    kind: Mapped[PlanKind] = mapped_column(enum_type(PlanKind))
    window_start: Mapped[date]  # inclusive, Asia/Shanghai calendar dates
    window_end: Mapped[date]
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus), default=PlanStatus.draft)
    # The supervising office: its supervisors may see the plan while it is secret.
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    leader_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # Why the plan goes ahead although the office inspected the same matter recently.
    repeat_justification: Mapped[str | None] = mapped_column(Text)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    findings_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    office_unit: Mapped[Unit] = relationship()
    matter_category: Mapped[Category | None] = relationship("Category")
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    team: Mapped[list[User]] = relationship(secondary=plan_member, order_by=User.username)
    sites: Mapped[list[Site]] = relationship(secondary=plan_site, order_by=Site.name)
    target_units: Mapped[list[Unit]] = relationship(secondary=plan_unit, order_by=Unit.code)
    rechecks: Mapped[list[Rectification]] = relationship(
        secondary=plan_rectification, order_by=Rectification.code
    )
    draws: Mapped[list[Draw]] = relationship(
        back_populates="plan", order_by="Draw.created_at", cascade="all, delete-orphan"
    )

    @property
    def is_unannounced(self) -> bool:
        return self.mode != PlanMode.open


class DrawPool(enum.StrEnum):
    site = "site"
    unit = "unit"


class Draw(UUIDKey, Base):
    """A 双随机 draw: everything needed to run it again and get the same result."""

    __tablename__ = "plan_draw"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    algorithm: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(128))
    pool: Mapped[DrawPool] = mapped_column(enum_type(DrawPool))
    # Candidates after exclusions, the exclusions with their reasons, N and M.
    inputs: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)  # {"target_ids": [...], "inspector_ids": [...]}

    plan: Mapped[Plan] = relationship(back_populates="draws")
