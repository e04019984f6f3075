"""Fields shared by what devices push: choices from an enum, coordinates, accuracy."""

from __future__ import annotations

from marshmallow import fields, validate

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


def _choice(enum_cls):
    return validate.OneOf([e.value for e in enum_cls])


Lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))


Lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))


Accuracy = fields.Float(allow_none=True, validate=validate.Range(0, 100_000))
