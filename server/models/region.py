"""Region names (行政区划): the codes units and sites carry (server/regions.py), named."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from server import regions
from server.models.base import Base, Timestamps


class Region(Timestamps, Base):
    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint(regions.CHECK.replace("region_code", "code"), name="code_digits"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
