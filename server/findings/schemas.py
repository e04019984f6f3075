"""Findings: what devices push (updates are partial) and pull, and the office's triage
queue (问题分办)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.models import PlanKind, Severity, TriageStatus
from server.schemas import BaseSchema, PlanRefSchema
from server.sync_api.fields import Accuracy, FieldRecordFields, Lat, Lon, _choice

ANY_STATUS = "all"  # the triage list's every status at once (the dashboards' links)


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


class FindingQueueItemSchema(FindingData):
    """A finding in the office's triage queue."""

    class Meta(BaseSchema.Meta):
        exclude = ("plan_id", "visit_id", "lat", "lon", "accuracy_m")

    id = fields.UUID()
    plan = fields.Nested(PlanRefSchema)
    inspector = fields.String(attribute="created_by.display_name")
    triage_status = fields.String()
    triage_reason = fields.String()
    merged_into_id = fields.UUID(allow_none=True)
    photo_count = fields.Integer()
    flags = fields.List(fields.String(), attribute="photo_flags")


class FindingQueueSchema(BaseSchema):
    items = fields.List(fields.Nested(FindingQueueItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class TriageArgsSchema(BaseSchema):
    status = fields.String(
        validate=validate.OneOf([s.value for s in TriageStatus] + [ANY_STATUS]),
        metadata={"description": "a triage status, or `all` (default: pending)"},
    )
    plan_id = fields.UUID()
    severity = fields.String(validate=_choice(Severity))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    # The dashboards' drill-down (docs/dashboards.md). Days are China Standard Time.
    observed_from = fields.Date()
    observed_to = fields.Date()
    plan_kind = fields.String(validate=_choice(PlanKind))
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "text in the finding's title or description, its site or plan"},
    )

    @validates_schema
    def observed_range(self, data, **kwargs):
        start, end = data.get("observed_from"), data.get("observed_to")
        if start and end and start > end:
            raise ValidationError("结束日期不能早于开始日期", "observed_to")


class MergeSchema(BaseSchema):
    into_id = fields.UUID(required=True)
