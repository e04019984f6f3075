"""Forms and filters of the negative list, loaded by marshmallow as the rest of the app."""

from __future__ import annotations

from datetime import date

from marshmallow import ValidationError, fields, post_load, validate

from server.glossary import POINTS_RULES
from server.points.queries import OBJECTION_FILTERS
from server.schemas import BaseSchema
from server.timeutil import local_today

REASON_MAX = 2000
_MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM")


def _reason(**kw):
    return fields.String(required=True, validate=validate.Length(min=2, max=REASON_MAX), **kw)


def not_future(value: date) -> None:
    if value > local_today():
        raise ValidationError("日期不能晚于今天")


class ManualEntrySchema(BaseSchema):
    unit_id = fields.UUID(required=True)
    points = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=0, min_inclusive=False, error="扣分须大于 0"),
        metadata={"description": "扣分分值(正数)"},
    )
    occurred_on = fields.Date(required=True, validate=not_future)
    rectification_id = fields.UUID(allow_none=True)
    reason = _reason()


class ObjectionSchema(BaseSchema):
    objection = _reason()


class DecisionSchema(BaseSchema):
    upheld = fields.Boolean(required=True)
    decision_reason = _reason()


class ListArgsSchema(BaseSchema):
    unit_id = fields.UUID()
    rule = fields.String(validate=validate.OneOf(list(POINTS_RULES)))
    month = fields.String(validate=_MONTH)
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    objection = fields.String(validate=validate.OneOf(list(OBJECTION_FILTERS)))

    @post_load
    def _month(self, data, **_kw):
        if data.get("month"):
            year, month = data["month"].split("-")
            data["month"] = date(int(year), int(month), 1)
        return data
