"""Importing a year's schedule (admins): it replaces any earlier import of that year."""

from __future__ import annotations

from datetime import date

import chinese_calendar
from sqlalchemy import delete, func, select

from server.audit import record_event
from server.extensions import db
from server.models import CalendarDay, CalendarYear, User, utcnow
from server.signals import calendar_imported
from server.workdays.calendar import known_source, package_years


def import_year(data: dict, actor: User | None) -> dict:
    year = data["year"]
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    entry = db.session.get(CalendarYear, year) or CalendarYear(year=year)
    entry.imported_at = utcnow()
    entry.imported_by_id = actor.id if actor else None
    entry.note = data.get("note", "")
    db.session.add(entry)
    db.session.flush()
    days = [(d, False) for d in data["holidays"]] + [(d, True) for d in data["workdays"]]
    db.session.add_all(
        CalendarDay(day=d["date"], year=year, working=working, name=d["name"])
        for d, working in days
    )
    db.session.flush()
    recounted = sum(count or 0 for _, count in calendar_imported.send(year))
    record_event(
        "calendar.imported",
        "calendar_year",
        str(year),
        actor.id if actor else None,
        holidays=len(data["holidays"]),
        workdays=len(data["workdays"]),
        note=entry.note,
        deadlines_recounted=recounted,
    )
    return year_summary(year)


def imported_message(summary: dict) -> str:
    return (
        f"{summary['year']} 年日历已导入:放假 {summary['holidays']} 天,"
        f"调休上班 {summary['workdays']} 天"
    )


def year_summary(year: int) -> dict:
    source = known_source(year)
    summary = {"year": year, "source": source, "holidays": 0, "workdays": 0, "note": ""}
    if source == "imported":
        counts = dict(
            db.session.execute(
                select(CalendarDay.working, func.count())
                .where(CalendarDay.year == year)
                .group_by(CalendarDay.working)
            ).all()
        )
        entry = db.session.get(CalendarYear, year)
        by = db.session.get(User, entry.imported_by_id) if entry.imported_by_id else None
        summary.update(
            holidays=counts.get(False, 0),
            workdays=counts.get(True, 0),
            note=entry.note,
            imported_at=entry.imported_at,
            imported_by=by.display_name if by else None,  # None: the command line
        )
    elif source == "package":
        summary.update(
            holidays=sum(
                1 for d in chinese_calendar.holidays if d.year == year and d.weekday() < 5
            ),
            workdays=sum(1 for d in chinese_calendar.workdays if d.year == year),
            note="chinese-calendar",
        )
    return summary


def calendar_years(today: date) -> list[dict]:
    """The years around today and every imported or packaged year since last year."""
    imported = set(db.session.scalars(select(CalendarYear.year)))
    years = {y for y in package_years() | imported if y >= today.year - 1}
    years |= {today.year, today.year + 1}
    return [year_summary(y) for y in sorted(years)]
