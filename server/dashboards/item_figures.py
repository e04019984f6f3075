"""The item figures of every role's dashboard: the period and filters a dashboard is
read for, and the counts of rectification items in SQL (one statement per chart, grouped
in the database; only the groups come back): colours, statuses, the per-unit and
per-township tables, items closed per week, 回头看 passed and failed, what the lead
official follows up and what falls due. Every item is counted through the ledger's own
WHERE (rectification.queries.item_clause: the reader's visible_clause and the ledger's
filters), so every number comes with the ledger filters (`filters`) that list exactly the
items behind it. docs/dashboards.md says what each figure means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from server.extensions import db
from server.models import Rectification, RectificationStatus, Unit, User, Verification
from server.rectification import queries as items

WEEKS = 52  # the default period: this week and the 52 before it
STATUSES = tuple(s for s in RectificationStatus if s != RectificationStatus.draft)
CLOSED = RectificationStatus.closed
TOP_GROUPS = 200  # units or regions in one chart (the table has them all)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    chosen: bool  # named by the reader (then it also narrows the items to those issued in it)

    def weeks(self) -> list[tuple[date, date]]:
        """Monday-to-Sunday weeks, the first and last cut to the period."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append((max(monday, self.start), min(monday + timedelta(days=6), self.end)))
            monday += timedelta(days=7)
        return weeks


def period_of(args: dict, today: date) -> Period:
    end = args.get("date_to") or today
    start = args.get("date_from") or (end - timedelta(days=end.weekday(), weeks=WEEKS))
    return Period(start, end, bool(args.get("date_from") or args.get("date_to")))


def item_filters(args: dict, period: Period) -> dict:
    """The ledger filters the dashboard's filters stand for (the state charts')."""
    filters = {k: args[k] for k in ("unit_id", "region_code", "plan_id") if args.get(k)}
    if args.get("kind"):
        filters["plan_kind"] = args["kind"]
    if period.chosen:
        filters.update(issued_from=period.start, issued_to=period.end)
    return filters


def _trend(filters: dict) -> dict:
    """The trends count events in the period, whenever the items were issued."""
    return {k: v for k, v in filters.items() if k not in ("issued_from", "issued_to")}


def _count_row(user: User, filters: dict, today: date, columns: list) -> tuple:
    where = items.item_clause(user, filters, today)
    return db.session.execute(select(*columns).select_from(Rectification).where(where)).one()


def _cell(count: int, filters: dict | None, target: str = "ledger") -> dict:
    return {"count": count, "filters": filters, "target": target if filters is not None else None}


# ---- items (every role, each within its own sight) ----


def _state_columns(today: date, groups: bool) -> list:
    """Per colour (all, 挂牌督办), per status; with `groups`, closed on time and overdue."""
    colour_of = {c: items.colour_clause(c, today) for c in items.COLOURS}
    columns = [func.count().filter(colour_of[c]) for c in items.COLOURS]
    columns += [func.count().filter(colour_of[c] & Rectification.listed) for c in items.COLOURS]
    columns += [func.count().filter(Rectification.status == s) for s in STATUSES]
    if groups:
        columns += [
            func.count().filter(items.closed_on_time()),
            func.count().filter(items.overdue_clause(today)),
        ]
    return columns


def _states(user: User, filters: dict, today: date, keys: tuple[str, ...]) -> list[tuple]:
    """The items' state figures in one read of the items (the colour and status charts
    and the per-unit and per-township tables used to be a statement each: three reads of
    200,000 items), grouped by `keys`; each row is (*keys, total, *_state_columns)."""
    where = items.item_clause(user, filters, today)
    groups = [getattr(Rectification, k) for k in keys]
    query = select(*groups, func.count(), *_state_columns(today, bool(groups)))
    query = query.select_from(Rectification).where(where)
    if groups:
        query = query.group_by(*groups)
    return [tuple(r) for r in db.session.execute(query).all()]


def _colours_of(rows: list[tuple], skip: int, filters: dict) -> dict:
    """By colour, all and 挂牌督办, and by status: the rows' sums."""
    n, first = len(items.COLOURS), skip + 1
    sums = [sum(r[first + i] for r in rows) for i in range(2 * n + len(STATUSES))]
    return {
        "colours": {
            c: {
                "all": _cell(sums[i], {**filters, "colour": c}),
                "listed": _cell(sums[n + i], {**filters, "colour": c, "listed": True}),
            }
            for i, c in enumerate(items.COLOURS)
        },
        "statuses": {
            s.value: _cell(sums[2 * n + i], {**filters, "status": s.value})
            for i, s in enumerate(STATUSES)
        },
    }


def colours(user: User, filters: dict, today: date) -> dict:
    """By colour, all and 挂牌督办, and by status: one statement."""
    return _colours_of(_states(user, filters, today, ()), 0, filters)


def _groups_of(rows: list[tuple], keys: tuple[str, ...], key: str, filters: dict) -> list[dict]:
    """Per responsible unit (`unit_id`) or township (`region_code`): items, closed,
    closed on time, overdue; the closure and on-time rates."""
    at, skip = keys.index(key), len(keys)
    closed_at = skip + 1 + 2 * len(items.COLOURS) + STATUSES.index(CLOSED)
    sums: dict = {}
    for row in rows:
        total = sums.setdefault(row[at], [0, 0, 0, 0])
        for i, column in enumerate((skip, closed_at, -2, -1)):
            total[i] += row[column]
    names = items.names_by_id(Unit.id, Unit.name, list(sums)) if key == "unit_id" else {}
    groups = []
    for value, (total, closed, on_time, overdue) in sums.items():
        own = {**filters, key: value}
        groups.append(
            {
                "key": value,
                "label": names.get(value, str(value)) if key == "unit_id" else (value or "—"),
                "total": _cell(total, own),
                "closed": _cell(closed, {**own, "status": CLOSED.value}),
                "on_time": _cell(on_time, {**own, "on_time": True}),
                "overdue": _cell(overdue, {**own, "overdue": True}),
                "closure_rate": closed / total if total else None,
                "on_time_rate": on_time / closed if closed else None,
            }
        )
    groups.sort(key=lambda g: (-g["overdue"]["count"], -g["total"]["count"], g["label"]))
    return groups


def item_states(user: User, filters: dict, today: date, keys: tuple[str, ...]) -> dict:
    """Colours, statuses and the per-`keys` tables (`units`, `regions`) from one
    statement: the same counts, each under the same WHERE, summed in Python."""
    rows = _states(user, filters, today, keys)
    found = _colours_of(rows, len(keys), filters)
    names = {"unit_id": "units", "region_code": "regions"}
    for key in keys:
        found[names[key]] = _groups_of(rows, keys, key, filters)
    return found


def per_week(rows, weeks) -> list[int]:
    """(day, count) rows folded into the weeks (Period.weeks: Monday to Sunday, the first
    and last cut to the period; days outside it are left out)."""
    counts = [0] * len(weeks)
    if not weeks:
        return counts
    first, last = weeks[0][0], weeks[-1][1]
    monday = first - timedelta(days=first.weekday())
    for day, count in rows:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        if first <= day <= last:
            counts[(day - monday).days // 7] += count
    return counts


def closed_per_week(user: User, filters: dict, period: Period, today: date) -> dict:
    weeks, base = period.weeks(), _trend(filters)
    day = items.local_day(Rectification.closed_at)
    where = items.item_clause(
        user, {**base, "closed_from": period.start, "closed_to": period.end}, today
    )
    rows = db.session.execute(select(day, func.count()).where(where).group_by(day)).all()
    counts = per_week(rows, weeks)
    return {
        "weeks": weeks,
        "closed": [
            _cell(n, {**base, "closed_from": a, "closed_to": b})
            for n, (a, b) in zip(counts, weeks, strict=True)
        ],
    }


def verifications(user: User, filters: dict, period: Period, today: date) -> dict:
    """回头看 decided in the period: items with a verification passed, items with one
    failed (returned to the unit). The office's only: the unit never learns of them.
    One statement, read from the verifications decided in the period (`id IN …`, implied
    by both counts' own WHERE) rather than an EXISTS probe per item."""
    base = {**_trend(filters), "verified_from": period.start, "verified_to": period.end}
    decided = select(Verification.rectification_id).where(
        Verification.status.in_(items.DECIDED),
        *items.between_days(Verification.decided_at, period.start, period.end),
    )
    cells, columns = {}, []
    for outcome in ("passed", "failed"):
        cells[outcome] = {**base, "verification": outcome}
        columns.append(func.count().filter(items.item_clause(user, cells[outcome], today)))
    row = db.session.execute(
        select(*columns)
        .select_from(Rectification)
        .where(items.item_clause(user, _trend(filters), today), Rectification.id.in_(decided))
    ).one()
    return {name: _cell(n, cells[name]) for name, n in zip(cells, row, strict=True)}


def waiting_for_leader(user: User, filters: dict, today: date) -> dict:
    """What the lead official follows up: red, 挂牌督办 still open, closure requests and
    extension requests waiting for the office's decision."""
    asks = {
        "red": {"colour": "red"},
        "listed_open": {"listed": True, "open": True},
        "closure_requested": {"status": RectificationStatus.closure_requested.value},
        "extension_pending": {"extension_pending": True},
        "overdue": {"overdue": True},
    }
    columns, cells = [], {}
    for name, extra in asks.items():
        own = {**filters, **extra}
        columns.append(func.count().filter(items.item_clause(user, own, today)))
        cells[name] = own
    row = _count_row(user, filters, today, columns)
    return {name: _cell(n, cells[name]) for name, n in zip(asks, row, strict=True)}


def due_soon(user: User, filters: dict, today: date) -> dict:
    """Open items due this week and next (Monday to Sunday), and those already overdue."""
    monday = today - timedelta(days=today.weekday())
    spans = {
        "this_week": (monday, monday + timedelta(days=6)),
        "next_week": (monday + timedelta(days=7), monday + timedelta(days=13)),
    }
    cells, columns = {}, []
    for name, (start, end) in spans.items():
        own = {**filters, "open": True, "deadline_from": start, "deadline_to": end}
        cells[name] = own
        columns.append(func.count().filter(items.item_clause(user, own, today)))
    cells["overdue"] = {**filters, "overdue": True}
    columns.append(func.count().filter(items.item_clause(user, cells["overdue"], today)))
    row = _count_row(user, filters, today, columns)
    found = {name: _cell(n, cells[name]) for name, n in zip(cells, row, strict=True)}
    found["spans"] = spans
    return found
