"""A bulletin's figures and ranking, read through the dashboards' own figure code
(server/dashboards/queries.py, item_figures.py) so a bulletin's numbers are the office
dashboard's for the same period. docs/bulletins.md documents every figure and the score.

- The month's figures: the supervisor dashboard with 起止日期 = the month (items issued in
  the month; findings observed, items closed and 回头看 decided in the month).
- The ranking: the per-unit table of the same dashboard for the year to the month's end
  (items issued from 1 January), plus the items' returns after a failed 回头看 and the
  unit's negative-list points (`points_for`)."""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from sqlalchemy import func, select

from server.dashboards import item_figures
from server.dashboards import queries as dashboard
from server.extensions import db
from server.models import Rectification, User
from server.points.queries import points_by_unit
from server.rectification import queries as items
from server.settings import SETTINGS, get_setting


# Negative-list deductions per unit, until the points domain is merged.
def month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def points_for(office_unit_id: uuid.UUID, start: date, end: date) -> dict[uuid.UUID, float]:
    """Points each unit lost on the office's negative list between start and end (a
    positive number per unit; cancelled entries do not count)."""
    return {unit: -points for unit, points in points_by_unit(office_unit_id, start, end).items()}


def _count(cell) -> int:
    return cell["count"]


def month_figures(user: User, year: int, month: int, today: date) -> dict:
    """The summary of the month, as the supervisor's dashboard counts it."""
    start, end = month_span(year, month)
    found = dashboard.supervisor_dashboard(user, {"date_from": start, "date_to": end}, today)
    colours = {c: _count(found["colours"][c]["all"]) for c in items.COLOURS}
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "findings": sum(_count(c) for c in found["findings"]["total"]),
        "issued": sum(_count(c) for c in found["statuses"].values()),
        "closed": sum(_count(c) for c in found["closed"]["closed"]),
        "overdue": _count(found["overdue"]),
        "colours": colours,
        "verified_passed": _count(found["verifications"]["passed"]),
        "verified_failed": _count(found["verifications"]["failed"]),
    }


def returns_per_unit(user: User, filters: dict, today: date) -> dict:
    """Returns after a failed 回头看, summed over each unit's items under the filters."""
    where = items.item_clause(user, filters, today)
    rows = db.session.execute(
        select(Rectification.unit_id, func.coalesce(func.sum(Rectification.return_count), 0))
        .where(where)
        .group_by(Rectification.unit_id)
    ).all()
    return {unit_id: int(n) for unit_id, n in rows}


def score(row: dict, points: float) -> float:
    """100 × the weighted mean of the on-time and closure rates, less the penalties."""
    w_on_time = get_setting("ranking_weight_on_time")
    w_closure = get_setting("ranking_weight_closure")
    weights = w_on_time + w_closure
    rates = w_on_time * row["on_time_rate"] + w_closure * row["closure_rate"]
    base = 100 * rates / weights if weights else 0.0
    penalty = (
        get_setting("ranking_overdue_penalty") * row["overdue"]
        + get_setting("ranking_returned_penalty") * row["returned"]
        + get_setting("ranking_points_weight") * points
    )
    return round(base - penalty, 1)


def ranking(units: list[dict], returned: dict, points: dict[uuid.UUID, float]) -> list[dict]:
    """Units ranked by score (ties: fewer overdue, then more items, then name). `units` are
    the dashboard's per-unit groups; `points` the negative-list points lost per unit."""
    rows = []
    for group in units:
        total, closed = _count(group["total"]), _count(group["closed"])
        on_time = _count(group["on_time"])
        row = {
            "unit_id": str(group["key"]),
            "unit": group["label"],
            "items": total,
            "closed": closed,
            "on_time": on_time,
            "overdue": _count(group["overdue"]),
            "returned": returned.get(group["key"], 0),
            "points": float(points.get(group["key"], 0.0)),
            "closure_rate": closed / total if total else 0.0,
            "on_time_rate": on_time / closed if closed else 0.0,
        }
        row["score"] = score(row, row["points"])
        rows.append(row)
    rows.sort(key=lambda r: (-r["score"], r["overdue"], -r["items"], r["unit"]))
    for place, row in enumerate(rows, start=1):
        row["place"] = place
    return rows


def lists(rows: list[dict]) -> dict:
    """红黄黑榜 from the ranking (docs/bulletins.md):
    - red: score >= ranking_red_list_score and no overdue item, best first;
    - black: score < ranking_black_list_score, worst first;
    both at most ranking_list_size units;
    - yellow (warning): every other unit with an overdue item, a return or a score below
      the red line."""
    size = int(get_setting("ranking_list_size"))
    red_line, black_line = (
        get_setting("ranking_red_list_score"),
        get_setting("ranking_black_list_score"),
    )
    red = [r for r in rows if r["score"] >= red_line and r["overdue"] == 0][:size]
    black = [r for r in reversed(rows) if r["score"] < black_line][:size]
    named = {r["unit_id"] for r in red + black}
    yellow = [
        r
        for r in rows
        if r["unit_id"] not in named and (r["overdue"] or r["returned"] or r["score"] < red_line)
    ]
    return {key: [r["unit_id"] for r in found] for key, found in
            (("red", red), ("yellow", yellow), ("black", black))}  # fmt: skip


def year_ranking(user: User, year: int, month: int, today: date) -> list[dict]:
    start, end = date(year, 1, 1), month_span(year, month)[1]
    args = {"date_from": start, "date_to": end}
    period = item_figures.period_of(args, today)
    filters = item_figures.item_filters(args, period)
    groups = item_figures.item_states(user, filters, today, ("unit_id",))["units"]
    return ranking(
        groups, returns_per_unit(user, filters, today), points_for(user.unit_id, start, end)
    )


def compute(user: User, year: int, month: int, today: date) -> dict:
    """Everything a bulletin freezes at review: the month's figures, the ranking, the
    lists and the settings the score was computed with."""
    rows = year_ranking(user, year, month, today)
    keys = [k for k in SETTINGS if k.startswith("ranking_")]
    return {
        "figures": month_figures(user, year, month, today),
        "ranking": rows,
        "lists": lists(rows),
        "rules": {k: get_setting(k) for k in keys},
        "as_of": today.isoformat(),
    }
