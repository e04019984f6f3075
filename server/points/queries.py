"""Reads of the negative list: who sees which entries, the list with its filters, a unit's
year, and the figures the monthly ranking (月排位) reads.

For the ranking: `points_by_unit(office_unit_id, start, end)` and
`year_totals(office_unit_id, year)` give {unit id: points} over the office's entries that
count (not cancelled by an upheld objection); deductions are negative, so a unit with no
entry is absent (0). Both are in docs/points.md."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import false, func, select, true
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.models import ObjectionStatus, PointsEntry, Role, Unit, UnitKind, User

LIST_LIMIT = 500  # the newest entries a page lists (the totals count every entry)
OBJECTION_FILTERS = ("none", *ObjectionStatus)
COUNTS = PointsEntry.cancelled_at.is_(None)


def _sums(where) -> dict[uuid.UUID, float]:
    rows = db.session.execute(
        select(PointsEntry.unit_id, func.sum(PointsEntry.points))
        .where(COUNTS, *where)
        .group_by(PointsEntry.unit_id)
    )
    return {unit_id: float(total) for unit_id, total in rows}


def points_by_unit(office_unit_id: uuid.UUID, start: date, end: date) -> dict[uuid.UUID, float]:
    """Each unit's points from the office's entries dated start..end (both included)."""
    return _sums(
        (
            PointsEntry.office_unit_id == office_unit_id,
            PointsEntry.occurred_on >= start,
            PointsEntry.occurred_on <= end,
        )
    )


def year_totals(office_unit_id: uuid.UUID, year: int) -> dict[uuid.UUID, float]:
    """Each unit's points of the year from the office's entries (the year-end totals)."""
    return _sums((PointsEntry.office_unit_id == office_unit_id, PointsEntry.year == year))


def scope_clause(user: User):
    """The entries `user` may read: the office's (supervisor), the offices of the leader's
    government, the unit's own (responder), all (admin)."""
    if user.role == Role.admin:
        return true()
    if user.role == Role.supervisor:
        return PointsEntry.office_unit_id == user.unit_id
    if user.role == Role.responder:
        return PointsEntry.unit_id == user.unit_id
    if user.role == Role.leader:
        offices = select(Unit.id).where(
            Unit.parent_id == user.unit_id, Unit.kind == UnitKind.office
        )
        return PointsEntry.office_unit_id.in_(offices)
    return false()


def _filters(args: dict) -> list:
    where = []
    if args.get("unit_id"):
        where.append(PointsEntry.unit_id == args["unit_id"])
    if args.get("rule"):
        where.append(PointsEntry.rule == args["rule"])
    if args.get("month"):
        first = args["month"]
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        where += [PointsEntry.occurred_on >= first, PointsEntry.occurred_on < last]
    elif args.get("year"):
        where.append(PointsEntry.year == args["year"])
    state = args.get("objection")
    if state == "none":
        where.append(PointsEntry.objection_status.is_(None))
    elif state:
        where.append(PointsEntry.objection_status == state)
    return where


def entries(user: User, args: dict, limit: int = LIST_LIMIT) -> list[PointsEntry]:
    query = (
        select(PointsEntry)
        .where(scope_clause(user), *_filters(args))
        .options(selectinload(PointsEntry.unit), selectinload(PointsEntry.rectification))
        .order_by(PointsEntry.occurred_on.desc(), PointsEntry.created_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def totals(user: User, args: dict) -> list[tuple[Unit, float, int]]:
    """(unit, points that count, entries) per unit under the filters, lowest first."""
    rows = db.session.execute(
        select(
            PointsEntry.unit_id,
            func.sum(PointsEntry.points).filter(COUNTS),
            func.count(PointsEntry.id),
        )
        .where(scope_clause(user), *_filters(args))
        .group_by(PointsEntry.unit_id)
    ).all()
    units = {
        u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))
    }
    out = [(units[uid], float(total or 0), count) for uid, total, count in rows]
    return sorted(out, key=lambda row: (row[1], row[0].name))


def unit_total(user: User, unit_id: uuid.UUID, year: int) -> float:
    total = db.session.scalar(
        select(func.sum(PointsEntry.points)).where(
            scope_clause(user), COUNTS, PointsEntry.unit_id == unit_id, PointsEntry.year == year
        )
    )
    return float(total or 0)


def pending_objections(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(
            scope_clause(user), PointsEntry.objection_status == ObjectionStatus.pending
        )
    )


def units_with_entries(user: User) -> list[Unit]:
    ids = select(PointsEntry.unit_id).where(scope_clause(user)).distinct()
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name)))
