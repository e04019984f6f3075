"""The deduction rules, applied by the daily points job (jobs.py) or `flask apply-points`.

Each rule finds its facts, and writes one entry per fact and period under a dedupe key
(rule:subject:period), so a second run the same day, month or ever adds nothing. The
points are settings (server/settings.py, points_*); 0 turns a rule off. Only issued items
count: a draft item, or anything of a plan not yet issued, never costs a unit points.

- overdue:  an item overdue today (queries.overdue_clause: issued, not yet submitted for
            closure, deadline passed) — once per item and calendar month;
- returned: a failed verification (desk or 回头看) that returned the item — once each;
- summons:  a summons (约谈) of the unit's head — once each;
- red_long: an open item red for more than points_red_days (counted from red_from, or
            from its issue when it is red whatever the day) — once per item and month.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import (
    PointsEntry,
    Rectification,
    RectificationStatus,
    Summons,
    Verification,
    VerificationStatus,
)
from server.points.operations import add_entry
from server.rectification.queries import overdue_clause
from server.settings import get_setting
from server.timeutil import local_today

OPEN = (
    RectificationStatus.issued,
    RectificationStatus.acknowledged,
    RectificationStatus.in_progress,
    RectificationStatus.closure_requested,
)


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _overdue(today: date):
    items = db.session.scalars(select(Rectification).where(overdue_clause(today)))
    for item in items:
        reason = f"{item.code} 超过完成时限 {item.deadline.isoformat()} 仍未整改完成"
        yield f"overdue:{item.id}:{_month(today)}", item, None, today, reason


def _returned(today: date):
    rows = db.session.execute(
        select(Verification, Rectification)
        .join(Rectification, Rectification.id == Verification.rectification_id)
        .where(Verification.status == VerificationStatus.failed)
        .where(Rectification.status != RectificationStatus.draft)
    )
    for verification, item in rows:
        decided = verification.decided_at or verification.updated_at
        day = min(local_today(decided), today)
        reason = f"{item.code} 复查未通过,退回整改:{verification.decision_reason}".rstrip(":")
        yield f"returned:{verification.id}", item, None, day, reason


def _summons(today: date):
    for summons in db.session.scalars(select(Summons).where(Summons.held_on <= today)):
        item = None
        if summons.rectification_id:
            item = db.session.get(Rectification, summons.rectification_id)
        if item is not None and item.status == RectificationStatus.draft:
            item = None  # never named to the unit before it is issued
        reason = f"约谈 {summons.person}:{summons.reason}"
        yield f"summons:{summons.id}", item, summons, summons.held_on, reason


def _red_long(today: date):
    days = get_setting("points_red_days")
    since = today - timedelta(days=days)
    query = select(Rectification).where(
        Rectification.status.in_(OPEN), Rectification.red_from < since
    )
    for item in db.session.scalars(query):
        # red_from is colour.ALWAYS for an item red whatever the day (returned too often):
        # it has been red at most since it was issued.
        start = max(item.red_from, local_today(item.issued_at)) if item.issued_at else None
        if start is None or start >= since:
            continue
        reason = f"{item.code} 自 {start.isoformat()} 起持续红色超过 {days} 天"
        yield f"red_long:{item.id}:{_month(today)}", item, None, today, reason


RULES = {
    "overdue": ("points_overdue", _overdue),
    "returned": ("points_returned", _returned),
    "summons": ("points_summons", _summons),
    "red_long": ("points_red_long", _red_long),
}


def apply_rules(today: date | None = None) -> dict[str, int]:
    """Write the entries the rules call for and are not yet written; {rule: added}."""
    today = today or local_today()
    added: Counter = Counter()
    for rule, (setting, facts) in RULES.items():
        points = get_setting(setting)
        if not points:
            continue
        known = set(
            db.session.scalars(
                select(PointsEntry.dedupe_key).where(PointsEntry.dedupe_key.like(f"{rule}:%"))
            )
        )
        for key, item, summons, day, reason in facts(today):
            if key in known:
                continue
            office_id = summons.office_unit_id if summons else item.office_unit_id
            unit_id = summons.unit_id if summons else item.unit_id
            add_entry(
                office_id, unit_id, -points, rule, day, reason,
                item=item, summons=summons, dedupe_key=key,
            )  # fmt: skip
            known.add(key)
            added[rule] += 1
    db.session.flush()
    return dict(added)
