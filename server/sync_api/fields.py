"""Fields shared by what devices push and pull: choices from an enum, coordinates,
accuracy, and the fields every pulled field record carries."""

from __future__ import annotations

from marshmallow import fields, validate

from server.schemas import BaseSchema

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


def _choice(enum_cls):
    return validate.OneOf([e.value for e in enum_cls])


Lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))


Lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))


Accuracy = fields.Float(allow_none=True, validate=validate.Range(0, 100_000))


class FieldRecordFields(BaseSchema):
    """What a pulled field record carries besides the fields its author pushed."""

    created_by = fields.UUID(attribute="created_by_id")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TruthFields(BaseSchema):
    """Server-side field-truth checks (server/evidence/checks.py), shown next to the
    evidence."""

    distance_to_site_m = fields.Float(allow_none=True)
    flags = fields.Function(lambda record: list(record.flags or []))
