"""Who may see and manage a plan, and whose devices it reaches: the one place that decides
it, for the API, the console, the figures and the pull feed. Each question has a Python
form (one record), an SQL form (lists, counts, snapshots) and, for devices, the audience
tags of the change log; tests/unit/test_access_agreement.py checks that they agree.

On the desk (`can_see` / `visible_clause`):
Until its findings are issued a plan is visible only to admins, the supervisors of its
office, and — once approved — its team and its leader. Issuing findings does not open the
plan to the inspected units: they see the items issued to them, never the plan. Anyone
else is told the plan does not exist, exactly as for an id that was never used.

On devices (`reaches_device` / `device_clause` / `device_audience`), narrower: a plan
reaches its team's devices while it can be worked on (approved or active), and every
device of its office's supervisors and of admins; its sites go with it. Its leader and a
finished plan stay on the desk."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from server.audit import record_read
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import Plan, PlanStatus, Role, Site, User, plan_member, plan_site
from server.sync_api.principal import ADMINS, SUPERVISORS, office_tag, user_tag

NOT_FOUND = "督查计划不存在"
# A plan reaches its team's devices while it can be worked on.
LIVE = (PlanStatus.approved, PlanStatus.active)


def can_manage(user: User, plan: Plan) -> bool:
    return user.role == Role.supervisor and plan.office_unit_id == user.unit_id


def _on_team(user: User, plan: Plan) -> bool:
    return any(member.id == user.id for member in plan.team)


def can_see(user: User, plan: Plan) -> bool:
    if user.role == Role.admin or can_manage(user, plan):
        return True
    if plan.status == PlanStatus.draft:
        return False
    return plan.leader_id == user.id or _on_team(user, plan)


def reaches_device(user: User, plan: Plan) -> bool:
    if user.role == Role.admin or can_manage(user, plan):
        return True
    return plan.status in LIVE and _on_team(user, plan)


def _clause(user: User, clause):
    """The SQL forms: every plan for an admin; `clause` or the office's for a supervisor;
    `clause` for anyone else."""
    if user.role == Role.admin:
        return Plan.id.is_not(None)
    if user.role == Role.supervisor:
        return or_(clause, Plan.office_unit_id == user.unit_id)
    return clause


def _team_clause(user: User):
    return exists().where(plan_member.c.plan_id == Plan.id, plan_member.c.user_id == user.id)


def visible_clause(user: User):
    team_or_leader = or_(_team_clause(user), Plan.leader_id == user.id)
    return _clause(user, (Plan.status != PlanStatus.draft) & team_or_leader)


def device_clause(user: User):
    return _clause(user, Plan.status.in_(LIVE) & _team_clause(user))


def device_audience(plan: Plan) -> frozenset[str]:
    """Whose devices hear of a change (a superset: the pull checks `reaches_device`)."""
    return frozenset(
        {ADMINS, office_tag(plan.office_unit_id)} | {user_tag(m.id) for m in plan.team}
    )


def assigned_site(site_id, user_id):
    """The SQL form of a site reaching a field user's device: it is in a live plan whose
    team includes the user."""
    return exists().where(
        plan_site.c.site_id == site_id,
        plan_site.c.plan_id == plan_member.c.plan_id,
        plan_member.c.user_id == user_id,
        plan_member.c.plan_id == Plan.id,
        Plan.status.in_(LIVE),
    )


def site_reaches_device(session, user: User, site: Site) -> bool:
    if user.role in (Role.admin, Role.supervisor):
        return True  # the office's site list, for planning
    return bool(session.scalar(select(assigned_site(site.id, user.id))))


def site_device_audience(session, site: Site) -> frozenset[str]:
    members = session.scalars(
        select(plan_member.c.user_id)
        .join(plan_site, plan_site.c.plan_id == plan_member.c.plan_id)
        .join(Plan, Plan.id == plan_site.c.plan_id)
        .where(plan_site.c.site_id == site.id, Plan.status.in_(LIVE))
    )
    return frozenset({ADMINS, SUPERVISORS} | {user_tag(m) for m in members})


def load_plan(plan_id: uuid.UUID, user: User) -> Plan | None:
    """The plan if the user may see it. Visibility is part of the one query, so a secret
    plan and a missing one take the same path (and the same time) to None."""
    query = (
        select(Plan)
        .where(Plan.id == plan_id, visible_clause(user))
        .options(
            selectinload(Plan.team),
            selectinload(Plan.sites),
            selectinload(Plan.target_units),
            selectinload(Plan.rechecks),
        )
    )
    return db.session.scalar(query)


def get_visible_plan(user: User, plan_id: uuid.UUID) -> Plan:
    plan = load_plan(plan_id, user)
    if plan is None:
        raise not_found(NOT_FOUND)
    return plan


def get_managed_plan(user: User, plan_id: uuid.UUID) -> Plan:
    plan = get_visible_plan(user, plan_id)
    if not can_manage(user, plan):
        raise ApiError(403, "forbidden", "只有本督查室的督查人员可以修改此计划")
    return plan


def audit_plan_read(plan_id, user: User, via: str) -> None:
    """Every read of a plan's details is audited: API, console page or a device's pull."""
    record_read("plan.viewed", "plan", plan_id, user.id, via=via)
