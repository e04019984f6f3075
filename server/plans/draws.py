"""Running a 双随机 draw for a draft plan, and checking a recorded draw by re-running it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from server.audit import record_event, record_read
from server.errors import ApiError, field_error, not_found
from server.extensions import db
from server.models import (
    Draw,
    DrawPool,
    Plan,
    PlanKind,
    PlanStatus,
    Role,
    Site,
    Unit,
    UnitKind,
    User,
    plan_site,
    plan_unit,
    utcnow,
)
from server.plans import rules
from server.plans.access import get_managed_plan, get_visible_plan
from server.plans.draw import ALGORITHM, DrawError, new_seed, run_draw
from server.plans.operations import Audiences, add_to_plan, plan_state
from server.settings import get_setting
from server.timeutil import local_today

# Units a plan can target: not the government itself nor a supervising office.
TARGET_UNIT_KINDS = (UnitKind.department, UnitKind.township, UnitKind.village, UnitKind.enterprise)


def _candidates(model, ids, conditions, field, label):
    query = select(model).where(*conditions)
    if ids is not None:
        query = query.where(model.id.in_(ids))
    rows = list(db.session.scalars(query))
    if ids is not None and len(rows) != len(set(ids)):
        raise field_error(field, f"所选{label}中有不存在或不可选的")
    return rows


def _recently_inspected(plan: Plan, pool: DrawPool) -> dict[str, str]:
    """Targets to leave out, with the reason: the office's own plans only (another
    office's plans are secret from this one)."""
    today = local_today()
    recent_since = today - timedelta(days=get_setting("draw_recent_days"))
    period = timedelta(days=get_setting("matter_repeat_period_days"))
    others = select(Plan.id).where(
        Plan.office_unit_id == plan.office_unit_id,
        Plan.id != plan.id,
        Plan.status != PlanStatus.draft,
    )
    recent = others.where(Plan.window_end >= recent_since)
    same_matter = others.where(
        Plan.matter_category_id == plan.matter_category_id,
        Plan.window_end > plan.window_start - period,
        Plan.window_start < plan.window_end + period,
    )
    reasons: dict[str, str] = {}
    for query, reason in ((same_matter, "同一事项期限内已督查"), (recent, "近期已督查")):
        if pool == DrawPool.site:
            ids = select(plan_site.c.site_id).where(plan_site.c.plan_id.in_(query))
            # A unit inspected on the same matter: none of its sites either.
            if reason == "同一事项期限内已督查":
                units = select(plan_unit.c.unit_id).where(plan_unit.c.plan_id.in_(query))
                ids = select(Site.id).where(Site.unit_id.in_(units)).union(ids)
        else:
            ids = select(plan_unit.c.unit_id).where(plan_unit.c.plan_id.in_(query))
        for target_id in db.session.scalars(ids):
            reasons.setdefault(str(target_id), reason)
    return reasons


def _draw_inputs(plan: Plan, data: dict) -> dict:
    pool = DrawPool(data["pool"])
    if pool == DrawPool.site:
        model, conditions, label = Site, [Site.active], "点位"
    else:
        model, conditions, label = Unit, [Unit.active, Unit.kind.in_(TARGET_UNIT_KINDS)], "单位"
    rows = _candidates(model, data.get("target_ids"), conditions, "target_ids", label)
    targets = [
        {
            "id": str(t.id),
            "unit_id": str(t.unit_id if model is Site else t.id),
            "region_code": t.region_code,
        }
        for t in rows
    ]
    users = _candidates(
        User,
        data.get("inspector_ids"),
        [User.active, User.role == Role.inspector],
        "inspector_ids",
        "督查人员",
    )
    inspectors = [
        {"id": str(u.id), "unit_id": str(u.unit_id), "region_code": u.unit.region_code}
        for u in users
    ]
    limit = get_setting("draw_max_candidates")
    if len(targets) > limit or len(inspectors) > limit:
        raise ApiError(422, "draw_too_large", f"候选数量超过上限 {limit}")
    reasons = _recently_inspected(plan, pool)
    current = plan.sites if pool == DrawPool.site else plan.target_units
    reasons.update({str(t.id): "已是本计划对象" for t in current})
    excluded = [{"id": t["id"], "reason": reasons[t["id"]]} for t in targets if t["id"] in reasons]
    return {
        "n": data["targets"],
        "m": data.get("inspectors", 0),
        "cross_region": plan.kind == PlanKind.cross_region,
        "targets": sorted((t for t in targets if t["id"] not in reasons), key=lambda t: t["id"]),
        "inspectors": sorted(inspectors, key=lambda i: i["id"]),
        "excluded": sorted(excluded, key=lambda e: e["id"]),
    }


def draw_for_plan(plan_id: uuid.UUID, data: dict, actor: User) -> Draw:
    """Draw targets and inspectors, record the draw, and add what it drew to the plan."""
    plan = get_managed_plan(actor, plan_id)
    if plan.status != PlanStatus.draft:
        raise ApiError(409, "plan_not_draft", "只能为草稿状态的计划抽取")
    inputs = _draw_inputs(plan, data)
    seed = data.get("seed") or new_seed()
    try:
        result = run_draw(seed, inputs)
    except DrawError as error:
        raise ApiError(422, "draw_impossible", str(error)) from None
    before, audiences = plan_state(plan), Audiences(plan)
    draw = Draw(
        plan=plan,
        created_by_id=actor.id,
        created_at=utcnow(),
        algorithm=ALGORITHM,
        seed=seed,
        pool=DrawPool(data["pool"]),
        inputs=inputs,
        result=result,
    )
    db.session.add(draw)
    drawn = [uuid.UUID(i) for i in result["target_ids"]]
    on_pool = "site_ids" if draw.pool == DrawPool.site else "unit_ids"
    add_to_plan(plan, team_ids=[uuid.UUID(i) for i in result["inspector_ids"]], **{on_pool: drawn})
    # Drawn targets were screened for the same matter already (see _recently_inspected).
    rules.check_plan(plan, local_today(), changed=set())
    db.session.flush()
    record_event(
        "plan.drawn",
        "plan",
        plan.id,
        actor.id,
        draw_id=str(draw.id),
        seed=seed,
        result=result,
        changes={k: v for k, v in plan_state(plan).items() if before[k] != v},
    )
    audiences.note(plan)
    return draw


def check_draw(plan_id: uuid.UUID, draw_id: uuid.UUID, user: User) -> dict:
    """Re-run a recorded draw from its stored seed and inputs."""
    plan = get_visible_plan(user, plan_id)
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.plan_id != plan.id:
        raise not_found("抽取记录不存在")
    rerun = run_draw(draw.seed, draw.inputs)
    record_read("plan.draw_checked", "plan", plan.id, user.id, draw_id=str(draw.id))
    return {"draw": draw, "rerun_result": rerun, "matches": rerun == draw.result}
