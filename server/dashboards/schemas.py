"""The dashboards' filters (the one marshmallow load of /console/dashboard's query string)."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from server.models import PlanKind
from server.schemas import BaseSchema

MAX_SPAN_DAYS = 2 * 366  # the period: at most about two years of weeks


class DashboardArgsSchema(BaseSchema):
    date_from = fields.Date(metadata={"description": "period start (China day)"})
    date_to = fields.Date(metadata={"description": "period end, included"})
    region_code = fields.String(
        validate=validate.Regexp(r"^\d{2,12}$", error="区域代码应为2至12位数字")
    )
    unit_id = fields.UUID()
    plan_id = fields.UUID(metadata={"description": "Office only"})
    kind = fields.String(
        validate=validate.OneOf([k.value for k in PlanKind]),
        metadata={"description": "Office only: the kind of plan"},
    )

    @validates_schema
    def period(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise ValidationError("结束日期不能早于开始日期", "date_to")
            if end - start > timedelta(days=MAX_SPAN_DAYS):
                raise ValidationError("统计期间最长两年", "date_from")
