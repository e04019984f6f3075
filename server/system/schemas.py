from marshmallow import fields

from server.schemas import BaseSchema


class HealthSchema(BaseSchema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    server_time = fields.DateTime(required=True)


class SettingSchema(BaseSchema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    doc = fields.String(required=True)
    source = fields.String(required=True)
    default = fields.Raw(required=True)
    value = fields.Raw(required=True)
    overridden = fields.Boolean(required=True)
    origin = fields.String(
        required=True,
        metadata={"description": "Where the value comes from: database, environment, default."},
    )
    integer = fields.Boolean(required=True, metadata={"description": "Whole numbers only."})
    minimum = fields.Float(required=True)
    maximum = fields.Float(required=True)
    env = fields.String(required=True, metadata={"description": "The environment variable."})


class SettingUpdateSchema(BaseSchema):
    value = fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": "New value; null returns to the default."},
    )


class BrokenLinkSchema(BaseSchema):
    chain_seq = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    reason = fields.String(required=True)


class ChainCheckSchema(BaseSchema):
    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True)
    broken = fields.Nested(BrokenLinkSchema, allow_none=True, required=True)
