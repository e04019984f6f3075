"""The rules for units (单位), regions (区划名称) and sites (点位), as an admin keeps them.

Nothing is deleted: a unit or a site is deactivated (its items, plans and photos still
name it) and may be reactivated. Unit codes are unique; a unit's parent must exist and
must not make the tree a cycle; a site is known by its name within its unit (what an
import updates by). Every change is audited with what changed. Flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.audit import changes_between, record_event
from server.errors import ApiError
from server.extensions import db
from server.models import Region, Site, Unit, UnitKind, User
from server.settings import get_setting

UNIT_FIELDS = ("code", "name", "region_code", "kind", "parent_id")
SITE_FIELDS = ("name", "address", "lat", "lon", "radius_m", "unit_id", "region_code")
STALE = "该记录已被他人修改,请刷新后重试"


def refuse(field: str, message: str, status: int = 422) -> ApiError:
    code = "validation_error" if status == 422 else "conflict"
    return ApiError(status, code, message, {"fields": {field: [message]}})


def _check_version(record, version: int | None) -> None:
    if version is not None and version != record.version:
        raise refuse("version", STALE, 409)


def snapshot(record, names) -> dict:
    out = {}
    for name in names:
        value = getattr(record, name)
        out[name] = str(value) if isinstance(value, uuid.UUID) else getattr(value, "value", value)
    return out


# ---- units ----


def get_unit(unit_id) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise ApiError(404, "not_found", "单位不存在")
    return unit


def parents() -> dict[uuid.UUID, uuid.UUID | None]:
    return dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())


def makes_cycle(links: dict, child, parent) -> bool:
    """Whether `parent` (or one of its ancestors in `links`, child -> parent) is `child`."""
    seen = set()
    while parent is not None and parent not in seen:
        if parent == child:
            return True
        seen.add(parent)
        parent = links.get(parent)
    return False


def _unit_rules(data: dict, unit: Unit | None) -> None:
    taken = db.session.scalar(select(Unit.id).where(Unit.code == data["code"]))
    if taken is not None and (unit is None or taken != unit.id):
        raise refuse("code", f"单位代码“{data['code']}”已被使用")
    parent_id = data.get("parent_id")
    if parent_id is None:
        return
    if db.session.get(Unit, parent_id) is None:
        raise refuse("parent_id", "上级单位不存在")
    if unit is not None and makes_cycle(parents(), unit.id, parent_id):
        raise refuse("parent_id", "上级单位不能是本单位或其下级单位")


def create_unit(data: dict, actor: User) -> Unit:
    _unit_rules(data, None)
    unit = Unit(**{k: data.get(k) for k in UNIT_FIELDS})
    unit.kind = UnitKind(data["kind"])
    db.session.add(unit)
    db.session.flush()
    record_event("unit.create", "unit", unit.id, actor.id, **snapshot(unit, UNIT_FIELDS))
    return unit


def update_unit(unit: Unit, data: dict, actor: User, version: int | None = None) -> bool:
    """Apply the fields; False (and nothing audited) when nothing changes."""
    _check_version(unit, version)
    _unit_rules(data, unit)
    before = snapshot(unit, UNIT_FIELDS)
    for name in UNIT_FIELDS:
        setattr(unit, name, data.get(name))
    unit.kind = UnitKind(data["kind"])
    changes = changes_between(before, snapshot(unit, UNIT_FIELDS))
    if not changes:
        return False
    db.session.flush()
    record_event("unit.update", "unit", unit.id, actor.id, changes=changes)
    return True


def set_unit_active(unit: Unit, active: bool, actor: User) -> None:
    if unit.active == active:
        return
    unit.active = active
    db.session.flush()
    record_event("unit.reactivate" if active else "unit.deactivate", "unit", unit.id, actor.id)


# ---- regions ----


def get_region(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None:
        raise ApiError(404, "not_found", "区划不存在")
    return region


def create_region(data: dict, actor: User) -> Region:
    if db.session.get(Region, data["code"]) is not None:
        raise refuse("code", f"区划代码“{data['code']}”已有名称,请修改该区划")
    region = Region(code=data["code"], name=data["name"])
    db.session.add(region)
    db.session.flush()
    record_event("region.create", "region", region.code, actor.id, name=region.name)
    return region


def rename_region(region: Region, name: str, actor: User) -> bool:
    if region.name == name:
        return False
    changes = {"name": [region.name, name]}
    record_event("region.update", "region", region.code, actor.id, changes=changes)
    region.name = name
    db.session.flush()
    return True


# ---- sites ----


def get_site(site_id) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        raise ApiError(404, "not_found", "点位不存在")
    return site


def _site_rules(data: dict, site: Site | None) -> Unit:
    unit = db.session.get(Unit, data["unit_id"])
    if unit is None:
        raise refuse("unit_id", "责任单位不存在")
    if not unit.active and (site is None or site.unit_id != unit.id):
        raise refuse("unit_id", "责任单位已停用")
    twin = db.session.scalar(
        select(Site.id).where(Site.unit_id == unit.id, Site.name == data["name"])
    )
    if twin is not None and (site is None or twin != site.id):
        raise refuse("name", f"{unit.name}已有名为“{data['name']}”的点位")
    return unit


def site_values(data: dict, unit: Unit, site: Site | None) -> dict:
    values = {k: data.get(k) for k in SITE_FIELDS}
    values["address"] = values["address"] or ""
    values["region_code"] = values["region_code"] or unit.region_code
    if values["radius_m"] is None:
        values["radius_m"] = site.radius_m if site else get_setting("geofence_radius_m")
    return values


def create_site(data: dict, actor: User) -> Site:
    unit = _site_rules(data, None)
    site = Site(**site_values(data, unit, None))
    db.session.add(site)
    db.session.flush()
    record_event("site.create", "site", site.id, actor.id, **snapshot(site, SITE_FIELDS))
    return site


def update_site(site: Site, data: dict, actor: User, version: int | None = None) -> bool:
    _check_version(site, version)
    unit = _site_rules(data, site)
    before = snapshot(site, SITE_FIELDS)
    for name, value in site_values(data, unit, site).items():
        setattr(site, name, value)
    changes = changes_between(before, snapshot(site, SITE_FIELDS))
    if not changes:
        return False
    db.session.flush()
    record_event("site.update", "site", site.id, actor.id, changes=changes)
    return True


def set_site_active(site: Site, active: bool, actor: User) -> None:
    if site.active == active:
        return
    site.active = active
    db.session.flush()
    record_event("site.reactivate" if active else "site.deactivate", "site", site.id, actor.id)
