"""Photo records: what devices push (updates are partial) and pull."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from server.models import ContentStatus, LocationSource, PhotoParent
from server.schemas import BaseSchema
from server.sync_api.fields import (
    PHOTO_TYPES,
    Accuracy,
    FieldRecordFields,
    Lat,
    Lon,
    _choice,
)


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

    @validates("parent_type")
    def _not_a_clue(self, value, **kwargs):
        # A clue's attachments are the office's alone and come through the console only.
        if value == PhotoParent.clue:
            raise ValidationError("线索附件不能从设备提交")


class PhotoRecord(PhotoData, FieldRecordFields):
    """A photo record as devices pull it, with what the server found in its content."""

    content_status = fields.String()
    content_error = fields.String(allow_none=True)
    exif_lat = fields.Float(allow_none=True)
    exif_lon = fields.Float(allow_none=True)
    exif_taken_at = fields.String(allow_none=True)  # as in the file; may be naive
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    distance_to_site_m = fields.Method("_truth_distance")
    flags = fields.Method("_truth_flags")

    # A unit's progress photo goes to the unit too: the office's checks on it stay with
    # the office (see rectification.views.progress_reports).
    def _truth_distance(self, photo):
        return None if _office_only(photo) else photo.distance_to_site_m

    def _truth_flags(self, photo):
        return [] if _office_only(photo) else list(photo.flags or [])


def _office_only(photo) -> bool:
    return photo.parent_type == PhotoParent.progress_report


class EvidenceArgsSchema(BaseSchema):
    """The evidence page's filters (/console/evidence). Days are China Standard Time."""

    plan_id = fields.UUID()
    site_id = fields.UUID()
    unit_id = fields.UUID()
    parent_type = fields.String(validate=_choice(PhotoParent))
    content_status = fields.String(validate=_choice(ContentStatus))
    captured_from = fields.Date()
    captured_to = fields.Date()
    q = fields.String(validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

    @validates_schema
    def day_range(self, data, **kwargs):
        start, end = data.get("captured_from"), data.get("captured_to")
        if start and end and start > end:
            raise ValidationError("结束日期不能早于开始日期", "captured_to")
