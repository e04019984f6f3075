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
from server.models import (
    Rectification,
    RectificationStatus,
    Role,
    Unit,
    UnitKind,
    User,
    Verification,
)
from server.rectification import queries as items
from server.search import unindexed

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


def _states(user: User, filters: dict, today: date, keys: tuple[str, ...]) -> list[tuple]:
    """The items' state figures in one read of the items, grouped by `keys`, status and
    listed; each row is (status, listed, *keys, items, red, overdue, closed on time). The
    colour, status and per-group charts are sums of these rows. Grouping by the item's
    own columns leaves three conditions to test per item instead of one per chart cell,
    and ix_rectification_figures hands the rows over already grouped (200,000 items:
    SQLite 510 -> 80 ms, bench/dashboards.py)."""
    where = items.item_clause(user, filters, today)
    # In the index's order (PostgreSQL 15 does not reorder GROUP BY to match it). A
    # leader's or a unit's items are read from their own indexes: grouping by an indexed
    # status would have SQLite walk every item in status order instead (leader, 200,000
    # items: 170 -> 40 ms).
    status = Rectification.status if is_office(user) else unindexed(Rectification.status)
    groups = [status, Rectification.listed]
    groups += [getattr(Rectification, k) for k in keys]
    query = select(
        *groups,
        func.count(),
        func.count().filter(items.colour_clause(items.RED, today)),
        func.count().filter(items.overdue_clause(today)),
        func.count().filter(items.closed_on_time()),
    )
    query = query.select_from(Rectification).where(where).group_by(*groups)
    return [tuple(r) for r in db.session.execute(query).all()]


def _sums(rows: list[tuple], skip: int) -> dict:
    """Per colour (all, 挂牌督办), per status, closed on time and overdue: the sums of
    `_states` rows (`skip`: how many group keys follow status and listed)."""
    cells = [(c, listed) for c in items.COLOURS for listed in (False, True)]
    sums = dict.fromkeys([*cells, *STATUSES, "on_time", "overdue"], 0)
    for row in rows:
        (status, listed), (total, red, overdue, on_time) = row[:2], row[2 + skip :]
        status = RectificationStatus(status)
        if status == CLOSED:
            by_colour = {items.GREEN: total}
        else:
            by_colour = {items.RED: red, items.YELLOW: total - red}
        for colour, n in by_colour.items():
            sums[colour, bool(listed)] += n
        sums[status] += total
        sums["on_time"] += on_time
        sums["overdue"] += overdue
    return sums


def _colours_of(rows: list[tuple], skip: int, filters: dict) -> dict:
    """By colour, all and 挂牌督办, and by status."""
    sums = _sums(rows, skip)
    return {
        "colours": {
            c: {
                "all": _cell(sums[c, False] + sums[c, True], {**filters, "colour": c}),
                "listed": _cell(sums[c, True], {**filters, "colour": c, "listed": True}),
            }
            for c in items.COLOURS
        },
        "statuses": {s.value: _cell(sums[s], {**filters, "status": s.value}) for s in STATUSES},
        "overdue": _cell(sums["overdue"], {**filters, "overdue": True}),
    }


def colours(user: User, filters: dict, today: date) -> dict:
    """By colour, all and 挂牌督办, and by status: one statement."""
    return _colours_of(_states(user, filters, today, ()), 0, filters)


def is_office(user: User) -> bool:
    return user.role in (Role.supervisor, Role.admin)


def _unit_names(ids: list) -> dict:
    return items.names_by_id(Unit.id, Unit.name, ids)


def _region_names(codes: list[str]) -> dict:
    """A region's label: the name of its government (a township's or the county's own;
    server/regions.py), then its code."""
    governments = (UnitKind.township, UnitKind.government)
    rows = db.session.execute(
        select(Unit.region_code, Unit.name)
        .where(Unit.region_code.in_(codes), Unit.kind.in_(governments))
        .order_by(Unit.region_code, Unit.kind.desc(), Unit.name)
    ).all()
    names = {}
    for code, name in rows:
        names.setdefault(code, f"{name} {code}")
    return names


def _groups_of(rows: list[tuple], keys: tuple[str, ...], key: str, filters: dict) -> list[dict]:
    """Per responsible unit (`unit_id`) or township (`region_code`): items, closed,
    closed on time, overdue; the closure and on-time rates."""
    at = 2 + keys.index(key)
    by_value: dict = {}
    for row in rows:
        by_value.setdefault(row[at], []).append(row)
    names = (_unit_names if key == "unit_id" else _region_names)(list(by_value))
    groups = []
    for value, own_rows in by_value.items():
        sums = _sums(own_rows, len(keys))
        total = sum(sums[s] for s in STATUSES)
        closed, on_time, overdue = sums[CLOSED], sums["on_time"], sums["overdue"]
        own = {**filters, key: value}
        groups.append(
            {
                "key": value,
                "label": names.get(value) or str(value or "—"),
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


def due_soon(user: User, filters: dict, today: date, overdue: dict) -> dict:
    """Open items due this week and next (Monday to Sunday), beside `overdue` (the cell
    of the state figures, counted in the same read as the colours). Only the fortnight's
    deadlines are read."""
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
    fortnight = {**filters, "deadline_from": monday, "deadline_to": spans["next_week"][1]}
    row = _count_row(user, fortnight, today, columns)
    found = {name: _cell(n, cells[name]) for name, n in zip(cells, row, strict=True)}
    return {**found, "overdue": overdue, "spans": spans}
