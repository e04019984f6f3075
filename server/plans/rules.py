"""The planning rules (seed 001 (十七), seed 000 四(三)); every number is a setting.

Each check raises ApiError with a stable code and a Chinese message. They look only at the
office's own plans, so a refusal never reveals another office's (secret) plan."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.errors import ApiError
from server.extensions import db
from server.models import Plan, PlanKind, PlanMode, plan_unit
from server.regions import county
from server.settings import get_setting

MIN_JUSTIFICATION = 5  # characters: a reason, not a token gesture


def check_filing(plan: Plan, today: date) -> None:
    """An announced inspection is filed at least `open_filing_lead_days` before its window."""
    if plan.mode != PlanMode.open:
        return
    lead = get_setting("open_filing_lead_days")
    earliest = today + timedelta(days=lead)
    if plan.window_start < earliest:
        raise ApiError(
            422,
            "open_filing_too_late",
            f"公开督查须提前 {lead} 天报备,实施时间最早为 {earliest.isoformat()}",
            {"earliest_window_start": earliest.isoformat(), "lead_days": lead},
        )


def check_leader(plan: Plan) -> None:
    if plan.kind == PlanKind.leader_led and plan.leader_id is None:
        raise ApiError(422, "leader_required", "领导带队暗访须指定带队领导")


def check_follow_up(plan: Plan) -> None:
    if plan.kind == PlanKind.follow_up and not plan.rechecks:
        raise ApiError(422, "rechecks_required", "“回头看”暗访须关联要复查的整改事项")
    if plan.kind != PlanKind.follow_up and plan.rechecks:
        raise ApiError(422, "rechecks_not_follow_up", "只有“回头看”暗访可以关联整改事项")


def target_regions(plan: Plan) -> set[str]:
    """The counties the plan inspects (server/regions.py)."""
    codes = {s.region_code for s in plan.sites} | {u.region_code for u in plan.target_units}
    return {county(c) for c in codes}


def check_cross_region(plan: Plan) -> None:
    """A cross-region team has nobody from a county it inspects."""
    if plan.kind != PlanKind.cross_region:
        return
    regions = target_regions(plan)
    local = [m for m in plan.team if county(m.unit.region_code) in regions]
    if local:
        names = "、".join(m.display_name for m in local)
        raise ApiError(
            422,
            "cross_region_conflict",
            f"异地交叉暗访的组员不能来自被督查地区:{names}",
            {"member_ids": [str(m.id) for m in local]},
        )


def matter_conflicts(plan: Plan) -> list[tuple[Plan, list[str]]]:
    """The office's other plans on the same matter for a shared target unit whose window
    comes within `matter_repeat_period_days` of this one's, with the shared unit names."""
    unit_names = {u.id: u.name for u in plan.target_units}
    if not unit_names or plan.matter_category_id is None:
        return []
    period = timedelta(days=get_setting("matter_repeat_period_days"))
    rows = db.session.execute(
        select(Plan, plan_unit.c.unit_id)
        .join(plan_unit, plan_unit.c.plan_id == Plan.id)
        .where(
            Plan.office_unit_id == plan.office_unit_id,
            Plan.id != plan.id,
            Plan.matter_category_id == plan.matter_category_id,
            plan_unit.c.unit_id.in_(unit_names),
            Plan.window_end > plan.window_start - period,
            Plan.window_start < plan.window_end + period,
        )
        .order_by(Plan.window_start, Plan.code)
    ).all()
    found: dict = {}
    for other, unit_id in rows:
        found.setdefault(other, []).append(unit_names[unit_id])
    return list(found.items())


def check_matter_repeat(plan: Plan) -> list[dict]:
    """One inspection per matter: refuse a repeat unless justified; return the conflicts
    a justification overrode (for the audit trail)."""
    conflicts = [
        {
            "id": str(other.id),
            "code": other.code,
            "title": other.title,
            "window_start": other.window_start.isoformat(),
            "window_end": other.window_end.isoformat(),
            "shared_units": sorted(units),
        }
        for other, units in matter_conflicts(plan)
    ]
    if not conflicts:
        return []
    reason = (plan.repeat_justification or "").strip()
    if len(reason) < MIN_JUSTIFICATION:
        days = get_setting("matter_repeat_period_days")
        codes = "、".join(c["code"] for c in conflicts)
        raise ApiError(
            409,
            "matter_repeated",
            f"{days} 天内已有针对同一单位同一事项的督查计划({codes}):"
            f"请并入该计划,或填写不少于 {MIN_JUSTIFICATION} 个字的必要性说明",
            {"conflicts": conflicts, "period_days": days},
        )
    return conflicts


MATTER_FIELDS = {"matter_category", "window_start", "window_end", "unit_ids"}


def check_plan(plan: Plan, today: date, changed: set[str]) -> list[dict]:
    """Every rule a plan must meet after a change to the fields in `changed`.

    The filing lead applies when the window or mode is set; the one-per-matter guard when
    the matter, window or target units are (approving a plan, or adding a member, does
    not re-open a question settled when the plan was filed)."""
    if {"mode", "window_start"} & changed:
        check_filing(plan, today)
    check_leader(plan)
    check_follow_up(plan)
    check_cross_region(plan)
    return check_matter_repeat(plan) if MATTER_FIELDS & changed else []


def check_ready_for_approval(plan: Plan) -> None:
    missing = []
    if not plan.team:
        missing.append("督查组成员")
    if not plan.sites and not plan.target_units:
        missing.append("督查对象(点位或单位)")
    if missing:
        raise ApiError(422, "plan_incomplete", f"批准前须填写:{'、'.join(missing)}")
