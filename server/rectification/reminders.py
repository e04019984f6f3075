"""Reminders and escalation, run daily (`flask send-reminders`, from cron or a timer).

For every open item, on a given day:
- due soon: the deadline is within `due_soon_working_days` working days → the unit;
- overdue: the deadline has passed → the unit and the office;
- follow-up: red items once per `red_follow_days`, yellow ones once per
  `yellow_follow_days` (counted from the day of issue) → the unit;
- escalation: a red item, once per red follow-up period → its lead official (牵头领导).

Each reminder has an occasion (the deadline, the period), so running the job twice on a
day — or on two servers — writes nothing new. Summons (约谈) are recorded here too."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.audit import record_event
from server.errors import field_error
from server.extensions import db
from server.glossary import COLOURS, RED_REASONS
from server.models import Rectification, RectificationStatus, Role, Summons, Unit, UnitKind, User
from server.rectification.colour import RED, ColourRules, colour_of, red_reasons
from server.rectification.notify import notify, responders_of, supervisors_of
from server.settings import get_setting
from server.timeutil import local_today
from server.workdays.calendar import add_working_days

OPEN = (
    RectificationStatus.issued,
    RectificationStatus.acknowledged,
    RectificationStatus.in_progress,
)


def run_reminders(today: date | None = None, batch: int = 1000) -> dict:
    today = today or local_today()
    soon_until, _ = add_working_days(today, int(get_setting("due_soon_working_days")))
    red_days, yellow_days = (
        int(get_setting("red_follow_days")),
        int(get_setting("yellow_follow_days")),
    )
    rules = ColourRules.current()
    counts: dict[str, int] = defaultdict(int)
    responders: dict = {}
    offices: dict = {}
    query = (
        select(Rectification)
        .where(Rectification.status.in_(OPEN))
        .options(selectinload(Rectification.lead_official))
        .order_by(Rectification.id)
        .execution_options(yield_per=batch)
    )
    for item in db.session.scalars(query):
        unit = responders.setdefault(item.unit_id, responders_of(item.unit_id))
        office = offices.setdefault(item.office_unit_id, supervisors_of(item.office_unit_id))
        deadline = item.deadline
        if deadline is not None and today <= deadline <= soon_until:
            counts["due_soon"] += notify(
                unit,
                "due_soon",
                item,
                f"{item.code} 将于 {deadline.isoformat()} 到期",
                item.problem[:200],
                occasion=deadline.isoformat(),
            )
        if deadline is not None and today > deadline:
            counts["overdue"] += notify(
                unit + office,
                "overdue",
                item,
                f"{item.code} 已超过完成时限 {deadline.isoformat()}",
                item.problem[:200],
                occasion=deadline.isoformat(),
            )
        colour = colour_of(item, today)
        period_days = red_days if colour == RED else yellow_days
        period = (today - local_today(item.issued_at)).days // period_days
        if period >= 1:
            counts[f"follow_{colour}"] += notify(
                unit,
                f"follow_{colour}",
                item,
                f"{item.code} {COLOURS[colour]}事项调度:请报送整改进展",
                occasion=f"{period_days}d-{period}",
            )
        if colour == RED and item.lead_official is not None:
            why = "、".join(RED_REASONS[r] for r in red_reasons(item, today, rules))
            counts["escalation"] += notify(
                [item.lead_official],
                "escalation",
                item,
                f"您牵头的 {item.code} 为红色事项({why})",
                item.problem[:200],
                occasion=f"{red_days}d-{(today - local_today(item.issued_at)).days // red_days}",
            )
    db.session.flush()
    return dict(counts)


def record_summons(data: dict, actor: User) -> Summons:
    """约谈: the head of a unit summoned over key problems; the unit is told."""
    unit = db.session.get(Unit, data["unit_id"])
    if unit is None or not unit.active or unit.kind == UnitKind.office:
        raise field_error("unit_id", "单位不存在、已停用或为督查机构")
    item = None
    if data.get("rectification_id"):
        item = db.session.get(Rectification, data["rectification_id"])
        if (
            item is None
            or item.office_unit_id != actor.unit_id
            or item.unit_id != unit.id
            or item.status == RectificationStatus.draft  # not the unit's yet: never named to it
        ):
            raise field_error("rectification_id", "整改事项不存在或不属于该单位")
    summons = Summons(
        office_unit_id=actor.unit_id,
        unit_id=unit.id,
        rectification_id=item.id if item else None,
        held_on=data["held_on"],
        person=data["person"],
        reason=data["reason"],
        recorded_by_id=actor.id,
    )
    db.session.add(summons)
    db.session.flush()
    record_event(
        "summons.recorded",
        "summons",
        summons.id,
        actor.id,
        unit_id=str(unit.id),
        rectification_id=str(item.id) if item else None,
        held_on=summons.held_on.isoformat(),
    )
    notify(
        responders_of(unit.id),
        "summons",
        item,
        f"约谈:{unit.name}({summons.held_on.isoformat()})",
        summons.reason,
    )
    return summons


def summons_for(user: User) -> list[Summons]:
    query = select(Summons).options(selectinload(Summons.unit)).order_by(Summons.held_on.desc())
    if user.role == Role.supervisor:
        query = query.where(Summons.office_unit_id == user.unit_id)
    elif user.role == Role.responder:
        query = query.where(Summons.unit_id == user.unit_id)
    elif user.role != Role.admin:
        return []
    return list(db.session.scalars(query.limit(500)))
