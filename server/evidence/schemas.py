"""What devices push for photo records (updates are partial)."""

from __future__ import annotations

from marshmallow import fields, validate

from server.models import LocationSource, PhotoParent
from server.schemas import BaseSchema
from server.sync_api.fields import PHOTO_TYPES, Accuracy, Lat, Lon, _choice


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
