"""The bulletin forms' fields (the console loads its forms through these)."""

from __future__ import annotations

from marshmallow import fields, validate

from server.schemas import BaseSchema

MAX_SUMMARY = 4000


class BulletinCreateSchema(BaseSchema):
    month = fields.String(
        required=True,
        validate=validate.Regexp(r"^20\d\d-(0[1-9]|1[0-2])$", error="请选择年月"),
        metadata={"description": "YYYY-MM"},
    )
    doc_number = fields.String(validate=validate.Length(max=40))


class BulletinEditSchema(BaseSchema):
    doc_number = fields.String(required=True, validate=validate.Length(min=2, max=40))
    title = fields.String(required=True, validate=validate.Length(min=2, max=100))
    summary = fields.String(load_default="", validate=validate.Length(max=MAX_SUMMARY))


class TypicalSchema(BaseSchema):
    item_id = fields.UUID(required=True)
    text = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    photo_ids = fields.List(fields.UUID(), load_default=list)
