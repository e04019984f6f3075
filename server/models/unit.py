"""Units (单位): government bodies, townships, departments; a tree."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import regions
from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type


class UnitKind(enum.StrEnum):
    government = "government"  # 人民政府
    office = "office"  # 督查室 / 督查机构
    department = "department"  # 县直部门
    township = "township"  # 乡镇 / 街道
    village = "village"  # 村 / 社区
    enterprise = "enterprise"  # 企业 / 项目单位


class Unit(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "unit"
    __table_args__ = (CheckConstraint(regions.CHECK, name="region_code_digits"),)

    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # server/regions.py
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[UnitKind] = mapped_column(enum_type(UnitKind))
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")
