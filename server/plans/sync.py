"""Plans and their sites as devices pull them: a plan reaches its team's devices while it
can be worked on; its sites with it."""

from __future__ import annotations

from sqlalchemy import select

from server.models import Plan, Role, Site
from server.plans.access import (
    assigned_site,
    device_audience,
    device_clause,
    reaches_device,
    site_device_audience,
    site_reaches_device,
)
from server.plans.schemas import PlanDeviceSchema, SiteDeviceSchema
from server.sync_api.reference import SimpleHandler


class PlanHandler(SimpleHandler):
    name, model, pulled = "plan", Plan, PlanDeviceSchema

    def visible(self, session, principal, record):
        return reaches_device(principal.user, record)

    def audience(self, session, record):
        return device_audience(record)

    def snapshot(self, session, principal, after, limit):
        return self._page(session, select(Plan).where(device_clause(principal.user)), after, limit)


class SiteHandler(SimpleHandler):
    name, model, pulled = "site", Site, SiteDeviceSchema

    def is_deleted(self, record):
        return not record.active

    def visible(self, session, principal, record):
        user = principal.user
        if user.role in (Role.admin, Role.supervisor):
            return True
        return site_reaches_device(session, user, record)

    def audience(self, session, record):
        return site_device_audience(session, record)

    def snapshot(self, session, principal, after, limit):
        user = principal.user
        query = select(Site).where(Site.active)
        if user.role not in (Role.admin, Role.supervisor):
            query = query.where(assigned_site(Site.id, user.id))
        return self._page(session, query, after, limit)
