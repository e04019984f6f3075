"""Who may see and manage a plan. The one place that decides it, for the API, the console
and the figures.

Until its findings are issued a plan is visible only to admins, the supervisors of its
office, and — once approved — its team and its leader. Issuing findings does not open the
plan to the inspected units: they see the items issued to them, never the plan. Anyone
else is told the plan does not exist, exactly as for an id that was never used."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from server.audit import record_read
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import Plan, PlanStatus, Role, User, plan_member

NOT_FOUND = "督查计划不存在"


def can_see(user: User, plan: Plan) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.supervisor and plan.office_unit_id == user.unit_id:
        return True
    if plan.status == PlanStatus.draft:
        return False
    return plan.leader_id == user.id or any(m.id == user.id for m in plan.team)


def can_manage(user: User, plan: Plan) -> bool:
    return user.role == Role.supervisor and plan.office_unit_id == user.unit_id


def visible_clause(user: User):
    if user.role == Role.admin:
        return Plan.id.is_not(None)
    on_team = exists().where(plan_member.c.plan_id == Plan.id, plan_member.c.user_id == user.id)
    clause = (Plan.status != PlanStatus.draft) & or_(on_team, Plan.leader_id == user.id)
    if user.role == Role.supervisor:
        clause = or_(clause, Plan.office_unit_id == user.unit_id)
    return clause


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
