from marshmallow import fields, validate

from server.auth.passwords import MIN_PASSWORD_LENGTH
from server.models import Role
from server.schemas import BaseSchema, UpdateSchema

ROLES = [r.value for r in Role]
USERNAME = validate.Regexp(
    r"^[A-Za-z0-9_.-]{3,64}$", error="用户名须为 3–64 位字母、数字、下划线、点或连字符"
)


class UserSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    unit_id = fields.UUID(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserCreateSchema(BaseSchema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256)
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    unit_id = fields.UUID(required=True)


class UserUpdateSchema(UpdateSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=64))
    password = fields.String(
        load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256)
    )
    role = fields.String(validate=validate.OneOf(ROLES))
    unit_id = fields.UUID()
    active = fields.Boolean()


class LoginUnlockSchema(BaseSchema):
    user_id = fields.UUID(required=True)
    username = fields.String(required=True)
    cleared_failures = fields.Integer(
        required=True, metadata={"description": "Failed login attempts forgotten."}
    )
