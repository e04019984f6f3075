"""What inspectors record in the field (made on the device, synced): visits (到场签到),
findings (发现问题), interviews (走访记录), photos (影像证据); and the category list."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type
from server.models.plan import Plan
from server.models.site import Site
from server.models.user import User


class Severity(enum.StrEnum):
    low = "low"  # 一般
    medium = "medium"  # 较重
    high = "high"  # 严重


class IntervieweeKind(enum.StrEnum):
    beneficiary = "beneficiary"  # 政策受益对象
    resident = "resident"  # 群众
    staff = "staff"  # 工作人员
    enterprise = "enterprise"  # 企业
    other = "other"


class PhotoParent(enum.StrEnum):
    finding = "finding"
    visit = "visit"
    progress_report = "progress_report"
    verification = "verification"
    clue = "clue"  # an attachment of a clue from the public (server/clues)


class TriageStatus(enum.StrEnum):
    pending = "pending"  # 待分办
    itemized = "itemized"  # 已转为整改事项
    merged = "merged"  # 与另一条重复,已合并
    rejected = "rejected"  # 不构成问题,已驳回


class LocationSource(enum.StrEnum):
    geolocation = "geolocation"
    exif = "exif"
    manual = "manual"
    none = "none"


class ContentStatus(enum.StrEnum):
    pending = "pending"  # metadata only
    processing = "processing"
    stored = "stored"  # content verified and kept
    invalid = "invalid"  # content refused; content_error says why
    failed = "failed"  # processing gave up after its attempts; content_error says why


class Category(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class FieldRecord(UUIDKey, Timestamps, Versioned):
    """Made on a device: the id is the device's, deletion is a mark (nothing is erased)."""

    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    deleted_at: Mapped[datetime | None]
    client_time: Mapped[str | None] = mapped_column(String(40))  # device clock at creation
    received_at: Mapped[datetime | None]  # server clock when the creating push arrived


class FieldTruth:
    """Checks recomputed on the server (never trusted from the device); see
    server/evidence/checks.py for the flags."""

    distance_to_site_m: Mapped[float | None]
    flags: Mapped[list] = mapped_column(JSON, default=list)
    # Device clock minus server clock when the creating push arrived (device_time).
    device_clock_offset_s: Mapped[float | None]


class Visit(FieldTruth, FieldRecord, Base):
    __tablename__ = "visit"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("site.id"), index=True)
    arrived_at: Mapped[datetime]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    note: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship()
    site: Mapped[Site] = relationship()
    created_by: Mapped[User] = relationship()


class Finding(FieldRecord, Base):
    __tablename__ = "finding"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("site.id"), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("unit.id"))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    observed_at: Mapped[datetime]
    # Set when a supervisor triages it: from then on its inspector may not change it.
    triaged_at: Mapped[datetime | None]
    triage_status: Mapped[TriageStatus] = mapped_column(
        enum_type(TriageStatus), default=TriageStatus.pending, server_default="pending", index=True
    )
    triage_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("finding.id"))
    triaged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Plan] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys="Finding.created_by_id")
    site: Mapped[Site | None] = relationship()

    @property
    def locked(self) -> bool:
        return self.triaged_at is not None

    @property
    def photo_count(self) -> int:
        return len(self.photos)

    @property
    def photo_flags(self) -> list[str]:
        """What the field-truth checks found on any of its photos."""
        return sorted({flag for photo in self.photos for flag in photo.flags or []})


class Interview(FieldRecord, Base):
    __tablename__ = "interview"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visit.id"), index=True)
    interviewee_kind: Mapped[IntervieweeKind] = mapped_column(enum_type(IntervieweeKind))
    summary: Mapped[str] = mapped_column(Text)

    visit: Mapped[Visit] = relationship()


class Photo(FieldTruth, FieldRecord, Base):
    __tablename__ = "photo"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_photo_processing_queue", "content_status", "processing_queued_at"),
    )

    parent_type: Mapped[PhotoParent] = mapped_column(enum_type(PhotoParent))
    parent_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # Derived from the parent on creation; decides who may see the photo.
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(40))
    captured_at: Mapped[datetime]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    location_source: Mapped[LocationSource] = mapped_column(enum_type(LocationSource))
    content_status: Mapped[ContentStatus] = mapped_column(
        enum_type(ContentStatus), default=ContentStatus.pending
    )
    content_error: Mapped[str | None] = mapped_column(String(300))
    storage_path: Mapped[str | None] = mapped_column(String(300))  # relative to storage root
    capture_source: Mapped[str | None] = mapped_column(String(10))  # camera | gallery
    # Read from the content once it has arrived (EXIF is a second witness, never trusted).
    exif_lat: Mapped[float | None]
    exif_lon: Mapped[float | None]
    exif_altitude: Mapped[float | None]
    exif_taken_at: Mapped[str | None] = mapped_column(String(40))  # as in the file; may be naive
    exif_make: Mapped[str | None] = mapped_column(String(80))
    exif_model: Mapped[str | None] = mapped_column(String(80))
    exif_orientation: Mapped[int | None]
    width: Mapped[int | None]  # upright
    height: Mapped[int | None]
    image_format: Mapped[str | None] = mapped_column(String(10))
    # Derived copies, relative to the storage root: thumbnail, display, evidence
    # (watermarked), public (no metadata, no inspector identity).
    derived: Mapped[dict] = mapped_column(JSON, default=dict)
    processed_at: Mapped[datetime | None]
    # The job queue is only a hint: these let the sweeper find stranded photos and stop
    # after `photo_processing_max_attempts`.
    processing_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    processing_queued_at: Mapped[datetime | None]  # last enqueued or claimed
    processing_claimed_by: Mapped[str | None] = mapped_column(String(80))  # "host:pid"

    plan: Mapped[Plan | None] = relationship()


# A finding's photos as the office sees them: a withdrawn photo neither counts nor flags.
Finding.photos = relationship(
    Photo,
    primaryjoin=and_(
        Photo.parent_type == PhotoParent.finding,
        foreign(Photo.parent_id) == Finding.id,
        Photo.deleted_at.is_(None),
    ),
    order_by=Photo.captured_at,
    viewonly=True,
)
