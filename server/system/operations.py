"""Health and rule settings."""

from __future__ import annotations

from sqlalchemy import text

from server.audit import record_event
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import SettingOverride, User
from server.settings import (
    SETTINGS,
    coerce,
    env_name,
    forget_cached_overrides,
    get_setting,
    origin,
)
from server.signals import setting_changed


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "down" here
        db.session.rollback()
        return False


def list_settings() -> list[dict]:
    return [
        {
            "key": s.key,
            "label": s.label,
            "doc": s.doc,
            "source": s.source,
            "default": s.default,
            "value": get_setting(s.key),
            "overridden": origin(s.key) == "database",
            "origin": origin(s.key),
            "integer": isinstance(s.default, int),
            "minimum": s.minimum,
            "maximum": s.maximum,
            "env": env_name(s.key),
        }
        for s in SETTINGS.values()
    ]


def change_setting(key: str, raw, actor: User) -> None:
    setting = SETTINGS.get(key)
    if setting is None:
        raise not_found("没有这项设置")
    row = db.session.get(SettingOverride, key)
    old = row.value if row else None
    if raw is None:
        if row is not None:
            db.session.delete(row)
        new = None
    else:
        new = coerce(setting, raw)
        if row is None:
            db.session.add(SettingOverride(key=key, value=new, updated_by_id=actor.id))
        else:
            row.value, row.updated_by_id = new, actor.id
    if old == new:
        raise ApiError(409, "unchanged", "设置值未改变")
    db.session.flush()
    forget_cached_overrides()
    record_event("setting.change", "setting", key, actor_id=actor.id, old=old, new=new)
    setting_changed.send(key)
