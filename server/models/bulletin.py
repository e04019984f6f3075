"""Monthly bulletins of an office (月公示、月通报、月排位, seed 003).

One row per office, month and version. A draft is edited by the office; review freezes
its figures and ranking into `frozen` (JSON), so the reviewed and published text never
changes; publishing makes it readable by the units. A correction of a published bulletin
is a new version (`previous_id`) that starts as a draft; the old one stays as it was."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, enum_type
from server.models.unit import Unit
from server.models.user import User


class BulletinStatus(enum.StrEnum):
    draft = "draft"  # 草稿
    reviewed = "reviewed"  # 已审核 (figures frozen)
    published = "published"  # 已发布


class Bulletin(UUIDKey, Timestamps, Base):
    __tablename__ = "bulletin"
    __table_args__ = (UniqueConstraint("office_unit_id", "year", "month", "version"),)

    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int]
    month: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bulletin.id"))
    status: Mapped[BulletinStatus] = mapped_column(
        enum_type(BulletinStatus), default=BulletinStatus.draft
    )
    doc_number: Mapped[str] = mapped_column(String(40))  # 文号, e.g. 督通〔2026〕12号
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text, default="")  # the office's own words
    # 典型问题: [{"item_id", "text", "photo_ids": [...]}], chosen by the office.
    typical: Mapped[list] = mapped_column(JSON, default=list)
    # Figures, ranking and 红黄黑榜 as they were at review (None while a draft).
    frozen: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    # The PDF of a published version, relative to the bulletin store (written once).
    pdf_path: Mapped[str | None] = mapped_column(String(200))

    office: Mapped[Unit] = relationship(foreign_keys=[office_unit_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
