"""Counting working days (DOMAIN.md, "Issue"): day 1 is the first working day after the
start date; 0 days is the start date itself.

Where a day's status comes from, in order: an admin's import for its year (the State
Council's schedule, stored in the database), then the `chinese-calendar` package for the
years it knows, else weekends only. A count that touches a year with neither is
*unconfirmed* until that year is imported. The schedule for a year is published late in
the year before, so a deadline in January can be unconfirmed in November."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar
from sqlalchemy import select

from server.extensions import db
from server.models import CalendarDay, CalendarYear

MAX_DAYS = 1000  # working days in one count: about four years


@cache
def package_years() -> frozenset[int]:
    return frozenset(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))


class YearBook:
    """The calendar for the years one count needs, read once."""

    def __init__(self):
        self.imported: dict[int, dict[date, bool]] = {}

    def _load(self, year: int) -> dict[date, bool] | None:
        if year not in self.imported:
            known = db.session.get(CalendarYear, year)
            days = None
            if known is not None:
                rows = db.session.execute(
                    select(CalendarDay.day, CalendarDay.working).where(CalendarDay.year == year)
                )
                days = dict(rows.all())
            self.imported[year] = days
        return self.imported[year]

    def source(self, year: int) -> str:
        if self._load(year) is not None:
            return "imported"
        return "package" if year in package_years() else "none"

    def working(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that confirmed)."""
        imported = self._load(day.year)
        if imported is not None:
            return imported.get(day, day.weekday() < 5), True
        if day.year in package_years():
            return chinese_calendar.is_workday(day), True
        return day.weekday() < 5, False


def known_source(year: int) -> str:
    """'imported', 'package' or 'none' (weekends only, unconfirmed)."""
    return YearBook().source(year)


def add_working_days(start: date, days: int) -> tuple[date, bool]:
    """The date `days` working days after `start`, and whether every year it crossed has
    a confirmed schedule."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 0 and {MAX_DAYS}")
    book = YearBook()
    current, confirmed, counted = start, True, 0
    while counted < days:
        current += timedelta(days=1)
        working, sure = book.working(current)
        confirmed = confirmed and sure
        counted += working
    return current, confirmed
