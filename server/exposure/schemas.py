"""Forms of the exposure pages, loaded through marshmallow."""

from __future__ import annotations

from marshmallow import fields, validate

from server.schemas import BaseSchema

COORD = validate.Range(min=0, max=100_000, error="请填写 0 到 100000 之间的整数")


class CreateSchema(BaseSchema):
    photo_id = fields.UUID(required=True)


class BoxSchema(BaseSchema):
    """A blur box in pixels of the photo's public copy."""

    x = fields.Integer(required=True, validate=COORD)
    y = fields.Integer(required=True, validate=COORD)
    w = fields.Integer(required=True, validate=COORD)
    h = fields.Integer(required=True, validate=COORD)
