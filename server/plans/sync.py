"""Plans and their sites as devices pull them: a plan reaches its team's devices while it
can be worked on; its sites with it."""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from server.models import Plan, PlanStatus, Role, Site, plan_member, plan_site
from server.sync_api.principal import ADMINS, SUPERVISORS, office_tag, user_tag
from server.sync_api.reference import SimpleHandler

# A plan reaches its team's devices while it can be worked on.
LIVE = (PlanStatus.approved, PlanStatus.active)


def plan_visible(user, plan: Plan) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.supervisor and plan.office_unit_id == user.unit_id:
        return True
    return plan.status in LIVE and any(member.id == user.id for member in plan.team)


def plan_audience(plan: Plan) -> set[str]:
    return {ADMINS, office_tag(plan.office_unit_id)} | {user_tag(m.id) for m in plan.team}


class PlanHandler(SimpleHandler):
    name, model = "plan", Plan

    def is_deleted(self, record):
        return False

    def visible(self, session, principal, record):
        return plan_visible(principal.user, record)

    def audience(self, session, record):
        return frozenset(plan_audience(record))

    def serialize(self, plan):
        return {
            "code": plan.code,
            "title": plan.title,
            "matter": plan.matter,
            "mode": plan.mode.value,
            "kind": plan.kind.value,
            "status": plan.status.value,
            "window_start": plan.window_start.isoformat(),
            "window_end": plan.window_end.isoformat(),
            "site_ids": [str(s.id) for s in plan.sites],
            "team_ids": [str(u.id) for u in plan.team],
        }

    def snapshot(self, session, principal, after, limit):
        return self._page(
            session, select(Plan).where(visible_plans_clause(principal.user)), after, limit
        )


def visible_plans_clause(user):
    if user.role == Role.admin:
        return Plan.id.is_not(None)
    on_team = exists().where(plan_member.c.plan_id == Plan.id, plan_member.c.user_id == user.id)
    clause = Plan.status.in_(LIVE) & on_team
    if user.role == Role.supervisor:
        clause = or_(clause, Plan.office_unit_id == user.unit_id)
    return clause


def assigned_site(site_id, user_id):
    """The site is in a live plan whose team includes the user."""
    return exists().where(
        plan_site.c.site_id == site_id,
        plan_site.c.plan_id == plan_member.c.plan_id,
        plan_member.c.user_id == user_id,
        plan_member.c.plan_id == Plan.id,
        Plan.status.in_(LIVE),
    )


class SiteHandler(SimpleHandler):
    name, model = "site", Site

    def is_deleted(self, record):
        return not record.active

    def visible(self, session, principal, record):
        user = principal.user
        if user.role in (Role.admin, Role.supervisor):
            return True
        return session.scalar(select(assigned_site(record.id, user.id)))

    def audience(self, session, record):
        members = session.scalars(
            select(plan_member.c.user_id)
            .join(plan_site, plan_site.c.plan_id == plan_member.c.plan_id)
            .join(Plan, Plan.id == plan_site.c.plan_id)
            .where(plan_site.c.site_id == record.id, Plan.status.in_(LIVE))
        )
        return frozenset({ADMINS, SUPERVISORS} | {user_tag(m) for m in members})

    def serialize(self, site):
        return {
            "name": site.name,
            "address": site.address,
            "lat": site.lat,
            "lon": site.lon,
            "radius_m": site.radius_m,
            "unit_id": str(site.unit_id),
            "region_code": site.region_code,
        }

    def snapshot(self, session, principal, after, limit):
        user = principal.user
        query = select(Site).where(Site.active)
        if user.role not in (Role.admin, Role.supervisor):
            query = query.where(assigned_site(Site.id, user.id))
        return self._page(session, query, after, limit)
