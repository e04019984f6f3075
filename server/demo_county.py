"""The county the demo year happens in (龙里县), and what the year's generator carries:
the seed, the county's places (sites across its townships, each with the unit that
answers for it and the categories inspected there) and its people (the units' liaisons
the demo accounts leave out), the `Year` state passed from plan to plan, and its clock:
`_moment` and `_workday` for the day and hour of a past step, and `at`, which dates what
the office's operations write (every row a step added, every timestamp it changed) to
the past day it happened. The year itself is made in server/demo_county_plans.py (its
plans, draws, check-ins and findings) and server/demo_county_items.py (its items)."""

from __future__ import annotations

import math
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event, inspect, select

from server.extensions import db
from server.models import Rectification, Role, Site, Unit, User
from server.models.base import Base
from server.settings import get_setting
from server.timeutil import CHINA
from sync.types import UTCDateTime

SEED = 5227_30
SITE_IDS = uuid.UUID("0f6a3c52-5227-4c30-9d1e-6c6f6e676c69")

# Township centres (WGS-84) and the villages or communities near each.
TOWNSHIPS = {
    "LL-GSJ": ("冠山街道", 26.4530, 106.9790, ["龙泉社区", "西城社区", "双龙社区"]),
    "LL-LSZ": ("龙山镇", 26.4300, 106.9420, ["莲花村", "中坝村", "水场村"]),
    "LL-GJZ": ("谷脚镇", 26.5280, 106.8900, ["观音村", "茶香村", "谷冰村"]),
    "LL-XSZ": ("醒狮镇", 26.4020, 107.0960, ["醒狮村", "元宝村", "谷龙村"]),
    "LL-XMZ": ("洗马镇", 26.3600, 107.1400, ["平坡村", "台上村", "乐湾村"]),
    "LL-WTH": ("湾滩河镇", 26.3300, 106.9150, ["金星村", "走马村", "云雾村"]),
}

# The townships' codes (统计用区划代码, server/regions.py), by the township unit's code.
TOWNSHIP_REGIONS = {
    "LL-GSJ": "522730001",  # 冠山街道
    "LL-LSZ": "522730100",  # 龙山镇
    "LL-GJZ": "522730101",  # 谷脚镇
    "LL-XSZ": "522730102",  # 醒狮镇
    "LL-XMZ": "522730103",  # 洗马镇
    "LL-WTH": "522730104",  # 湾滩河镇
}

# The names of the county's regions (区划名称, server/models/region.py), by code.
REGION_NAMES = {
    "522730": "龙里县",
    **{TOWNSHIP_REGIONS[code]: place[0] for code, place in TOWNSHIPS.items()},
}

# The units' liaisons (责任单位联络员) the demo accounts leave out: they report for their
# units but have no password (an administrator can give them one).
LIAISONS = {
    "LL-NYJ": "吴德华",
    "LL-JYJ": "周丽萍",
    "LL-WJJ": "郑海燕",
    "LL-JTJ": "孙国平",
    "LL-SWJ": "黄志勇",
    "LL-SJJ": "罗晓梅",
    "LL-STJ": "蒙光荣",
    "LL-GSJ": "韦小燕",
    "LL-GJZ": "罗文斌",
    "LL-XSZ": "陈红梅",
    "LL-XMZ": "吴永福",
    "LL-WTH": "杨光明",
}

# Kinds of site: name pattern, responsible unit (None: the township), the categories
# inspected there, how many of the county's townships have one.
SITE_KINDS = [
    ("{t}卫生院", "LL-WJJ", ("livelihood_services", "policy_implementation"), 6),
    ("{t}中心小学", "LL-JYJ", ("livelihood_services", "work_safety"), 5),
    ("{t}{v}农村危房改造点", "LL-ZJJ", ("project_quality", "benefit_funds"), 5),
    ("{t}{v}农村饮水安全工程", "LL-SWJ", ("project_quality", "livelihood_services"), 4),
    ("{t}农贸市场", "LL-SJJ", ("work_safety", "livelihood_services"), 4),
    ("{t}{v}产业基地", "LL-NYJ", ("benefit_funds", "policy_implementation"), 5),
    ("{t}便民服务中心", None, ("work_style", "policy_implementation"), 6),
    ("{t}{v}通组公路", "LL-JTJ", ("project_quality", "work_safety"), 3),
    ("{t}污水处理站", "LL-STJ", ("environment",), 4),
]


@dataclass
class Year:
    """The state the generator carries from plan to plan."""

    rng: random.Random
    today: date
    now: datetime
    office: Unit
    units: dict[str, Unit]
    users: dict[str, User]
    sites: list[tuple[Site, tuple[str, ...]]] = field(default_factory=list)
    plans: int = 0
    plan_numbers: dict[int, int] = field(default_factory=dict)
    item_numbers: dict[int, int] = field(default_factory=dict)
    items: list[Rectification] = field(default_factory=list)


# ---- time ----


def _stamps(obj) -> list[str]:
    return [
        a.key
        for a in inspect(obj).mapper.column_attrs
        if isinstance(a.columns[0].type, UTCDateTime)
    ]


@contextmanager
def at(moment: datetime, *touched):
    """Date what the operations in the block write to `moment`: every timestamp of the
    rows they add (audit events, reports, verifications, notifications, items) and every
    timestamp they set on `touched`. Yields the list of added rows. (Rows made here by
    hand are given their times in their constructors instead.)"""
    session = db.session()
    added: list = []

    def collect(_session, obj):
        added.append(obj)

    before = [(obj, {k: getattr(obj, k) for k in _stamps(obj)}) for obj in touched]
    event.listen(session, "transient_to_pending", collect)
    try:
        yield added
        session.flush()  # column defaults filled in, to be moved
    finally:
        event.remove(session, "transient_to_pending", collect)
    for obj in added:
        if isinstance(obj, Base):
            for key in _stamps(obj):
                if getattr(obj, key) is not None:
                    setattr(obj, key, moment)
    for obj, stamps in before:
        for key, value in stamps.items():
            if getattr(obj, key) not in (value, None):
                setattr(obj, key, moment)


def _moment(day: date, hour: float, now: datetime) -> datetime:
    minutes = int(hour * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=CHINA)
    return min(local.astimezone(UTC), now - timedelta(minutes=5))


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# ---- places ----


def _ensure_sites(year: Year) -> list[tuple[Site, tuple[str, ...]]]:
    rng = random.Random(SEED + 1)  # places stay put whatever the rest draws
    radius = get_setting("geofence_radius_m")
    codes = list(TOWNSHIPS)
    sites = []
    for pattern, unit_code, categories, count in SITE_KINDS:
        for township_code in rng.sample(codes, count):
            town, lat, lon, villages = TOWNSHIPS[township_code]
            village = rng.choice(villages)
            name = pattern.format(t=town, v=village)
            unit = year.units[unit_code or township_code]
            site = db.session.scalar(select(Site).where(Site.name == name))
            if site is None:
                # Within about 4 km of the township's centre.
                site = Site(
                    id=site_id(name),
                    name=name,
                    address=f"龙里县{town}{village}",
                    lat=round(lat + rng.uniform(-0.035, 0.035), 5),
                    lon=round(lon + rng.uniform(-0.04, 0.04), 5),
                    radius_m=radius,
                    region_code=TOWNSHIP_REGIONS[township_code],
                    unit=unit,
                )
                db.session.add(site)
            sites.append((site, categories))
    db.session.flush()
    return sites


def _ensure_liaisons(units: dict[str, Unit]) -> None:
    for code, name in LIAISONS.items():
        username = f"liaison_{code[3:].lower()}"
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            db.session.add(
                User(
                    username=username,
                    display_name=name,
                    role=Role.responder,
                    unit=units[code],
                    password_hash="!",  # matches no password: no one can sign in with it
                )
            )
    db.session.flush()


def site_id(name: str) -> uuid.UUID:
    """A demo site's id, from its name: a draw ranks its candidates by id, so the seeded
    draws pick the same sites in every database."""
    return uuid.uuid5(SITE_IDS, name)


def _metres(lat1, lon1, lat2, lon2) -> float:
    dy = (lat2 - lat1) * 111_320
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)
