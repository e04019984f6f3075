"""The ledger colours (seed 000, 二(四)), computed from an item's facts, never typed.

- green: closed (销号);
- red: overdue; or returned at least `red_return_count` times; or no progress report for
  more than its cadence (`progress_cadence_days` unless the item sets its own); or behind
  the time-proportional schedule: the share of the deadline already elapsed exceeds the
  reported progress by more than `behind_schedule_margin`;
- yellow: any other open item. Drafts have no colour: they are not on the ledger yet.

While a closure request waits for verification the unit has done its part, so only the
return count can make it red.

Every rule but the return count turns red on a day that can be known in advance, so each
item stores `red_from`, the first day it is red with its current facts. The colour on a
given day is then a comparison the database can index (`red_from <= today`), which keeps
the 200,000-item ledger fast. `refresh_red_from` runs whenever an item's facts change, and
`recompute_open_items` when a colour setting or the calendar changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import and_, or_, select

from server.extensions import db
from server.models import Rectification, RectificationStatus
from server.settings import COLOUR_SETTINGS, get_setting
from server.timeutil import local_today

GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (RED, YELLOW, GREEN)
NOT_ON_LEDGER = (RectificationStatus.draft,)
OPEN_STATUSES = tuple(
    s for s in RectificationStatus if s not in NOT_ON_LEDGER and s != RectificationStatus.closed
)
ALWAYS = date(1970, 1, 1)  # red_from for an item red whatever the day


@dataclass(frozen=True)
class ColourRules:
    cadence_days: int
    red_return_count: int
    margin: Fraction

    @classmethod
    def current(cls) -> ColourRules:
        return cls(
            cadence_days=int(get_setting("progress_cadence_days")),
            red_return_count=int(get_setting("red_return_count")),
            margin=Fraction(str(get_setting("behind_schedule_margin"))),
        )


def red_reasons(item: Rectification, today: date, rules: ColourRules) -> list[str]:
    """Why an item is red on `today` (empty: not red). The reference the stored
    `red_from` is tested against."""
    if item.status in NOT_ON_LEDGER or item.status == RectificationStatus.closed:
        return []
    reasons = []
    if item.return_count >= rules.red_return_count:
        reasons.append("returned")
    if item.status == RectificationStatus.closure_requested or item.issued_at is None:
        return reasons
    issued_on = local_today(item.issued_at)
    if item.deadline is not None and today > item.deadline:
        reasons.append("overdue")
    last = local_today(item.last_progress_at) if item.last_progress_at else issued_on
    if (today - last).days > (item.report_every_days or rules.cadence_days):
        reasons.append("no_progress")
    if item.deadline is not None and item.deadline > issued_on:
        elapsed = Fraction((today - issued_on).days, (item.deadline - issued_on).days)
        if elapsed - Fraction(item.progress_percent, 100) > rules.margin:
            reasons.append("behind_schedule")
    return reasons


def compute_red_from(item: Rectification, rules: ColourRules) -> date | None:
    if item.status in NOT_ON_LEDGER or item.status == RectificationStatus.closed:
        return None
    if item.return_count >= rules.red_return_count:
        return ALWAYS
    if item.status == RectificationStatus.closure_requested or item.issued_at is None:
        return None
    issued_on = local_today(item.issued_at)
    last = local_today(item.last_progress_at) if item.last_progress_at else issued_on
    days = [last + timedelta(days=(item.report_every_days or rules.cadence_days) + 1)]
    if item.deadline is not None:
        days.append(item.deadline + timedelta(days=1))
        total = (item.deadline - issued_on).days
        if total > 0:
            # Red once elapsed/total - progress > margin, i.e. elapsed > total*(progress+margin).
            limit = total * (Fraction(item.progress_percent, 100) + rules.margin)
            days.append(issued_on + timedelta(days=math.floor(limit) + 1))
    return min(days)


def refresh_red_from(item: Rectification, rules: ColourRules | None = None) -> None:
    value = compute_red_from(item, rules or ColourRules.current())
    if item.red_from != value:
        item.red_from = value


def colour_of(item: Rectification, today: date | None = None) -> str | None:
    if item.status in NOT_ON_LEDGER:
        return None
    if item.status == RectificationStatus.closed:
        return GREEN
    today = today or local_today()
    return RED if item.red_from is not None and item.red_from <= today else YELLOW


def colour_clause(colour: str, today: date):
    """The SQL form of colour_of, for filters and counts."""
    # Listed (IN rather than NOT IN) so the database reads ix_rectification_ledger by range.
    open_ = Rectification.status.in_(OPEN_STATUSES)
    if colour == GREEN:
        return Rectification.status == RectificationStatus.closed
    if colour == RED:
        return and_(open_, Rectification.red_from <= today)
    return and_(open_, or_(Rectification.red_from.is_(None), Rectification.red_from > today))


def recompute_open_items(batch: int = 2000) -> int:
    """After a colour setting changes: every open item's red_from again. Returns how many
    changed."""
    rules = ColourRules.current()
    query = (
        select(Rectification)
        .where(Rectification.status.not_in([*NOT_ON_LEDGER, RectificationStatus.closed]))
        .execution_options(yield_per=batch)
    )
    moved = 0
    for item in db.session.scalars(query):
        before = item.red_from
        refresh_red_from(item, rules)
        moved += before != item.red_from  # devices carry red_from: the flush tells them
    db.session.flush()
    return moved


def recolour_after(key: str) -> int:
    """A setting changed (server/signals.py): the colour settings move red_from."""
    return recompute_open_items() if key in COLOUR_SETTINGS else 0
