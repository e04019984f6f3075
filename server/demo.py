"""Demo data: one county (龙里县, 贵州) with its office, departments and townships, users
for every role, sites, one active unannounced plan and clues from the public
(server/demo_county_clues.py). Idempotent: records are found by their natural keys (unit
code, username, site name, plan code) and never duplicated."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from server.auth.passwords import hash_password
from server.demo_county import REGION_NAMES, TOWNSHIP_REGIONS, site_id
from server.extensions import db
from server.models import (
    Category,
    Plan,
    PlanKind,
    PlanMode,
    PlanStatus,
    Region,
    Role,
    Site,
    Unit,
    UnitKind,
    User,
    utcnow,
)
from server.settings import get_setting
from server.timeutil import local_today

REGION = "522730"  # 贵州省黔南布依族苗族自治州龙里县

UNITS = [
    # code, name, kind, parent code
    ("LL-GOV", "龙里县人民政府", UnitKind.government, None),
    ("LL-DCS", "龙里县人民政府督查室", UnitKind.office, "LL-GOV"),
    ("LL-ZJJ", "龙里县住房和城乡建设局", UnitKind.department, "LL-GOV"),
    ("LL-NYJ", "龙里县农业农村局", UnitKind.department, "LL-GOV"),
    ("LL-JYJ", "龙里县教育局", UnitKind.department, "LL-GOV"),
    ("LL-WJJ", "龙里县卫生健康局", UnitKind.department, "LL-GOV"),
    ("LL-LSZ", "龙山镇人民政府", UnitKind.township, "LL-GOV"),
    ("LL-GJZ", "谷脚镇人民政府", UnitKind.township, "LL-GOV"),
    ("LL-XSZ", "醒狮镇人民政府", UnitKind.township, "LL-GOV"),
    ("LL-XMZ", "洗马镇人民政府", UnitKind.township, "LL-GOV"),
    # The rest of the county, for the year of work (server/demo_county*.py).
    ("LL-JTJ", "龙里县交通运输局", UnitKind.department, "LL-GOV"),
    ("LL-SWJ", "龙里县水务局", UnitKind.department, "LL-GOV"),
    ("LL-SJJ", "龙里县市场监督管理局", UnitKind.department, "LL-GOV"),
    ("LL-STJ", "龙里县生态环境保护综合行政执法大队", UnitKind.department, "LL-GOV"),
    ("LL-GSJ", "冠山街道办事处", UnitKind.township, "LL-GOV"),
    ("LL-WTH", "湾滩河镇人民政府", UnitKind.township, "LL-GOV"),
]

USERS = [
    # username, display name, role, unit code
    ("inspector", "张明", Role.inspector, "LL-DCS"),
    ("inspector2", "李娟", Role.inspector, "LL-DCS"),
    ("supervisor", "王立新", Role.supervisor, "LL-DCS"),
    ("responder_zjj", "陈志强", Role.responder, "LL-ZJJ"),
    ("responder_lsz", "杨秀兰", Role.responder, "LL-LSZ"),
    ("leader", "刘建国", Role.leader, "LL-GOV"),
    ("admin", "系统管理员", Role.admin, "LL-DCS"),
]

SITES = [
    # name, address, lat, lon, responsible unit code, township (unit code)
    ("龙山镇保障性住房项目工地", "龙里县龙山镇冠山大道", 26.4532, 106.9768, "LL-ZJJ", "LL-LSZ"),
    ("谷脚镇农村危房改造点(观音村)", "龙里县谷脚镇观音村", 26.5281, 106.8904, "LL-ZJJ", "LL-GJZ"),
    ("醒狮镇中心小学", "龙里县醒狮镇醒狮村", 26.4016, 107.0962, "LL-JYJ", "LL-XSZ"),
    ("龙山镇卫生院", "龙里县龙山镇龙山大道", 26.4478, 106.9801, "LL-WJJ", "LL-LSZ"),
    ("洗马镇刺梨种植基地", "龙里县洗马镇平坡村", 26.3598, 107.1405, "LL-NYJ", "LL-XMZ"),
    ("龙山镇莲花社区服务中心", "龙里县龙山镇莲花社区", 26.4601, 106.9672, "LL-LSZ", "LL-LSZ"),
]

PLAN_CODE = "DC-2026-001"


def seed_demo(instance_dir: Path) -> tuple[list[dict], bool]:
    """Create what is missing; return the demo accounts and whether passwords are new."""
    _ensure_regions()
    units = _ensure_units()
    accounts_path = instance_dir / "demo-accounts.json"
    known = _read_accounts(accounts_path)
    accounts, changed = [], False
    for username, name, role, unit_code in USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        password = known.get(username)
        if user is None or password is None:
            # New user, or the accounts file is gone: give a fresh password we can print.
            password = secrets.token_urlsafe(9)
            changed = True
        if user is None:
            user = User(
                username=username,
                display_name=name,
                role=role,
                unit=units[unit_code],
                password_hash=hash_password(password),
            )
            db.session.add(user)
        elif username not in known:
            user.password_hash = hash_password(password)
        unit = units[unit_code]
        accounts.append(
            {
                "username": username,
                "password": password,
                "role": role.value,
                "unit_id": str(unit.id),
                "unit_name": unit.name,
            }
        )
    db.session.flush()
    sites = _ensure_sites(units)
    _ensure_plan(units, sites)
    db.session.flush()
    from server.demo_rectification import seed_rectification_demo

    seed_rectification_demo(PLAN_CODE)
    from server.demo_county_clues import seed_demo_clues

    seed_demo_clues(units["LL-DCS"], PLAN_CODE)
    instance_dir.mkdir(parents=True, exist_ok=True)
    accounts_path.write_text(json.dumps(accounts, ensure_ascii=False, indent=2))
    accounts_path.chmod(0o600)
    return accounts, changed


def _read_accounts(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        return {a["username"]: a["password"] for a in json.loads(path.read_text())}
    except (ValueError, KeyError, TypeError):
        return {}


def _ensure(model, key: str, value, **fields):
    """The row whose natural key `key` is `value`; made with `fields` when there is none."""
    row = db.session.scalar(select(model).where(getattr(model, key) == value))
    if row is None:
        row = model(**{key: value}, **fields)
        db.session.add(row)
    return row


def _ensure_regions() -> None:
    """The county's and its townships' names (a name an admin changed is kept)."""
    for code, name in REGION_NAMES.items():
        _ensure(Region, "code", code, name=name)


def _ensure_units() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        region = TOWNSHIP_REGIONS.get(code, REGION)
        fields = {"name": name, "kind": kind, "region_code": region, "parent": units.get(parent)}
        units[code] = _ensure(Unit, "code", code, **fields)
    db.session.flush()
    return units


def _ensure_sites(units: dict[str, Unit]) -> list[Site]:
    radius = get_setting("geofence_radius_m")
    sites = []
    for name, address, lat, lon, unit_code, township in SITES:
        place = {"address": address, "lat": lat, "lon": lon, "unit": units[unit_code]}
        place.update(id=site_id(name), region_code=TOWNSHIP_REGIONS[township])
        sites.append(_ensure(Site, "name", name, radius_m=radius, **place))
    db.session.flush()
    return sites


def _ensure_plan(units: dict[str, Unit], sites: list[Site]) -> None:
    if db.session.scalar(select(Plan.id).where(Plan.code == PLAN_CODE)):
        return
    category = db.session.scalar(select(Category).where(Category.code == "project_quality"))
    targets = [s for s in sites if s.unit_id == units["LL-ZJJ"].id]
    today = local_today()
    team = list(
        db.session.scalars(select(User).where(User.username.in_(["inspector", "inspector2"])))
    )
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    db.session.add(
        Plan(
            code=PLAN_CODE,
            title="保障性住房和农村危房改造质量安全暗访",
            matter="保障性住房在建项目和农村危房改造的工程质量、安全措施及补助资金落实情况",
            matter_category=category,
            mode=PlanMode.sibu_liangzhi,
            kind=PlanKind.routine_special,
            window_start=today - timedelta(days=3),
            window_end=today + timedelta(days=25),
            status=PlanStatus.active,
            office_unit=units["LL-DCS"],
            created_by_id=supervisor.id,
            team=team,
            # Both targets belong to 住建局, which has a demo responder: secrecy can be tried.
            sites=targets,
            target_units=[units["LL-ZJJ"]],
            approved_by_id=supervisor.id,
            approved_at=utcnow(),
        )
    )
