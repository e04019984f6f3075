"""Inspection plans (督查计划) in their first shape; the plans issue completes them."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned
from server.models.site import Site
from server.models.unit import Unit
from server.models.user import User


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


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, validate_strings=True)


plan_member = Table(
    "plan_member",
    Base.metadata,
    Column("plan_id", ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id"), primary_key=True, index=True),
)

plan_site = Table(
    "plan_site",
    Base.metadata,
    Column("plan_id", ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id"), primary_key=True, index=True),
)


class Plan(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "plan"
    __table_args__ = (CheckConstraint("window_end >= window_start", name="window_order"),)

    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    mode: Mapped[PlanMode] = mapped_column(_enum(PlanMode))
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind))
    window_start: Mapped[date]  # inclusive, Asia/Shanghai calendar dates
    window_end: Mapped[date]
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.draft)
    # The supervising office: its supervisors may see the plan while it is secret.
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))

    office_unit: Mapped[Unit] = relationship()
    team: Mapped[list[User]] = relationship(secondary=plan_member, order_by=User.username)
    sites: Mapped[list[Site]] = relationship(secondary=plan_site, order_by=Site.name)

    @property
    def is_unannounced(self) -> bool:
        return self.mode != PlanMode.open
