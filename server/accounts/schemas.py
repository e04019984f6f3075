from marshmallow import fields, validate

from server.auth.passwords import PasswordRules
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
    must_change_password = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserCreatedSchema(UserSchema):
    one_time_password = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Generated when no password was given: shown here once, never "
            "again (only its hash is kept). The user must change it at first login."
        },
    )


class PasswordResetSchema(BaseSchema):
    user_id = fields.UUID(required=True)
    username = fields.String(required=True)
    one_time_password = fields.String(
        required=True, metadata={"description": "Shown here once; never again."}
    )


class UserCreateSchema(BaseSchema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        load_only=True,
        validate=PasswordRules(),
        metadata={"description": "Omitted: a one-time password is generated and returned once."},
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    unit_id = fields.UUID(required=True)


class UserUpdateSchema(UpdateSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=64))
    password = fields.String(load_only=True, validate=PasswordRules())
    role = fields.String(validate=validate.OneOf(ROLES))
    unit_id = fields.UUID()
    active = fields.Boolean()


class ListArgsSchema(BaseSchema):
    q = fields.String(validate=validate.Length(max=64))
    role = fields.String(validate=validate.OneOf(ROLES))
    unit_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(["active", "disabled", "must_change"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LoginUnlockSchema(BaseSchema):
    user_id = fields.UUID(required=True)
    username = fields.String(required=True)
    cleared_failures = fields.Integer(
        required=True, metadata={"description": "Failed login attempts forgotten."}
    )
