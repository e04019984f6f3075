"""Managing accounts (admin)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.audit import record_event
from server.auth.operations import clear_login_failures, revoke_sessions
from server.auth.passwords import hash_password
from server.errors import ApiError, field_error, not_found
from server.extensions import db
from server.models import Role, Unit, User, utcnow


def _unit(unit_id: uuid.UUID) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error("unit_id", "单位不存在或已停用")
    return unit


def create_user(data: dict, actor: User | None) -> User:
    if db.session.scalar(select(User.id).where(User.username == data["username"])):
        raise ApiError(
            409, "username_taken", "用户名已被使用", {"fields": {"username": ["用户名已被使用"]}}
        )
    user = User(
        username=data["username"],
        display_name=data["display_name"],
        password_hash=hash_password(data["password"]),
        role=Role(data["role"]),
        unit=_unit(data["unit_id"]),
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        "user.create",
        "user",
        user.id,
        actor_id=actor.id if actor else None,
        username=user.username,
        role=user.role.value,
    )
    return user


def _user(user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("用户不存在")
    return user


def update_user(user_id: uuid.UUID, changes: dict, actor: User) -> User:
    user = _user(user_id)
    if user.id == actor.id and (
        changes.get("active") is False or changes.get("role", Role.admin) != Role.admin
    ):
        raise ApiError(409, "self_lockout", "不能停用自己或取消自己的管理员角色")
    recorded = {}
    if "unit_id" in changes:
        user.unit = _unit(changes["unit_id"])
        recorded["unit_id"] = str(user.unit.id)
    if "role" in changes:
        user.role = Role(changes["role"])
        recorded["role"] = user.role.value
    if "display_name" in changes:
        user.display_name = recorded["display_name"] = changes["display_name"]
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
        recorded["password"] = "changed"
        revoke_sessions(user.id)
    if "active" in changes and changes["active"] != user.active:
        set_active(user, changes["active"])
        recorded["active"] = user.active
    record_event("user.update", "user", user.id, actor_id=actor.id, **recorded)
    return user


def unlock_login(user_id: uuid.UUID, actor: User) -> dict:
    """Lift the failed-login limits on an account (audited); the failures themselves stay
    in the audit trail."""
    user = _user(user_id)
    cleared = clear_login_failures(user.username)
    record_event(
        "user.unlock_login",
        "user",
        user.id,
        actor_id=actor.id,
        username=user.username,
        cleared_failures=cleared,
    )
    return {"user_id": user.id, "username": user.username, "cleared_failures": cleared}


def set_active(user: User, active: bool) -> None:
    """Disabling rejects every token of the user at once (checked on each request)."""
    user.active = active
    user.disabled_at = None if active else utcnow()
    if not active:
        revoke_sessions(user.id)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))
