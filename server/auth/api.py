"""/api/auth/* and /api/me: thin routes over auth operations."""

from __future__ import annotations

from flask import g, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth import operations
from server.auth.guards import ANYONE, api_login_required
from server.auth.schemas import (
    LoginResultSchema,
    LoginSchema,
    MeSchema,
    PasswordChangeSchema,
    RefreshResultSchema,
)
from server.auth.tokens import issue_tokens
from server.glossary import ROLES
from server.models import Role, User
from server.schemas import ErrorSchema

blp = Blueprint("auth", __name__, url_prefix="/api", description="登录、令牌与当前用户")


def start_page(role: Role) -> str:
    return "/" if role == Role.inspector else "/console/"


def describe_user(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "role_label": ROLES[user.role],
        "unit_id": user.unit_id,
        "unit_name": user.unit.name,
        "unit": user.unit,
        "active": user.active,
        "start_page": start_page(user.role),
        "must_change_password": user.must_change_password,
    }


def begins_deferred(view):
    """SQLite: this writing view's transaction begins deferred (no write lock); the
    operation takes the lock itself when it starts writing (server/database.py)."""
    view.begins_deferred = True
    return view


@blp.route("/auth/login", methods=["POST"])
@begins_deferred  # the password is checked before the write lock is taken
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
@blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password")
@blp.alt_response(
    429,
    schema=ErrorSchema,
    description="Too many failed attempts (per username and address, per username, or per "
    "address); see Retry-After. Nothing is written for a refused attempt.",
    headers={"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
)
def login(body):
    """Log in with username and password; returns bearer tokens.

    Failed attempts are limited within a window: per username and client address, per
    username over all addresses, and per address; the last two do not refuse an account
    at an address it logged in from recently. An admin lifts the limits on an account with
    `POST /api/users/{user_id}/unlock-login`.

    `must_change_password`: the account must change its password (`POST /api/me/password`)
    before anything else; until then other routes answer 403 `password_change_required`,
    except an inspector's sync and uploads."""
    session = operations.log_in(
        body["username"], body["password"], request.headers.get("User-Agent")
    )
    user = describe_user(session.user)
    return {
        **issue_tokens(session),
        "user": user,
        "must_change_password": user["must_change_password"],
    }


@blp.route("/auth/refresh", methods=["POST"])
@api_login_required(blp, refresh=True, before_password_change=ANYONE)
@blp.response(200, RefreshResultSchema)
def refresh():
    """Exchange a refresh token (as the bearer) for a new access token."""
    return {
        **issue_tokens(g.auth_session, refresh=False),
        "must_change_password": current_user.must_change_password,
    }


@blp.route("/auth/logout", methods=["POST"])
@api_login_required(blp, any_token=True, before_password_change=ANYONE)
@blp.response(204)
def logout():
    """Revoke this login session: its access and refresh tokens stop working."""
    operations.log_out(g.auth_session)


@blp.route("/me")
@api_login_required(blp, before_password_change=ANYONE)
@blp.response(200, MeSchema)
def me():
    """The user behind the token."""
    return describe_user(current_user)


@blp.route("/me/password", methods=["POST"])
@begins_deferred
@api_login_required(blp, before_password_change=ANYONE)
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(422, schema=ErrorSchema, description="当前密码不正确或新密码不符合要求")
def change_password(body):
    """Change one's own password (the current one required). Every other login session
    of the user ends; this one stays. Clears `must_change_password`."""
    operations.change_own_password(
        current_user.id, g.auth_session.id, body["old_password"], body["new_password"]
    )
