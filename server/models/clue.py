"""Clues from the public (线索): 12345 hotline work orders, letters, visits, online
messages, media reports, a superior's referral or an inspector's own lead. An office
triages them (merge, reject, forward to a unit, or use one as the reason for a target of
an unannounced plan) and ends each with an outcome and a reply for its source."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import regions
from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type
from server.models.plan import Plan
from server.models.site import Site
from server.models.unit import Unit
from server.models.user import User


class ClueSource(enum.StrEnum):
    hotline = "hotline"  # 12345 热线工单
    letter = "letter"  # 来信
    visit = "visit"  # 来访
    online = "online"  # 网上留言(互联网+督查)
    media = "media"  # 媒体反映
    referral = "referral"  # 上级转办
    own_lead = "own_lead"  # 督查人员自行掌握


class ClueStatus(enum.StrEnum):
    received = "received"  # 待研判
    forwarded = "forwarded"  # 已转办, waiting for the unit's answer
    answered = "answered"  # the unit has answered the forwarded clue
    planned = "planned"  # 已纳入暗访 (a target reason of a plan)
    merged = "merged"  # 已合并 into another clue
    rejected = "rejected"  # 不予采用
    closed = "closed"  # 已办结, with an outcome and a reply


class ClueOutcome(enum.StrEnum):
    rectified = "rectified"  # 属实,已整改
    not_verified = "not_verified"  # 经核查不属实 / 查无实据
    forwarded = "forwarded"  # 已转责任单位办理
    rejected = "rejected"  # 不予受理


class ClueTopic(UUIDKey, Timestamps, Base):
    """The configurable list of topics (诉求分类) clues are filed under."""

    __tablename__ = "clue_topic"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Clue(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "clue"
    __table_args__ = (
        # The source's own reference (a 12345 work order number) is the key an import
        # matches on: the same file imported twice creates nothing.
        UniqueConstraint("office_unit_id", "source", "source_ref", name="uq_clue_source_ref"),
        UniqueConstraint("office_unit_id", "code", name="uq_clue_office_code"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        CheckConstraint("region_code IS NULL OR " + regions.CHECK, name="region_code_digits"),
        Index("ix_clue_office_received", "office_unit_id", "received_on"),
        # The register's counts by status and its status filters read this index alone
        # (bench/clue_import.py).
        Index("ix_clue_office_status", "office_unit_id", "status"),
    )

    code: Mapped[str] = mapped_column(String(40))  # XS-<year>-<nnnn>, per office
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    source: Mapped[ClueSource] = mapped_column(enum_type(ClueSource))
    source_ref: Mapped[str | None] = mapped_column(String(60), index=True)
    received_on: Mapped[date]  # Asia/Shanghai calendar date
    summary: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("site.id"), index=True)
    lat: Mapped[float | None]  # WGS-84
    lon: Mapped[float | None]
    # The township (乡镇) the clue concerns, for the figures: typed, else the site's or
    # the unit's region.
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    topic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clue_topic.id"), index=True)
    # The reporter's contact: seen by the office's supervisors only; never exported,
    # published, notified or sent to a device.
    reporter_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    reporter_contact: Mapped[str] = mapped_column(String(120), default="", server_default="")
    status: Mapped[ClueStatus] = mapped_column(
        enum_type(ClueStatus), default=ClueStatus.received, index=True
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clue.id"), index=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Forwarding to a unit for an answer (转办), with a deadline in working days.
    forwarded_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    forwarded_at: Mapped[datetime | None]
    forward_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_due: Mapped[date | None]
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # The end: an outcome and the reply the office sends back to the source.
    outcome: Mapped[ClueOutcome | None] = mapped_column(enum_type(ClueOutcome))
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))

    office_unit: Mapped[Unit] = relationship(foreign_keys=[office_unit_id])
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    forwarded_unit: Mapped[Unit | None] = relationship(foreign_keys=[forwarded_unit_id])
    site: Mapped[Site | None] = relationship()
    topic: Mapped[ClueTopic | None] = relationship()
    merged_into: Mapped[Clue | None] = relationship(remote_side="Clue.id")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    targets: Mapped[list[PlanClue]] = relationship(
        back_populates="clue", cascade="all, delete-orphan", order_by="PlanClue.created_at"
    )


class PlanClue(UUIDKey, Base):
    """A clue behind a plan's target: the site it led to (or the plan as a whole when it
    names no site)."""

    __tablename__ = "plan_clue"
    __table_args__ = (UniqueConstraint("plan_id", "clue_id"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    clue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clue.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("site.id"))
    created_at: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Plan] = relationship()
    clue: Mapped[Clue] = relationship(back_populates="targets")
    site: Mapped[Site | None] = relationship()
