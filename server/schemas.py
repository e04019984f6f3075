"""Shared schema base: unknown fields are refused (no mass assignment)."""

from marshmallow import RAISE, Schema, fields

import server.messages  # noqa: F401  (Chinese validation messages)


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class ErrorBodySchema(BaseSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorSchema(BaseSchema):
    error = fields.Nested(ErrorBodySchema, required=True)
