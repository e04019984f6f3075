"""The office's clue figures for its dashboard (docs/dashboards.md, 群众反映线索): for the
dashboard's period, the clues received by source, topic, township and month; the share
of the office's plans that had a clue behind them; and the share of clues that led to a
finding. Counted in SQL within the supervisor's office (access.office_clause); merged
duplicates are never counted (they repeat a clue that is).

Each count of a breakdown comes with the register's filters that list exactly its clues
(`links`, aligned with the rows; None where the register has no such filter: clues without
a topic, or placed at county level or nowhere)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, or_, select

from server.clues.access import office_clause
from server.dashboards.item_figures import Period
from server.extensions import db
from server.models import (
    Clue,
    ClueSource,
    ClueStatus,
    ClueTopic,
    Finding,
    Plan,
    PlanClue,
    PlanStatus,
    Region,
    User,
)

TOWNSHIP = 9  # digits of a township's region code (server/regions.py)
COUNTY_LEVEL = "县直/未指明"
NO_TOPIC = "未分类"


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


def _clues(user: User, args: dict, period: Period) -> list:
    """The WHERE of the clues counted: the office's, received in the period, not merged,
    concerning the filtered unit (涉及单位) and lying in the filtered region (its code or
    any code under it)."""
    where = [
        office_clause(user),
        Clue.status != ClueStatus.merged,
        Clue.received_on.between(period.start, period.end),
    ]
    if args.get("unit_id"):
        where.append(Clue.unit_id == args["unit_id"])
    if args.get("region_code"):
        where.append(Clue.region_code.like(f"{args['region_code']}%"))
    return where


def _grouped(where: list, *columns) -> list[tuple]:
    query = select(*columns, func.count(Clue.id)).where(*where).group_by(*columns)
    return [tuple(row) for row in db.session.execute(query).all()]


def register_filters(args: dict, period: Period) -> dict:
    """The register's filters for the clues counted (status=counted: all but merged)."""
    return {
        "status": "counted",
        "received_from": period.start,
        "received_to": period.end,
        "unit_id": args.get("unit_id"),
        "region_code": args.get("region_code"),
    }


def by_source(where: list) -> list[tuple[str, int, dict]]:
    """Every source, in the glossary's order, zeros included."""
    counts = {str(s): n for s, n in _grouped(where, Clue.source)}
    return [(s.value, counts.get(s.value, 0), {"source": s.value}) for s in ClueSource]


def by_topic(where: list) -> list[tuple[str, int, dict | None]]:
    """Topics with clues, in the topics' own order; clues without a topic last."""
    rows = db.session.execute(
        select(ClueTopic.name, ClueTopic.sort_order, ClueTopic.id, func.count(Clue.id))
        .select_from(Clue)
        .outerjoin(ClueTopic, ClueTopic.id == Clue.topic_id)
        .where(*where)
        .group_by(ClueTopic.id, ClueTopic.name, ClueTopic.sort_order)
    ).all()
    named = sorted((r for r in rows if r[0] is not None), key=lambda r: (r[1], r[0]))
    found = [(name, n, {"topic_id": id_}) for name, _, id_, n in named]
    found += [(NO_TOPIC, n, None) for name, _, _, n in rows if name is None]
    return found


def by_township(where: list, region_code: str | None) -> list[tuple[str, int, dict | None]]:
    """By the township the clue lies in (the first 9 digits of a township's or village's
    code), named from the region table; a county-level code or none: 县直/未指明. Most
    clues first. A township's list keeps a narrower region filter (a village of it)."""
    prefix = func.substr(Clue.region_code, 1, TOWNSHIP)
    counts: Counter = Counter()
    for code, n in _grouped(where, prefix):
        counts[code if code and len(code) == TOWNSHIP else None] += n
    codes = [c for c in counts if c]
    rows = db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    names = dict(rows.all())

    def row(code: str | None, n: int) -> tuple[str, int, dict | None]:
        if code is None:
            return COUNTY_LEVEL, n, None
        narrower = region_code if region_code and region_code.startswith(code) else code
        return (f"{names[code]} {code}" if code in names else code), n, {"region_code": narrower}

    rows = [row(code, n) for code, n in counts.items()]
    return sorted(rows, key=lambda r: (r[0] == COUNTY_LEVEL, -r[1], r[0]))


def months_of(period: Period) -> list[tuple[int, int]]:
    months, (year, month) = [], (period.start.year, period.start.month)
    while (year, month) <= (period.end.year, period.end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def by_month(where: list, period: Period) -> list[tuple[str, int, dict]]:
    """Every month of the period (the first and last cut to it), by the day received."""
    counts: Counter = Counter()
    for day, n in _grouped(where, Clue.received_on):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        counts[day.year, day.month] += n

    def days(y: int, m: int) -> dict:
        last = date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
        return {
            "received_from": max(date(y, m, 1), period.start),
            "received_to": min(last, period.end),
        }

    return [(f"{y}-{m:02d}", counts[y, m], days(y, m)) for y, m in months_of(period)]


def plans_with_clues(user: User, args: dict, period: Period) -> Share:
    """The office's plans beyond draft whose window (window_start..window_end) overlaps
    the period, and how many of them had at least one clue behind a target."""
    where = [
        Plan.office_unit_id == user.unit_id,
        Plan.status != PlanStatus.draft,
        Plan.window_start <= period.end,
        Plan.window_end >= period.start,
    ]
    if args.get("plan_id"):
        where.append(Plan.id == args["plan_id"])
    if args.get("kind"):
        where.append(Plan.kind == args["kind"])
    has_clue = exists().where(PlanClue.plan_id == Plan.id)
    total, count = db.session.execute(
        select(func.count(Plan.id), func.count(Plan.id).filter(has_clue)).where(*where)
    ).one()
    return Share(count, total)


def clues_with_findings(where: list) -> Share:
    """The clues counted, and how many led to a finding: a finding not deleted, of a plan
    the clue stands behind, at the site the link names (any site of the plan when the
    link names none)."""
    found = (
        select(PlanClue.id)
        .join(Finding, Finding.plan_id == PlanClue.plan_id)
        .where(
            PlanClue.clue_id == Clue.id,
            Finding.deleted_at.is_(None),
            or_(PlanClue.site_id.is_(None), Finding.site_id == PlanClue.site_id),
        )
        .exists()
    )
    total, count = db.session.execute(
        select(func.count(Clue.id), func.count(Clue.id).filter(found)).where(and_(*where))
    ).one()
    return Share(count, total)


def clue_figures(user: User, args: dict, period: Period) -> dict:
    """The breakdowns as (label, count) rows, with `links`: per breakdown and row, the
    register's filters of the clues counted there, or None."""
    where = _clues(user, args, period)
    base = register_filters(args, period)
    breakdowns = {
        "sources": by_source(where),
        "topics": by_topic(where),
        "townships": by_township(where, args.get("region_code")),
        "months": by_month(where, period),
    }
    figures: dict = {name: [(r[0], r[1]) for r in rows] for name, rows in breakdowns.items()}
    figures["links"] = {
        name: [None if r[2] is None else {**base, **r[2]} for r in rows]
        for name, rows in breakdowns.items()
    }
    figures["plans"] = plans_with_clues(user, args, period)
    figures["findings"] = clues_with_findings(where)
    return figures
