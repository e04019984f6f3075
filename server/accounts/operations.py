"""Managing accounts (admin).

A password an admin gives someone (a new account, a reset) is known to the admin: the
account must choose its own at its next login (`must_change_password`). Where the admin
does not type one, a one-time password is generated and handed back once to be shown to
the admin; only its hash is kept, and the audit trail says only that one was issued."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.audit import record_event
from server.auth.operations import clear_login_failures, revoke_sessions
from server.auth.passwords import hash_password, one_time_password
from server.errors import ApiError, field_error, not_found
from server.extensions import db
from server.models import Role, Unit, User, utcnow

SELF_LOCKOUT = "不能停用自己或取消自己的管理员角色"


def _unit(unit_id: uuid.UUID) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error("unit_id", "单位不存在或已停用")
    return unit


def create_user(data: dict, actor: User | None) -> tuple[User, str | None]:
    """A new account. Without `password` one is generated and returned (else None). An
    account an admin creates must change its password at first login; one created from
    the command line (actor None, the person typing it) need not."""
    if db.session.scalar(select(User.id).where(User.username == data["username"])):
        raise ApiError(
            409, "username_taken", "用户名已被使用", {"fields": {"username": ["用户名已被使用"]}}
        )
    generated = None if data.get("password") else one_time_password()
    user = User(
        username=data["username"],
        display_name=data["display_name"],
        password_hash=hash_password(data.get("password") or generated),
        role=Role(data["role"]),
        unit=_unit(data["unit_id"]),
        must_change_password=actor is not None,
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
        one_time_password=generated is not None,
    )
    return user, generated


def get_user(user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("用户不存在")
    return user


def update_user(user_id: uuid.UUID, changes: dict, actor: User) -> User:
    user = get_user(user_id)
    if user.id == actor.id and (
        changes.get("active") is False or changes.get("role", Role.admin) != Role.admin
    ):
        raise ApiError(409, "self_lockout", SELF_LOCKOUT)
    recorded = {}
    if "unit_id" in changes and changes["unit_id"] != user.unit_id:
        user.unit = _unit(changes["unit_id"])
        recorded["unit_id"] = str(user.unit.id)
    if "role" in changes and Role(changes["role"]) != user.role:
        user.role = Role(changes["role"])
        recorded["role"] = user.role.value
    if "display_name" in changes and changes["display_name"] != user.display_name:
        user.display_name = recorded["display_name"] = changes["display_name"]
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
        user.must_change_password = user.id != actor.id  # the admin knows it
        recorded["password"] = "changed"
        revoke_sessions(user.id)
    if "active" in changes and changes["active"] != user.active:
        set_active(user, changes["active"])
        recorded["active"] = user.active
    record_event("user.update", "user", user.id, actor_id=actor.id, **recorded)
    return user


def reset_password(user_id: uuid.UUID, actor: User | None) -> tuple[User, str]:
    """A new one-time password for an account (returned once, to be shown once): its
    logins end, its failed-login limits are lifted, and it must choose its own password
    at the next login. An admin changes their own with 修改密码 instead (a reset would
    end the login they are using); the command line (actor None) may reset anyone."""
    user = get_user(user_id)
    if actor is not None and user.id == actor.id:
        raise ApiError(409, "self_lockout", "不能重置自己的密码,请使用“修改密码”")
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    ended = revoke_sessions(user.id)
    cleared = clear_login_failures(user.username)
    record_event(
        "user.reset_password",
        "user",
        user.id,
        actor_id=actor.id if actor else None,
        username=user.username,
        ended_sessions=ended,
        cleared_failures=cleared,
        via="admin" if actor else "cli",
    )
    return user, password


def unlock_login(user_id: uuid.UUID, actor: User) -> dict:
    """Lift the failed-login limits on an account (audited); the failures themselves stay
    in the audit trail."""
    user = get_user(user_id)
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
