"""A county's year of demo work (龙里县), so the ledger, the dashboards and the map have
something to show: sites across the county's townships, about thirty plans over the last
twelve months (mostly unannounced, many routine special, many drawn at random), check-ins,
findings of every category and severity, and the items made of them, issued to the
county's departments and townships and followed to where each stands today: closed on
time, closed late, returned by a 回头看 and closed, overdue (red), behind schedule, waiting
for verification, just issued.

Deterministic: one seeded random generator, dates counted back from today. The office's
steps go through the rectification and triage operations (so the audit chain, the change
log, the notifications and the colours are the real ones); what happened on a past day is
then dated to that day by `at` (every row the step added, every timestamp it changed).
Plans, draws (the real algorithm, run on a recorded seed), check-ins and findings are
made as rows, as server/demo.py makes its plan and server/demo_rectification.py its
findings."""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event, inspect, select

from server.extensions import db
from server.findings import operations as triage
from server.models import (
    Category,
    Draw,
    DrawPool,
    Finding,
    Notification,
    Plan,
    PlanKind,
    PlanMode,
    PlanStatus,
    Rectification,
    Role,
    Severity,
    Site,
    TriageStatus,
    Unit,
    User,
    Visit,
)
from server.models.base import Base
from server.plans.draw import ALGORITHM, run_draw
from server.rectification import operations, verification, workflow
from server.rectification.colour import refresh_red_from
from server.settings import get_setting
from server.timeutil import CHINA, local_today
from server.workdays.calendar import add_working_days
from sync.types import UTCDateTime

SEED = 5227_30
SITE_IDS = uuid.UUID("0f6a3c52-5227-4c30-9d1e-6c6f6e676c69")
MONTHS = 12

# Township centres (WGS-84) and the villages or communities near each.
TOWNSHIPS = {
    "LL-GSJ": ("冠山街道", 26.4530, 106.9790, ["龙泉社区", "西城社区", "双龙社区"]),
    "LL-LSZ": ("龙山镇", 26.4300, 106.9420, ["莲花村", "中坝村", "水场村"]),
    "LL-GJZ": ("谷脚镇", 26.5280, 106.8900, ["观音村", "茶香村", "谷冰村"]),
    "LL-XSZ": ("醒狮镇", 26.4020, 107.0960, ["醒狮村", "元宝村", "谷龙村"]),
    "LL-XMZ": ("洗马镇", 26.3600, 107.1400, ["平坡村", "台上村", "乐湾村"]),
    "LL-WTH": ("湾滩河镇", 26.3300, 106.9150, ["金星村", "走马村", "云雾村"]),
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

PLAN_MATTERS = {
    "project_quality": ("工程建设质量安全暗访", "在建民生工程的质量、进度、安全措施及资金拨付"),
    "work_safety": ("安全生产暗访", "人员密集场所和施工现场的安全隐患排查与整治"),
    "policy_implementation": ("惠民政策落实情况暗访", "各项惠民政策在基层的知晓率和落实情况"),
    "benefit_funds": ("惠民惠农资金专项暗访", "惠民惠农补贴资金的申报、审核、发放和公示"),
    "livelihood_services": ("民生服务质量暗访", "医疗、教育、饮水等民生服务的群众满意度"),
    "environment": ("生态环境问题暗访", "污水收集处理、垃圾清运和河道保洁情况"),
    "work_style": ("基层干部作风暗访", "窗口单位服务态度、办事效率和工作纪律"),
}

# Plan kinds in turn (None: an announced, open inspection) and the turns drawn at random.
PLAN_ROTATION = [
    PlanKind.routine_special,
    PlanKind.ad_hoc,
    PlanKind.routine_special,
    None,
    PlanKind.leader_led,
    PlanKind.routine_special,
    PlanKind.ad_hoc,
    PlanKind.routine_special,
    None,
    PlanKind.routine_special,
]
DRAWN_TURNS = {0, 1, 2, 5, 7, 9}

# Per category: (title, description, usual severity). Some descriptions are long on
# purpose: the triage page folds them.
FINDINGS = {
    "project_quality": [
        (
            "墙体砌筑砂浆不饱满",
            "抽查两户改造房,墙体灰缝砂浆饱满度明显不足,部分竖缝无砂浆。",
            "medium",
        ),
        ("屋面防水层空鼓开裂", "改造户屋面防水层多处空鼓开裂,雨天已出现渗漏。", "medium"),
        ("工程未按图施工", "现场钢筋规格与设计图纸不符,监理未发现也未记录。", "high"),
        ("管网压力测试记录缺失", "饮水工程主管网已回填,但未见打压试验记录。", "low"),
        (
            "路面出现大面积坑槽",
            "通组公路完工不满一年,K1+200至K1+800段路面出现坑槽十余处,最大的一处长约1.5米、"
            "深约10厘米,雨后积水,摩托车和农用车通行困难。走访沿线群众,均反映施工期间未见压路机"
            "充分碾压,基层厚度不足;施工单位称系重车通行所致,但未能提供基层检测报告和交工验收"
            "资料。建议县交通运输局组织第三方检测,明确责任后督促施工单位返工修复。",
            "high",
        ),
        ("质量检测报告未在现场备查", "主体结构检测报告未在现场备查,施工日志记录不全。", "low"),
    ],
    "work_safety": [
        ("消防通道被杂物堵塞", "市场东侧消防通道堆放大量纸箱和货架,消防车无法通行。", "high"),
        ("灭火器过期未更换", "抽查8具灭火器,其中5具压力不足或已过有效期。", "medium"),
        ("电线私拉乱接", "摊位间电线私拉乱接,部分插线板放置在积水地面。", "high"),
        ("校舍围墙出现裂缝", "教学楼北侧围墙出现贯穿裂缝,未设置警示标志。", "medium"),
        ("安全管理台账不全", "近三个月安全检查记录缺失,隐患整改无闭环记录。", "low"),
    ],
    "policy_implementation": [
        ("惠民政策公示不到位", "村务公开栏未公示本年度惠民政策及补贴标准。", "low"),
        ("群众对政策知晓率低", "随机走访12户群众,仅3户知道医保门诊共济政策。", "medium"),
        (
            "一事一议项目群众不知情",
            "走访发现,村里今年实施的一事一议产业路项目,村民代表大会会议记录仅有村干部签字,"
            "受访的9户群众均表示没有参加过相关会议,也不清楚项目资金来源和建设标准。村委会称"
            "因农忙未能召集群众,会议以电话征求意见代替,但无法提供征求意见记录。",
            "medium",
        ),
        ("帮扶措施与实际需求脱节", "产业帮扶发放的鸡苗成活率低,群众反映缺少技术指导。", "medium"),
    ],
    "benefit_funds": [
        ("补贴资金未按期发放", "走访4户,均反映上半年耕地地力保护补贴尚未到账。", "high"),
        ("补贴对象审核把关不严", "补贴名单中有2户已迁出本村多年,仍在领取补贴。", "high"),
        ("资金使用未公示", "产业扶持资金使用明细未在村务公开栏公示。", "medium"),
        ("申报材料弄虚作假", "合作社申报材料中的种植面积与实地丈量面积差距较大。", "high"),
        ("补助标准执行不统一", "同类危改户补助金额相差较大,未见分类认定依据。", "medium"),
    ],
    "livelihood_services": [
        ("卫生院药品短缺", "常用降压药和胰岛素缺货已半月,患者需到县城购买。", "medium"),
        ("饮水水质不达标", "现场快检浊度超标,群众反映雨后自来水发黄。", "high"),
        ("营养餐供餐不规范", "学生营养餐留样记录不全,食堂从业人员健康证过期。", "medium"),
        ("家庭医生签约服务流于形式", "走访签约户,多数表示签约后从未接到随访。", "low"),
        ("午间休息无人值守", "中午12时至14时群众前来办事,窗口无人值守。", "low"),
    ],
    "environment": [
        ("污水处理站停运", "污水处理站设备停运,污水直排河道,现场有明显异味。", "high"),
        ("垃圾清运不及时", "垃圾收集点满溢,周边群众反映已三天未清运。", "medium"),
        ("河道保洁不到位", "河道内漂浮垃圾较多,河长公示牌信息未更新。", "low"),
        ("运行记录弄虚作假", "污水站在线监测数据长期为固定值,运行台账前后矛盾。", "high"),
    ],
    "work_style": [
        ("窗口工作人员脱岗", "工作时间两个窗口无人,群众排队等候超过40分钟。", "medium"),
        ("办事要求重复提交材料", "群众办理低保复核被要求重复提交户口本等材料。", "low"),
        ("服务态度生硬", "工作人员对咨询群众态度冷淡,未按规定一次性告知。", "low"),
        ("上班时间玩手机游戏", "暗访时发现窗口工作人员上班时间玩手机游戏。", "medium"),
        (
            "签到考勤形同虚设",
            "调阅近一个月考勤记录,存在代签到、补签到现象;暗访当日上午9时30分仍有4名工作人员"
            "未到岗,考勤表上却已签到。单位负责人称系下村开展工作,但无法提供外出登记和工作记录,"
            "群众反映找人办事经常找不到人。",
            "high",
        ),
    ],
}

MEASURES = {
    "project_quality": "组织返工整改,委托第三方检测,完善质量验收资料",
    "work_safety": "立即消除隐患,开展安全教育,建立隐患排查整改台账",
    "policy_implementation": "完善公示和宣传,逐户回访核实,建立长效机制",
    "benefit_funds": "全面核查资金流向,限期发放到位,追回违规资金",
    "livelihood_services": "补齐服务短板,明确责任人,定期回访群众",
    "environment": "恢复设施运行,加强日常巡查,规范运行台账",
    "work_style": "严肃工作纪律,约谈相关责任人,健全考勤和首问负责制度",
}

# Deadlines in working days.
LONG_WORK = {"project_quality", "environment", "benefit_funds"}
LONG, SHORT = (20, 30, 40, 60), (10, 15, 20)

TRIAGE_REJECT_REASONS = [
    "经核实系正常施工工序,不构成问题",
    "已在此前督查中交办,正在整改中",
    "反映情况与实际不符,已向群众解释",
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


def seed_county_year(office: Unit, units: dict[str, Unit], taken_codes: set[str]) -> None:
    """The year's work for the office's county; its caller checks that the office has no
    items yet (the whole rectification demo is skipped once it has any)."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    _ensure_liaisons(units)
    users = {u.username: u for u in db.session.scalars(select(User))}
    year = Year(rng, local_today(now), now, office, units, users)
    year.sites = _ensure_sites(year)
    for code in taken_codes:  # DC-<year>-<n> the demo has already used
        y, n = int(code.split("-")[1]), int(code.split("-")[2])
        year.plan_numbers[y] = max(year.plan_numbers.get(y, 0), n)
    start = year.today - timedelta(days=365)
    for month in range(MONTHS):
        first = start + timedelta(days=round(month * 365 / MONTHS))
        for _ in range(rng.choice((2, 2, 3))):
            window_start = _workday(first + timedelta(days=rng.randrange(0, 24)))
            if window_start > year.today - timedelta(days=2):
                continue
            _plan_year(year, window_start)
    db.session.flush()
    for item in year.items:
        refresh_red_from(item)
    # The office has read what is more than two weeks old.
    old = year.now - timedelta(days=14)
    for note in db.session.scalars(
        select(Notification).where(Notification.created_at < old, Notification.read_at.is_(None))
    ):
        note.read_at = note.created_at + timedelta(hours=20)
    db.session.flush()


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
                    region_code=year.office.region_code,
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


# ---- plans, check-ins, findings ----


def _plan_code(year: Year, window_start: date) -> str:
    n = year.plan_numbers.get(window_start.year, 0) + 1
    year.plan_numbers[window_start.year] = n
    return f"DC-{window_start.year}-{n:03d}"


def _plan_year(year: Year, window_start: date) -> None:
    rng, users, today = year.rng, year.users, year.today
    category_code = rng.choice(list(PLAN_MATTERS))
    title, matter = PLAN_MATTERS[category_code]
    # A fixed rotation, so the year's shares sit near the policy floors whatever the
    # dice: 8 in 10 unannounced, 5 in 10 routine special, 6 in 10 drawn at random.
    turn = year.plans % 10
    year.plans += 1
    kind = PLAN_ROTATION[turn]
    mode = (
        PlanMode.open
        if kind is None
        else (PlanMode.sanbu_sanzhi, PlanMode.sibu_liangzhi)[turn % 3 > 0]
    )
    kind = kind or PlanKind.ad_hoc
    window_end = window_start + timedelta(days=rng.choice((4, 6, 9)))
    if window_end >= today:
        status = PlanStatus.active
    elif window_end >= today - timedelta(days=10):
        status = PlanStatus.finished
    else:
        status = PlanStatus.findings_issued
    pool = [s for s, cats in year.sites if category_code in cats]
    n = min(len(pool), rng.choice((2, 3, 3, 4)))
    supervisor = users["supervisor"]
    created = _moment(window_start - timedelta(days=rng.randrange(5, 12)), 10, year.now)
    code = _plan_code(year, window_start)
    draws = []
    if turn in DRAWN_TURNS:  # 双随机: the sites are drawn, with the real algorithm
        draw = _draw(year, code, pool, n, created + timedelta(hours=2))
        by_id = {str(s.id): s for s in pool}
        sites = [by_id[i] for i in draw.result["target_ids"]]
        draws.append(draw)
    else:
        sites = rng.sample(pool, n)
    plan = Plan(
        code=code,
        title=f"{title}({window_start.month}月)",
        matter=matter,
        matter_category=db.session.scalar(select(Category).where(Category.code == category_code)),
        mode=mode,
        kind=kind,
        window_start=window_start,
        window_end=window_end,
        status=status,
        office_unit=year.office,
        created_by_id=supervisor.id,
        leader_id=users["leader"].id if kind == PlanKind.leader_led else None,
        team=[users["inspector"], users["inspector2"]],
        sites=sorted(sites, key=lambda s: s.name),
        target_units=list({s.unit_id: s.unit for s in sites}.values()),
        rechecks=[],
        draws=draws,
        approved_by_id=supervisor.id,
        approved_at=created + timedelta(days=1),
        findings_issued_at=(
            _moment(window_end + timedelta(days=3), 15, year.now)
            if status == PlanStatus.findings_issued
            else None
        ),
        created_at=created,
        updated_at=created + timedelta(days=1),
    )
    db.session.add(plan)
    db.session.flush()
    findings = []
    for site in sites:
        findings += _visit(year, plan, site, category_code)
    if status == PlanStatus.findings_issued:
        _triage(year, plan, findings, category_code)


def _draw(year: Year, code: str, pool: list[Site], n: int, created: datetime) -> Draw:
    seed = hashlib.sha256(f"{SEED}:{code}".encode()).hexdigest()[:32]
    inspectors = [year.users["inspector"], year.users["inspector2"]]
    inputs = {
        "n": n,
        "m": 0,
        "cross_region": False,
        "targets": sorted(
            (
                {"id": str(s.id), "unit_id": str(s.unit_id), "region_code": s.region_code}
                for s in pool
            ),
            key=lambda t: t["id"],
        ),
        "inspectors": sorted(
            (
                {"id": str(u.id), "unit_id": str(u.unit_id), "region_code": u.unit.region_code}
                for u in inspectors
            ),
            key=lambda i: i["id"],
        ),
        "excluded": [],
    }
    return Draw(
        created_by_id=year.users["supervisor"].id,
        created_at=created,
        algorithm=ALGORITHM,
        seed=seed,
        pool=DrawPool.site,
        inputs=inputs,
        result=run_draw(seed, inputs),
    )


def _visit(year: Year, plan: Plan, site: Site, category_code: str) -> list[Finding]:
    rng = year.rng
    day = plan.window_start + timedelta(days=rng.randrange(0, 4))
    if day > year.today:
        return []
    inspector = rng.choice(plan.team)
    arrived = _moment(day, rng.uniform(9, 16), year.now)
    lat = site.lat + rng.uniform(-0.0004, 0.0004)
    lon = site.lon + rng.uniform(-0.0004, 0.0004)
    visit = Visit(
        id=uuid.uuid4(),
        created_by_id=inspector.id,
        plan_id=plan.id,
        site_id=site.id,
        arrived_at=arrived,
        lat=lat,
        lon=lon,
        accuracy_m=round(rng.uniform(5, 25), 1),
        distance_to_site_m=round(_metres(site.lat, site.lon, lat, lon), 1),
        flags=[],
        device_clock_offset_s=round(rng.uniform(-3, 3), 1),
        received_at=arrived + timedelta(minutes=rng.randrange(2, 90)),
        client_time=arrived.astimezone(CHINA).isoformat(),
    )
    visit.created_at = visit.updated_at = visit.received_at
    db.session.add(visit)
    db.session.flush()  # before its findings, which name it by id only
    findings = []
    count = rng.choices((0, 1, 2, 3), (25, 45, 22, 8))[0]
    for title, description, severity in rng.sample(FINDINGS[category_code], count):
        observed = arrived + timedelta(minutes=rng.randrange(10, 90))
        finding = Finding(
            id=uuid.uuid4(),
            created_by_id=inspector.id,
            plan_id=plan.id,
            site_id=site.id,
            visit_id=visit.id,
            unit_id=site.unit_id,
            title=title,
            description=description,
            category=category_code,
            severity=Severity(severity),
            triage_status=TriageStatus.pending,
            lat=lat + rng.uniform(-0.0002, 0.0002),
            lon=lon + rng.uniform(-0.0002, 0.0002),
            accuracy_m=round(rng.uniform(5, 20), 1),
            observed_at=observed,
            received_at=observed + timedelta(minutes=rng.randrange(2, 60)),
            client_time=observed.astimezone(CHINA).isoformat(),
        )
        finding.created_at = finding.updated_at = finding.received_at
        db.session.add(finding)
        findings.append(finding)
    db.session.flush()
    return findings


# ---- triage and items ----


def _triage(year: Year, plan: Plan, findings: list[Finding], category_code: str) -> None:
    rng, supervisor = year.rng, year.users["supervisor"]
    day = _workday(plan.window_end + timedelta(days=rng.randrange(2, 5)))
    when = _moment(day, 10, year.now)
    kept = []
    for finding in findings:
        roll = rng.random()
        if roll < 0.08:
            with at(when, finding):
                triage.reject_finding(finding, rng.choice(TRIAGE_REJECT_REASONS), supervisor)
        elif roll < 0.13 and kept and kept[-1].site_id == finding.site_id:
            with at(when, finding):
                triage.merge_finding(finding, kept[-1], supervisor)
        else:
            kept.append(finding)
    for finding in kept:
        _item(year, plan, [finding], category_code, day)


def _item(year, plan, findings, category_code, triaged_on: date) -> None:
    rng, users, today = year.rng, year.users, year.today
    supervisor, leader = users["supervisor"], users["leader"]
    finding = findings[0]
    site = finding.site
    high = finding.severity == Severity.high
    listed = high and rng.random() < 0.45
    # Building work gets longer than a window's staff or a fire exit.
    days = rng.choice(LONG if category_code in LONG_WORK else SHORT)
    days = min(days, 15) if high and category_code not in LONG_WORK else days
    created = _moment(triaged_on, 10.5, year.now)
    with at(created, *findings) as added:
        item = operations.create_item(
            {
                "finding_ids": [f.id for f in findings],
                "unit_id": site.unit_id,
                "problem": f"{finding.title}({site.name})",
                "measures": MEASURES[category_code],
                "requirements": "整改到位后上传整改前后对比照片,申请销号。",
                "lead_official_id": leader.id if listed or rng.random() < 0.4 else None,
                "responsible_person": "分管负责同志",
                "listed": listed,
                "deadline_working_days": days,
            },
            supervisor,
        )
        item.code = _item_code(year, triaged_on.year)
    assert item in added
    year.items.append(item)
    issued_on = _workday(triaged_on + timedelta(days=rng.randrange(0, 3)))
    if issued_on > today:
        return  # still a draft
    issued = _moment(issued_on, 15, year.now)
    with at(issued, item) as added:
        operations.issue_item(item, supervisor)
        item.deadline, item.deadline_confirmed = add_working_days(issued_on, days)
        for row in added:
            if getattr(row, "action", None) == "rectification.issued":
                row.details = {
                    **row.details,
                    "deadline": item.deadline.isoformat(),
                    "deadline_confirmed": item.deadline_confirmed,
                }
    _follow(year, item, issued_on)


def _item_code(year: Year, calendar_year: int) -> str:
    n = year.item_numbers.get(calendar_year, 0) + 1
    year.item_numbers[calendar_year] = n
    return f"ZG-{calendar_year}-{n:05d}"


def _fate(rng: random.Random, deadline: date, today: date) -> str:
    if deadline < today - timedelta(days=20):
        choices = {
            "on_time": 52,
            "late": 18,
            "returned_once": 14,
            "overdue": 12,
            "returned_twice": 4,
        }
    elif deadline < today:
        choices = {"on_time": 35, "late": 20, "overdue": 35, "returned_once": 10}
    else:
        choices = {
            "working": 50,
            "behind": 15,
            "requested": 15,
            "on_time": 10,
            "returned_twice": 10,
        }
    return rng.choices(list(choices), list(choices.values()))[0]


def _follow(year: Year, item: Rectification, issued_on: date) -> None:
    """The item's life from its issue to today, as its fate says."""
    rng, today = year.rng, year.today
    responder = _responder(year, item)
    supervisor = year.users["supervisor"]
    span = max((item.deadline - issued_on).days, 1)
    fate = _fate(rng, item.deadline, today)

    def day_at(share: float) -> date:
        return _workday(issued_on + timedelta(days=max(1, round(span * share))))

    def when(day: date, hour: float) -> datetime | None:
        return None if day > today else _moment(day, hour, year.now)

    steps: list[tuple[date, str, dict]] = [(day_at(0.05), "acknowledge", {})]
    if fate in ("overdue", "behind"):
        steps += [(day_at(0.3), "progress", {"percent": 20})]
        if fate == "overdue":
            steps += [(day_at(0.6), "progress", {"percent": 40})]
    elif fate == "working":
        for share in (0.3, 0.6, 0.9):
            steps.append((day_at(share), "progress", {"percent": min(90, round(share * 100) + 10)}))
    else:
        steps += [
            (day_at(0.35), "progress", {"percent": 40}),
            (day_at(0.7), "progress", {"percent": 80}),
        ]
        request = (
            day_at(0.7) if fate != "late" else item.deadline + timedelta(days=rng.randrange(4, 20))
        )
        request = _workday(request)
        steps.append((request, "request", {}))
        if fate in ("returned_once", "returned_twice"):
            steps.append((_workday(request + timedelta(days=3)), "field", {"passed": False}))
            again = _workday(request + timedelta(days=10))
            steps += [
                (again, "progress", {"percent": 90}),
                (_workday(again + timedelta(days=2)), "request", {}),
            ]
            if fate == "returned_twice":
                steps.append((_workday(again + timedelta(days=5)), "desk", {"passed": False}))
                steps.append((_workday(again + timedelta(days=8)), "progress", {"percent": 70}))
            else:
                steps.append((_workday(again + timedelta(days=6)), "field", {"passed": True}))
        elif fate == "requested":
            if rng.random() < 0.5:
                steps.append((_workday(request + timedelta(days=1)), "assign", {}))
        else:
            method = "field" if rng.random() < 0.35 else "desk"
            steps.append(
                (_workday(request + timedelta(days=rng.randrange(1, 3))), method, {"passed": True})
            )
    for day, action, args in steps:
        moment = when(day, rng.uniform(9, 17))
        if moment is None:
            break
        _step(year, item, action, args, moment, responder, supervisor)


def _responder(year: Year, item: Rectification) -> User:
    """The unit's liaison: a demo account's, or one of LIAISONS."""
    return next(
        u for u in year.users.values() if u.role == Role.responder and u.unit_id == item.unit_id
    )


def _step(year, item, action, args, moment, responder, supervisor) -> None:
    inspector = year.users[year.rng.choice(("inspector", "inspector2"))]
    with at(moment, item):
        if action == "acknowledge":
            workflow.acknowledge(item, responder)
        elif action == "progress":
            body = (
                "已制定整改方案,明确责任人和时限,正在推进。"
                if args["percent"] < 60
                else "主要整改任务已完成,正在完善资料。"
            )
            workflow.report_progress(item, {"body": body, "percent": args["percent"]}, responder)
        elif action == "request":
            workflow.request_closure(
                item, {"body": "整改任务已全部完成,整改前后对比资料已上传。"}, responder
            )
        elif action == "desk":
            reason = "资料核实无误" if args["passed"] else "整改资料不完整,请补充后重新申请"
            verification.record_desk_verification(
                item, {"passed": args["passed"], "reason": reason}, supervisor
            )
        elif action in ("field", "assign"):
            visit = verification.assign_field_verification(
                item,
                {
                    "inspector_id": inspector.id,
                    "instructions": "回头看:不打招呼,直奔现场核实整改效果。",
                },
                supervisor,
            )
            if action == "field":
                passed = args["passed"]
                site = item.site
                verification.report_field_visit(
                    visit,
                    {
                        "report": "现场核实,整改已到位,群众认可。"
                        if passed
                        else "现场核实,问题仍然存在,整改不到位。",
                        "opinion": "passed" if passed else "failed",
                        "lat": site.lat if site else None,
                        "lon": site.lon if site else None,
                        "accuracy_m": 12.0,
                    },
                    inspector,
                )
                reason = "回头看核实整改到位" if passed else "回头看发现问题反弹,整改不到位"
                verification.decide(item, visit, {"passed": passed, "reason": reason}, supervisor)
