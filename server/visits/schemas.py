"""Visits and interviews: what devices push (updates are partial) and pull."""

from __future__ import annotations

from marshmallow import fields, validate

from server.models import IntervieweeKind
from server.schemas import BaseSchema
from server.sync_api.fields import (
    Accuracy,
    FieldRecordFields,
    Lat,
    Lon,
    TruthFields,
    _choice,
)


class VisitData(BaseSchema):
    plan_id = fields.UUID(required=True)
    site_id = fields.UUID(required=True)
    arrived_at = fields.AwareDateTime(required=True)
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class InterviewData(BaseSchema):
    visit_id = fields.UUID(required=True)
    interviewee_kind = fields.String(required=True, validate=_choice(IntervieweeKind))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class VisitRecord(VisitData, TruthFields, FieldRecordFields):
    """A check-in as devices pull it."""


class InterviewRecord(InterviewData, FieldRecordFields):
    """An interview as devices pull it."""
