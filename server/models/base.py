"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Integer, Table, Uuid
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


def enum_type(cls) -> Enum:
    """A StrEnum kept as its value in a VARCHAR(20), checked on write (no database enum)."""
    return Enum(cls, native_enum=False, length=20, validate_strings=True)


def link_table(name: str, owner: str, column: str, target: str, index: bool | None = True):
    """A many-to-many table keyed by (<owner>_id, `column`), its rows removed with their
    owner; `column` refers to `target`.id."""
    return Table(
        name,
        Base.metadata,
        Column(f"{owner}_id", ForeignKey(f"{owner}.id", ondelete="CASCADE"), primary_key=True),
        Column(column, ForeignKey(f"{target}.id"), primary_key=True, index=index),
    )
