"""The notification outbox: every reminder is shown in the app and kept here for a later
SMS / DingTalk / webhook sender, which claims rows whose `delivery` is pending."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UUIDKey, utcnow


class Notification(UUIDKey, Base):
    __tablename__ = "notification"

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # due_soon, overdue, escalation, …
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rectification.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # One row per recipient and occasion: running the reminder job twice adds nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    # For external senders: pending → sent | failed (attempts and last_error say why).
    delivery: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
