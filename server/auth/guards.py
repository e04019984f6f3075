"""Route guards for the JSON API (bearer tokens only)."""

from __future__ import annotations

from functools import wraps

from flask_jwt_extended import current_user, verify_jwt_in_request

from server.errors import ApiError
from server.models import Role
from server.schemas import ErrorSchema

BEARER = [{"bearerAuth": []}]


def api_login_required(blp, *roles: Role, refresh: bool = False, any_token: bool = False):
    """Require a valid bearer token (and one of `roles`, when given); document it.

    `any_token` accepts an access or a refresh token (logout works with either)."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request(locations=["headers"], refresh=refresh, verify_type=not any_token)
            if roles and current_user.role not in roles:
                raise ApiError(403, "forbidden_role", "当前角色无权执行此操作")
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
