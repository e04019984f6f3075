from marshmallow import fields, validate

from server.schemas import BaseSchema


class MutationSchema(BaseSchema):
    mutation_id = fields.UUID(required=True)
    entity = fields.String(required=True, validate=validate.Length(min=1, max=40))
    op = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    id = fields.UUID(required=True)
    base_version = fields.Integer(load_default=None, allow_none=True, strict=True)
    data = fields.Dict(load_default=dict)
    client_time = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


class PushSchema(BaseSchema):
    device_id = fields.UUID(required=True)
    device_time = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "Optional: the device clock when sending (clock_skew flag)."},
    )
    mutations = fields.List(fields.Nested(MutationSchema), required=True)


class MutationResultSchema(BaseSchema):
    mutation_id = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["applied", "duplicate", "conflict", "rejected"]}
    )
    id = fields.String(required=True)
    version = fields.Integer()
    server = fields.Dict(metadata={"description": "conflict: the current record"})
    errors = fields.Dict(metadata={"description": "rejected: {code, message, fields}"})


class PushResultSchema(BaseSchema):
    results = fields.List(fields.Nested(MutationResultSchema), required=True)
    server_time = fields.DateTime(required=True)


class PullArgsSchema(BaseSchema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=4000))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1))


class ChangeSchema(BaseSchema):
    entity = fields.String(required=True)
    id = fields.String(required=True)
    op = fields.String(required=True, metadata={"enum": ["upsert", "delete"]})
    version = fields.Integer()
    data = fields.Dict()


class PullResultSchema(BaseSchema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
