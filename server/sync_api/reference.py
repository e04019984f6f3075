"""Handlers the domains build on, and the reference data every device pulls: categories
and units (open to every signed-in device)."""

from __future__ import annotations

from marshmallow import fields
from sqlalchemy import select

from server.models import Category, Unit
from server.schemas import BaseSchema
from server.sync_api.principal import ALL
from sync import EntityHandler


class SimpleHandler(EntityHandler):
    model = None
    # The schema of the pulled form: a member of the entity's schema family, dumping the
    # ORM object (one instance per handler: building one per record costs more).
    pulled = None

    def serialize(self, record):
        if "_dumper" not in self.__dict__:
            self._dumper = self.pulled()
        return self._dumper.dump(record)

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


class CategoryRecord(BaseSchema):
    code = fields.String()
    name = fields.String()
    sort_order = fields.Integer()


class UnitRecord(BaseSchema):
    name = fields.String()
    code = fields.String()
    kind = fields.String()
    parent_id = fields.UUID(allow_none=True)
    region_code = fields.String()


class CategoryHandler(OpenReferenceHandler):
    name, model, pulled = "category", Category, CategoryRecord


class UnitHandler(OpenReferenceHandler):
    name, model, pulled = "unit", Unit, UnitRecord
