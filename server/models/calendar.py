"""The working-day calendar an admin imports for a year (the State Council's schedule of
statutory holidays and adjusted working days, 调休). Years the `chinese-calendar` package
knows need no import; an import overrides the package for its year."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class CalendarYear(Base):
    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")  # e.g. 国办发明电〔2026〕x号


class CalendarDay(Base):
    """A day that differs from the plain week: a holiday on a weekday or a working weekend
    day. Every other day of an imported year is a working day Monday to Friday."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("calendar_year.year", ondelete="CASCADE"), index=True
    )
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(60), default="")
