"""Handlers the domains build on, and the reference data every device pulls: categories
and units (open to every signed-in device)."""

from __future__ import annotations

from sqlalchemy import select

from server.models import Category, Unit
from server.sync_api.principal import ALL
from sync import EntityHandler


class SimpleHandler(EntityHandler):
    model = None

    def load(self, session, record_id):
        return session.get(self.model, record_id)

    def load_many(self, session, ids):
        rows = session.scalars(select(self.model).where(self.model.id.in_(ids)))
        return {row.id: row for row in rows}

    def _page(self, session, query, after, limit):
        if after is not None:
            query = query.where(self.model.id > after)
        return list(session.scalars(query.order_by(self.model.id).limit(limit)))


class OpenReferenceHandler(SimpleHandler):
    """Reference data every user may see; deactivated rows leave devices."""

    def is_deleted(self, record):
        return not record.active

    def visible(self, session, principal, record):
        return True

    def audience(self, session, record):
        return frozenset({ALL})

    def snapshot(self, session, principal, after, limit):
        return self._page(session, select(self.model).where(self.model.active), after, limit)


class CategoryHandler(OpenReferenceHandler):
    name, model = "category", Category

    def serialize(self, record):
        return {"code": record.code, "name": record.name, "sort_order": record.sort_order}


class UnitHandler(OpenReferenceHandler):
    name, model = "unit", Unit

    def serialize(self, record):
        return {
            "name": record.name,
            "code": record.code,
            "kind": record.kind.value,
            "parent_id": str(record.parent_id) if record.parent_id else None,
            "region_code": record.region_code,
        }
