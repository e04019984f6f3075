"""The tables the sync core owns: stored mutation results, the change log with its
audience, the sequence counter, and tus uploads.

They live on `metadata`, which the application's models share, so one migration history
covers everything. Nothing here refers to an application table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    MetaData,
    String,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from sync.types import UTCDateTime, utcnow

# Stable constraint names: Alembic batch mode on SQLite needs them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)
BigId = BigInteger().with_variant(Integer, "sqlite")


class SyncBase(DeclarativeBase):
    registry = registry(
        metadata=metadata, type_annotation_map={datetime: UTCDateTime(), uuid.UUID: Uuid()}
    )


class MutationResult(SyncBase):
    """The one answer to (user, mutation_id), kept whatever it was."""

    __tablename__ = "sync_mutation"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    mutation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(12))
    result: Mapped[dict] = mapped_column(JSON)
    device_id: Mapped[uuid.UUID | None]
    client_time: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncCounter(SyncBase):
    """One row; bumping it allocates change sequence numbers. Its row lock is held to the
    end of the writing transaction, so sequence order is commit order and a pull can never
    skip a change that commits late."""

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Change(SyncBase):
    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_entity_record", "entity", "record_id"),)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    version: Mapped[int | None]
    op: Mapped[str] = mapped_column(String(10))  # upsert | delete
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeAudience(SyncBase):
    """Who may have seen the record, before or after the change, as audience tags.
    Pull reads this by (tag, seq), so its cost follows the changes a user may see."""

    __tablename__ = "sync_change_audience"

    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, primary_key=True)


class Upload(SyncBase):
    """A tus upload of one photo's content."""

    __tablename__ = "sync_upload"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    photo_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    length: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), default="receiving")  # receiving|complete
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
