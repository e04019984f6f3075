from marshmallow import fields, validate

from server.schemas import BaseSchema, RefSchema


class LoginSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class UnitRefSchema(RefSchema):
    code = fields.String()
    region_code = fields.String()


class MeSchema(BaseSchema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    role_label = fields.String()
    unit_id = fields.UUID()
    unit_name = fields.String()
    unit = fields.Nested(UnitRefSchema)
    active = fields.Boolean()
    start_page = fields.String(metadata={"description": "Where this role lands after login."})


class LoginResultSchema(BaseSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    user = fields.Nested(MeSchema, required=True)


class RefreshResultSchema(BaseSchema):
    access_token = fields.String(required=True)
