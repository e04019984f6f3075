"""What the clue forms and filters accept (the console's pages and the import load rows
through the same schemas): one validation system, messages in Chinese."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from server import regions
from server.glossary import CLUE_OUTCOMES, CLUE_SOURCES, CLUE_STATUSES
from server.schemas import BaseSchema
from server.timeutil import local_today

SUMMARY_MAX = 4000
REPLY_MAX = 2000
NOTE_MAX = 1000
SOURCE_REF_MAX = 60
PLACE_MAX = 200


def _text(required=False, minimum=0, maximum=SUMMARY_MAX, **kw):
    return fields.String(
        required=required, validate=validate.Length(min=minimum, max=maximum), **kw
    )


def not_future(value) -> None:
    if value > local_today():
        raise ValidationError("受理日期不能晚于今天")


class ClueSchema(BaseSchema):
    """A clue as filed or edited. Coordinates come in pairs; a region code is a county,
    township or village code."""

    source = fields.String(required=True, validate=validate.OneOf(list(CLUE_SOURCES)))
    source_ref = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=SOURCE_REF_MAX)
    )
    received_on = fields.Date(required=True, validate=not_future)
    summary = _text(required=True, minimum=5)
    place = _text(maximum=PLACE_MAX, load_default="")
    site_id = fields.UUID(load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    region_code = fields.String(load_default=None, allow_none=True)
    unit_id = fields.UUID(load_default=None, allow_none=True)
    topic_id = fields.UUID(load_default=None, allow_none=True)
    reporter_name = _text(maximum=60, load_default="")
    reporter_contact = _text(maximum=120, load_default="")

    @validates("region_code")
    def _region(self, value, **kwargs):
        if value and not regions.is_region_code(value):
            raise ValidationError(regions.ERROR)

    @validates("source_ref")
    def _ref(self, value, **kwargs):
        if value is not None and value != value.strip():
            raise ValidationError("来源编号前后不能有空格")

    @validates_schema
    def _pairs(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("经度和纬度须同时填写", "lat")
        if not (data.get("place") or data.get("site_id") or data.get("lat") is not None):
            raise ValidationError("请填写地点,或选择点位,或填写坐标", "place")


class ClueUpdateSchema(ClueSchema):
    version = fields.Integer(required=True)


class MergeSchema(BaseSchema):
    into_id = fields.UUID(required=True)


class RejectSchema(BaseSchema):
    reason = _text(required=True, minimum=2, maximum=NOTE_MAX)
    reply = _text(maximum=REPLY_MAX, load_default="")


class ForwardSchema(BaseSchema):
    unit_id = fields.UUID(required=True)
    working_days = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 60)
    )
    note = _text(maximum=NOTE_MAX, load_default="")


class AnswerSchema(BaseSchema):
    answer = _text(required=True, minimum=2, maximum=REPLY_MAX)


class PlanLinkSchema(BaseSchema):
    plan_id = fields.UUID(required=True)
    site_id = fields.UUID(load_default=None, allow_none=True)


class CloseSchema(BaseSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(list(CLUE_OUTCOMES)))
    reply = _text(required=True, minimum=2, maximum=REPLY_MAX)


class ListArgsSchema(BaseSchema):
    """The register's filters."""

    q = fields.String(validate=validate.Length(max=100))
    source = fields.String(validate=validate.OneOf(list(CLUE_SOURCES)))
    # counted: all but merged duplicates, as the dashboard counts clues
    status = fields.String(validate=validate.OneOf([*CLUE_STATUSES, "open", "overdue", "counted"]))
    topic_id = fields.UUID()
    unit_id = fields.UUID()
    region_code = fields.String(validate=validate.Length(max=12))
    received_from = fields.Date()
    received_to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
