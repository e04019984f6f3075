"""Route guards for the JSON API (bearer tokens only).

An account that must change its password (a new account, an admin's reset) may, until it
has, only do that: every route answers 403 `password_change_required` except those
marked `before_password_change` — its own login and password (ANYONE) and, for an
inspector, sync and photo uploads (FIELD_DATA): what a phone recorded offline must
reach the server whatever happened to the password meanwhile."""

from __future__ import annotations

from functools import wraps

from flask_jwt_extended import current_user, verify_jwt_in_request

from server.errors import ApiError
from server.models import Role
from server.schemas import ErrorSchema

BEARER = [{"bearerAuth": []}]
ANYONE = frozenset(Role)
FIELD_DATA = frozenset({Role.inspector})
PASSWORD_CHANGE_REQUIRED = "请先修改密码:管理员设置的密码只能用于登录后立即修改"


def api_login_required(
    blp,
    *roles: Role,
    refresh: bool = False,
    any_token: bool = False,
    before_password_change: frozenset = frozenset(),
):
    """Require a valid bearer token (and one of `roles`, when given); document it.

    `any_token` accepts an access or a refresh token (logout works with either).
    `before_password_change`: the roles that may use the route while their account must
    still change its password."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request(locations=["headers"], refresh=refresh, verify_type=not any_token)
            if roles and current_user.role not in roles:
                raise ApiError(403, "forbidden_role", "当前角色无权执行此操作")
            if (
                current_user.must_change_password
                and current_user.role not in before_password_change
            ):
                raise ApiError(403, "password_change_required", PASSWORD_CHANGE_REQUIRED)
            return view(*args, **kwargs)

        documented = blp.alt_response(
            401, schema=ErrorSchema, description="Missing, invalid or revoked token"
        )(blp.doc(security=BEARER)(guarded))
        if roles:
            documented = blp.alt_response(403, schema=ErrorSchema, description="Role not allowed")(
                documented
            )
        return documented

    return decorator
