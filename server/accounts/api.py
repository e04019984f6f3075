"""/api/users: account management for admins."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.accounts import operations
from server.accounts.schemas import (
    LoginUnlockSchema,
    PasswordResetSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from server.auth.guards import api_login_required
from server.models import Role
from server.schemas import ErrorSchema

blp = Blueprint("accounts", __name__, url_prefix="/api/users", description="用户管理(管理员)")


@blp.route("")
@api_login_required(blp, Role.admin)
@blp.response(200, UserSchema(many=True))
def list_users():
    """All accounts."""
    return operations.list_users()


@blp.route("", methods=["POST"])
@api_login_required(blp, Role.admin)
@blp.arguments(UserCreateSchema)
@blp.response(201, UserCreatedSchema)
def create_user(body):
    """Create an account. Without `password`, a one-time password is generated and
    returned once (`one_time_password`). Either way the new account must change its
    password at first login (`must_change_password`)."""
    user, password = operations.create_user(body, current_user)
    return {name: getattr(user, name) for name in UserSchema().fields} | {
        "one_time_password": password
    }


@blp.route("/<uuid:user_id>", methods=["PATCH"])
@api_login_required(blp, Role.admin)
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(body, user_id: uuid.UUID):
    """Change an account; `active: false` rejects all its tokens at once. A `password`
    set here must be changed by the account at its next login."""
    return operations.update_user(user_id, body, current_user)


@blp.route("/<uuid:user_id>/reset-password", methods=["POST"])
@api_login_required(blp, Role.admin)
@blp.response(200, PasswordResetSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such user")
@blp.alt_response(409, schema=ErrorSchema, description="self_lockout: one's own account")
def reset_password(user_id: uuid.UUID):
    """A new one-time password for the account, returned once: its logins end, its
    failed-login limits are lifted, and it must change the password at its next login.
    Audited (without the password)."""
    user, password = operations.reset_password(user_id, current_user)
    return {"user_id": user.id, "username": user.username, "one_time_password": password}


@blp.route("/<uuid:user_id>/unlock-login", methods=["POST"])
@api_login_required(blp, Role.admin)
@blp.response(200, LoginUnlockSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such user")
def unlock_login(user_id: uuid.UUID):
    """Lift the failed-login limits (429) on an account: its failed attempts are
    forgotten, for the account and for the addresses they came from. Audited."""
    return operations.unlock_login(user_id, current_user)
