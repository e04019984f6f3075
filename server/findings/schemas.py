"""Findings: what devices push (updates are partial) and pull."""

from __future__ import annotations

from marshmallow import fields, validate

from server.models import Severity
from server.schemas import BaseSchema
from server.sync_api.fields import Accuracy, FieldRecordFields, Lat, Lon, _choice


class FindingData(BaseSchema):
    plan_id = fields.UUID(required=True)
    site_id = fields.UUID(allow_none=True)
    visit_id = fields.UUID(allow_none=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    severity = fields.String(required=True, validate=_choice(Severity))
    unit_id = fields.UUID(allow_none=True)
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy
    observed_at = fields.AwareDateTime(required=True)


class FindingRecord(FindingData, FieldRecordFields):
    """A finding as devices pull it."""

    locked = fields.Boolean()
