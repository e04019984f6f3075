"""Validation of what devices push (one marshmallow schema per entity; updates are partial)."""

from __future__ import annotations

from marshmallow import fields, validate

from server.models import IntervieweeKind, LocationSource, PhotoParent, Severity
from server.schemas import BaseSchema

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


def _choice(enum_cls):
    return validate.OneOf([e.value for e in enum_cls])


Lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
Lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
Accuracy = fields.Float(allow_none=True, validate=validate.Range(0, 100_000))


class VisitData(BaseSchema):
    plan_id = fields.UUID(required=True)
    site_id = fields.UUID(required=True)
    arrived_at = fields.AwareDateTime(required=True)
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy
    note = fields.String(load_default="", validate=validate.Length(max=2000))


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


class InterviewData(BaseSchema):
    visit_id = fields.UUID(required=True)
    interviewee_kind = fields.String(required=True, validate=_choice(IntervieweeKind))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class PhotoData(BaseSchema):
    parent_type = fields.String(required=True, validate=_choice(PhotoParent))
    parent_id = fields.UUID(required=True)
    sha256 = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error="须为 64 位小写十六进制")
    )
    size_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    mime_type = fields.String(required=True, validate=validate.OneOf(PHOTO_TYPES))
    captured_at = fields.AwareDateTime(required=True)
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy
    location_source = fields.String(load_default="none", validate=_choice(LocationSource))
    capture_source = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["camera", "gallery"])
    )


class VerificationReportData(BaseSchema):
    """The inspector's report on a follow-up visit (回头看); the only fields a device may
    change on a verification."""

    report = fields.String(validate=validate.Length(max=4000))
    opinion = fields.String(allow_none=True, validate=validate.OneOf(["passed", "failed"]))
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy
