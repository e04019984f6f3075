"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

from sync.models import metadata as sync_metadata
from sync.types import UTCDateTime, utcnow  # noqa: F401  (re-exported)


class Base(DeclarativeBase):
    # One MetaData for the app and the sync core's own tables: one migration history.
    registry = registry(
        metadata=sync_metadata,
        type_annotation_map={datetime: UTCDateTime(), uuid.UUID: Uuid()},
    )


class UUIDKey:
    """Primary key made on the device (UUID v4/v7) or, for server records, here."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned:
    """Synced records: +1 on every accepted change (see SYNC_PROTOCOL.md).

    SQLAlchemy's version counter bumps it on every UPDATE and refuses a stale write,
    so no operation can forget it.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
