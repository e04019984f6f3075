"""The map's filters (the dashboard's: period, region, unit, plan, kind) and its layers."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.models import PlanKind
from server.schemas import BaseSchema

LAYERS = ("site", "visit", "finding", "item")


class MapArgsSchema(BaseSchema):
    date_from = fields.Date(metadata={"description": "Period start (China dates, inclusive)"})
    date_to = fields.Date(metadata={"description": "Period end (inclusive)"})
    region_code = fields.String(
        validate=validate.Regexp(r"^\d{2,12}$"),
        metadata={"description": "A region code or its prefix (县 522730, 乡镇 522730101)"},
    )
    unit_id = fields.UUID(metadata={"description": "责任单位"})
    plan_id = fields.UUID(metadata={"description": "A plan the reader may see"})
    kind = fields.String(validate=validate.OneOf([k.value for k in PlanKind]))
    layers = fields.List(fields.String(validate=validate.OneOf(LAYERS)))

    @validates_schema
    def period_in_order(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError("开始日期不能晚于结束日期", "date_to")
