"""Sites (督查点位) that inspectors go to."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import regions
from server.models.base import Base, Timestamps, UUIDKey, Versioned
from server.models.unit import Unit


class Site(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
        CheckConstraint("radius_m > 0", name="radius_positive"),
        CheckConstraint(regions.CHECK, name="region_code_digits"),
    )

    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float]  # WGS-84 degrees
    lon: Mapped[float]
    radius_m: Mapped[int]  # geofence; default from the geofence_radius_m setting
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # server/regions.py
    active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Unit] = relationship()
