"""Every policy number, read in one place, each with a documented default.

An admin may override a rule in the database (`setting_override`); a deployment may
override it with the environment variable ZHICHA_RULE_<KEY>. The database wins, then the
environment, then the documented default. The catalogue of settings is in
server/settings_catalogue.py and server/settings_paperwork.py; docs/settings.md is
generated from it (`flask settings-doc`) and a test keeps it in step.
"""

from __future__ import annotations

import os

from server.errors import ApiError
from server.settings_catalogue import RULES, Setting
from server.settings_paperwork import PAPERWORK_RULES

SETTINGS: dict[str, Setting] = {s.key: s for s in (*RULES, *PAPERWORK_RULES)}

# Settings the ledger colours depend on: changing one recomputes every open item.
COLOUR_SETTINGS = frozenset({"progress_cadence_days", "red_return_count", "behind_schedule_margin"})


def setting_default(key: str):
    return _lookup(key).default


_CACHE = "setting_overrides"


def get_setting(key: str):
    """The value in force now: database override, environment, then default."""
    setting = _lookup(key)
    overrides = _overrides()
    if key in overrides:
        return overrides[key]
    raw = os.environ.get(env_name(key))
    if raw:
        return coerce(setting, raw)
    return setting.default


def env_name(key: str) -> str:
    """The environment variable a deployment may set a rule with."""
    return f"ZHICHA_RULE_{key.upper()}"


def origin(key: str) -> str:
    """Where the value in force comes from: "database", "environment" or "default"."""
    if key in _overrides():
        return "database"
    return "environment" if os.environ.get(env_name(key)) else "default"


def coerce(setting: Setting, raw) -> int | float:
    """Convert and range-check a value for a setting; ApiError 422 when it does not fit."""
    kind = type(setting.default)
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = kind(raw) if kind is float else int(str(raw), 10)
    except (TypeError, ValueError):
        raise ApiError(
            422, "invalid_setting", f"{setting.label}须为{'数字' if kind is float else '整数'}"
        ) from None
    if not setting.minimum <= value <= setting.maximum:
        raise ApiError(
            422,
            "invalid_setting",
            f"{setting.label}须在 {setting.minimum} 与 {setting.maximum} 之间",
        )
    return value


def _lookup(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}: add it to server/settings.py") from None


def _overrides() -> dict:
    """The database overrides, read once per transaction (a photo job or a push reads
    several settings; a new transaction sees changes made meanwhile)."""
    from server.extensions import db
    from server.models import SettingOverride

    session = db.session()
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] is session.get_transaction():
        return cached[1]
    rows = session.execute(db.select(SettingOverride.key, SettingOverride.value)).all()
    values = {k: v for k, v in rows if k in SETTINGS}
    session.info[_CACHE] = (session.get_transaction(), values)
    return values


def forget_cached_overrides() -> None:
    from server.extensions import db

    db.session().info.pop(_CACHE, None)


def settings_markdown() -> str:
    lines = [
        "| key | default | meaning | source | override |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS.values():
        lines.append(
            f"| `{s.key}` | {s.default} | {s.label} — {s.doc} | {s.source or '—'} "
            f"| `{env_name(s.key)}` |"
        )
    return "\n".join(lines) + "\n"
