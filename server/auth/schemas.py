from marshmallow import ValidationError, fields, validate, validates_schema

from server.auth.passwords import PasswordRules
from server.schemas import BaseSchema, RefSchema


class LoginSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class PasswordChangeSchema(BaseSchema):
    old_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )
    new_password = fields.String(
        required=True,
        load_only=True,
        validate=PasswordRules("新密码"),
    )

    @validates_schema
    def differs(self, data, **kwargs):
        if data.get("old_password") and data.get("old_password") == data.get("new_password"):
            raise ValidationError("新密码不能与当前密码相同", "new_password")


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
    must_change_password = fields.Boolean(
        metadata={"description": "The password must be changed before anything else."}
    )


class LoginResultSchema(BaseSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    user = fields.Nested(MeSchema, required=True)
    must_change_password = fields.Boolean(required=True)


class RefreshResultSchema(BaseSchema):
    access_token = fields.String(required=True)
    must_change_password = fields.Boolean(required=True)
