from marshmallow import ValidationError, fields, validate, validates_schema

from server.schemas import BaseSchema
from server.workdays.calendar import MAX_DAYS


class AddWorkingDaysArgs(BaseSchema):
    start = fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})
    days = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_DAYS))


class WorkingDateSchema(BaseSchema):
    date = fields.Date(required=True)
    confirmed = fields.Boolean(
        required=True,
        metadata={"description": "false: a year on the way has no imported schedule yet"},
    )


class NamedDaySchema(BaseSchema):
    date = fields.Date(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=60))


class YearImportSchema(BaseSchema):
    """A year's State Council schedule: the holidays (放假) and the adjusted working days
    (调休上班). Other days follow the week."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    holidays = fields.List(
        fields.Nested(NamedDaySchema), required=True, validate=validate.Length(max=120)
    )
    workdays = fields.List(
        fields.Nested(NamedDaySchema), load_default=list, validate=validate.Length(max=60)
    )

    @validates_schema
    def days_fit_the_year(self, data, **kwargs):
        errors = {}
        for key in ("holidays", "workdays"):
            outside = [d["date"].isoformat() for d in data[key] if d["date"].year != data["year"]]
            if outside:
                errors[key] = [f"日期不在 {data['year']} 年内:{', '.join(outside)}"]
        for key in ("holidays", "workdays"):
            days = [d["date"] for d in data[key]]
            twice = sorted({d.isoformat() for d in days if days.count(d) > 1})
            if twice:
                errors.setdefault(key, []).append(f"日期重复:{', '.join(twice)}")
        weekdays = [d["date"].isoformat() for d in data["workdays"] if d["date"].weekday() < 5]
        if weekdays:
            errors.setdefault("workdays", []).append(
                f"调休上班日应为周六或周日:{', '.join(weekdays)}"
            )
        both = {d["date"] for d in data["holidays"]} & {d["date"] for d in data["workdays"]}
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            errors.setdefault("workdays", []).append(f"同一天不能既放假又上班:{listed}")
        if errors:
            raise ValidationError(errors)


class YearSummarySchema(BaseSchema):
    year = fields.Integer()
    source = fields.String(metadata={"description": "imported, package or none"})
    holidays = fields.Integer()
    workdays = fields.Integer()
    note = fields.String()
    imported_at = fields.DateTime(allow_none=True, metadata={"description": "imported only"})
    imported_by = fields.String(
        allow_none=True, metadata={"description": "who imported it; null from the CLI"}
    )
