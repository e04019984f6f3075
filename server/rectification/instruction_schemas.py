"""Requests and responses of /api/instructions (leaders' 批示)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from server.rectification.schemas import MAX_TEXT, _text
from server.schemas import BaseSchema


class InstructionCreateSchema(BaseSchema):
    rectification_id = fields.UUID(metadata={"description": "整改事项(与 finding_id 二选一)"})
    finding_id = fields.UUID(metadata={"description": "问题(与 rectification_id 二选一)"})
    text = _text(required=True, minimum=2, maximum=MAX_TEXT)

    @validates_schema
    def one_subject(self, data, **kwargs):
        if ("rectification_id" in data) == ("finding_id" in data):
            raise ValidationError("请指定批示的整改事项或问题(二选一)", "rectification_id")


class InstructionAnswerSchema(BaseSchema):
    answer = _text(required=True, minimum=2, maximum=MAX_TEXT)


class WrittenSchema(BaseSchema):
    """A 批示 as its author lists it."""

    id = fields.UUID()
    text = fields.String()
    state = fields.String(metadata={"description": "open | overdue | answered"})
    due_date = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    answer = fields.String()
    answered_at = fields.DateTime(allow_none=True)
    rectification_id = fields.Function(lambda row: str(row["item"].id) if row["item"] else None)
    code = fields.Function(lambda row: row["item"].code if row["item"] else None)
    finding_title = fields.String(allow_none=True)


class WrittenPageSchema(BaseSchema):
    items = fields.List(fields.Nested(WrittenSchema))
