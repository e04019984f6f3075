"""Creating, editing, approving and merging plans. Operations flush, never commit; every
change is audited and logged for the devices of everyone who could see it before or after."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from server.audit import changes_between, record_event
from server.errors import ApiError, field_error
from server.extensions import db
from server.glossary import PLAN_STATUSES
from server.models import (
    OPEN_FOR_RECHECK,
    Category,
    Plan,
    PlanKind,
    PlanMode,
    PlanStatus,
    Rectification,
    Role,
    Site,
    Unit,
    User,
    utcnow,
)
from server.plans import rules
from server.plans.access import get_managed_plan
from server.sync_api.registry import audience_of, note_changed
from server.timeutil import local_today
from server.transaction import add_numbered

EDITABLE = (PlanStatus.draft, PlanStatus.approved, PlanStatus.active)
TRANSITIONS = {
    PlanStatus.draft: {PlanStatus.approved},
    PlanStatus.approved: {PlanStatus.draft, PlanStatus.active},
    PlanStatus.active: {PlanStatus.finished},
    PlanStatus.finished: {PlanStatus.findings_issued},
    PlanStatus.findings_issued: set(),
}
TEAM_ROLES = (Role.inspector, Role.supervisor)
LEADER_ROLES = (Role.leader, Role.supervisor)


# ---- resolving ids (unknown or inactive ids are refused by field) ----


def _by_ids(model, ids, field, label, *conditions):
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(wanted), *conditions)).all()
    found = {r.id: r for r in rows}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise field_error(field, f"{label}不存在或不可选:{', '.join(missing[:5])}")
    return [found[i] for i in wanted]


def resolve_team(ids):
    return _by_ids(User, ids, "team_ids", "人员", User.active, User.role.in_(TEAM_ROLES))


def resolve_sites(ids):
    return _by_ids(Site, ids, "site_ids", "点位", Site.active)


def resolve_units(ids):
    return _by_ids(Unit, ids, "unit_ids", "单位", Unit.active)


def resolve_rechecks(ids, office_id):
    return _by_ids(
        Rectification,
        ids,
        "rectification_ids",
        "整改事项",
        Rectification.office_unit_id == office_id,
        Rectification.status.in_(OPEN_FOR_RECHECK),
    )


def resolve_leader(leader_id):
    if leader_id is None:
        return None
    return _by_ids(
        User, [leader_id], "leader_id", "带队领导", User.active, User.role.in_(LEADER_ROLES)
    )[0]


def resolve_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise field_error("matter_category", f"督查事项类别不存在:{code}")
    return category


# ---- state, audit and sync ----


def plan_state(plan: Plan) -> dict:
    """What an audit entry compares: every field a supervisor can change."""
    return {
        "title": plan.title,
        "matter": plan.matter,
        "matter_category": plan.matter_category.code if plan.matter_category else None,
        "mode": str(plan.mode),
        "kind": str(plan.kind),
        "window_start": plan.window_start.isoformat(),
        "window_end": plan.window_end.isoformat(),
        "leader_id": str(plan.leader_id) if plan.leader_id else None,
        "team_ids": sorted(str(u.id) for u in plan.team),
        "site_ids": sorted(str(s.id) for s in plan.sites),
        "unit_ids": sorted(str(u.id) for u in plan.target_units),
        "rectification_ids": sorted(str(r.id) for r in plan.rechecks),
        "repeat_justification": plan.repeat_justification,
    }


class Audiences:
    """Who could see the plan and its sites before a change: devices that lose sight of
    them get a deletion, devices that gain it get the record."""

    def __init__(self, plan: Plan | None):
        self.plan = audience_of("plan", plan) if plan is not None else frozenset()
        self.sites = {s.id: (s, audience_of("site", s)) for s in (plan.sites if plan else [])}

    def note(self, plan: Plan) -> None:
        db.session.flush()
        note_changed("plan", plan, self.plan)
        sites = dict(self.sites)
        for site in plan.sites:
            sites.setdefault(site.id, (site, frozenset()))
        for site, before in sites.values():
            note_changed("site", site, before, sight_only=True)


def _touch(plan: Plan) -> None:
    # Team and target changes live in link tables; the plan's version must still move.
    plan.updated_at = utcnow()


def _union(current: list, extra: list) -> list:
    merged = {x.id: x for x in current}
    for x in extra:
        merged.setdefault(x.id, x)
    return list(merged.values())


def _apply(plan: Plan, data: dict) -> None:
    for name in ("title", "matter", "window_start", "window_end"):
        if name in data:
            setattr(plan, name, data[name])
    if "mode" in data:
        plan.mode = PlanMode(data["mode"])
    if "kind" in data:
        plan.kind = PlanKind(data["kind"])
    if "matter_category" in data:
        plan.matter_category = resolve_category(data["matter_category"])
        plan.matter_category_id = plan.matter_category.id  # the rules query by it before flush
    if "leader_id" in data:
        plan.leader = resolve_leader(data["leader_id"])
        plan.leader_id = plan.leader.id if plan.leader else None
    if "repeat_justification" in data:
        plan.repeat_justification = (data["repeat_justification"] or "").strip() or None
    if "team_ids" in data:
        plan.team = _kept_or(plan.team, data["team_ids"], resolve_team)
    if "site_ids" in data:
        plan.sites = _kept_or(plan.sites, data["site_ids"], resolve_sites)
    if "rectification_ids" in data:
        plan.rechecks = _kept_or(
            plan.rechecks,
            data["rectification_ids"],
            lambda ids: resolve_rechecks(ids, plan.office_unit_id),
        )
    units = (
        _kept_or(plan.target_units, data["unit_ids"], resolve_units)
        if "unit_ids" in data
        else list(plan.target_units)
    )
    plan.target_units = _union(
        units, [s.unit for s in plan.sites] + [r.unit for r in plan.rechecks]
    )


def _kept_or(current: list, ids: list, resolve) -> list:
    """The listed records: those already on the plan stay even if disabled or closed since
    (sending the full list back must not fail); new ones must be selectable now."""
    kept = {x.id: x for x in current}
    added = {x.id: x for x in resolve([i for i in ids if i not in kept])}
    return [kept.get(i) or added[i] for i in dict.fromkeys(ids)]


def _next_code(office_id: uuid.UUID, year: int) -> str:
    """DC-<year>-<nnn>, numbered per office (codes never collide across offices)."""
    prefix = f"DC-{year}-"
    codes = db.session.scalars(
        select(Plan.code).where(Plan.office_unit_id == office_id, Plan.code.like(f"{prefix}%"))
    )
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(r"DC-\d{4}-(\d+)", c))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def create_plan(data: dict, actor: User) -> Plan:
    plan = Plan(
        office_unit_id=actor.unit_id,
        created_by_id=actor.id,
        status=PlanStatus.draft,
        team=[],
        sites=[],
        target_units=[],
        rechecks=[],
    )
    _apply(plan, data)
    overrides = rules.check_plan(plan, local_today(), changed=set(plan_state(plan)))
    add_numbered(
        plan, lambda: _next_code(actor.unit_id, plan.window_start.year), "计划编号冲突,请重试"
    )
    record_event(
        "plan.created", "plan", plan.id, actor.id, state=plan_state(plan), overrides=overrides
    )
    Audiences(None).note(plan)
    return plan


def _check_version(plan: Plan, version: int) -> None:
    if plan.version != version:
        raise ApiError(
            409,
            "version_conflict",
            "计划已被他人修改,请刷新后再操作",
            {"current_version": plan.version},
        )


def _check_editable(plan: Plan) -> None:
    if plan.status not in EDITABLE:
        raise ApiError(409, "plan_locked", "计划已结束,不能再修改")


def update_plan(plan_id: uuid.UUID, data: dict, actor: User) -> Plan:
    plan = get_managed_plan(actor, plan_id)
    _check_version(plan, data.pop("version"))
    _check_editable(plan)
    before, audiences = plan_state(plan), Audiences(plan)
    _apply(plan, data)
    after = plan_state(plan)
    changes = changes_between(before, after)
    if not changes:
        return plan
    overrides = rules.check_plan(plan, local_today(), changed=set(changes))
    if plan.status != PlanStatus.draft:
        rules.check_ready_for_approval(plan)
    _touch(plan)
    record_event("plan.updated", "plan", plan.id, actor.id, changes=changes, overrides=overrides)
    audiences.note(plan)
    return plan


def add_to_plan(plan: Plan, team_ids=(), site_ids=(), unit_ids=(), rectification_ids=()):
    """Add members and targets (a merge, a draw); target units follow sites and items."""
    plan.team = _union(list(plan.team), resolve_team(team_ids))
    plan.sites = _union(list(plan.sites), resolve_sites(site_ids))
    rechecks = resolve_rechecks(rectification_ids, plan.office_unit_id)
    plan.rechecks = _union(list(plan.rechecks), rechecks)
    _apply(plan, {"unit_ids": [u.id for u in plan.target_units] + list(unit_ids)})
    _touch(plan)


def merge_into_plan(plan_id: uuid.UUID, data: dict, actor: User) -> Plan:
    """One inspection per matter: fold another intended inspection's targets and team into
    this plan instead of inspecting the same units twice."""
    plan = get_managed_plan(actor, plan_id)
    _check_editable(plan)
    before, audiences = plan_state(plan), Audiences(plan)
    lists = ("team_ids", "site_ids", "unit_ids", "rectification_ids")
    add_to_plan(plan, **{name: data.get(name, []) for name in lists})
    changes = changes_between(before, plan_state(plan))
    # Merging is the remedy for a repeated matter, not a new filing of one.
    rules.check_plan(plan, local_today(), changed=set(changes) - {"unit_ids"})
    record_event(
        "plan.merged", "plan", plan.id, actor.id, changes=changes, note=data.get("note", "")
    )
    audiences.note(plan)
    return plan


def change_status(plan_id: uuid.UUID, status: str, version: int, actor: User) -> Plan:
    plan = get_managed_plan(actor, plan_id)
    _check_version(plan, version)
    target = PlanStatus(status)
    if target not in TRANSITIONS[plan.status]:
        raise ApiError(
            409,
            "invalid_transition",
            f"计划当前为“{PLAN_STATUSES[plan.status]}”,不能改为“{PLAN_STATUSES[target]}”",
            {"from": str(plan.status), "to": str(target)},
        )
    audiences = Audiences(plan)
    if target == PlanStatus.approved:
        rules.check_ready_for_approval(plan)
        rules.check_plan(plan, local_today(), changed=set())
        plan.approved_by_id, plan.approved_at = actor.id, utcnow()
    elif target == PlanStatus.draft:
        plan.approved_by_id = plan.approved_at = None
    elif target == PlanStatus.findings_issued:
        plan.findings_issued_at = utcnow()
    previous, plan.status = plan.status, target
    record_event(
        "plan.status_changed", "plan", plan.id, actor.id, **{"from": str(previous), "to": status}
    )
    audiences.note(plan)
    return plan
