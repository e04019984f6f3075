"""A county's year of demo work (龙里县), so the ledger, the dashboards and the map have
something to show: `seed_county_year` and the year's plans, about thirty over the last
twelve months (mostly unannounced, many routine special, many drawn at random), their
draws (the real algorithm, run on a recorded seed), check-ins and findings of every
category and severity, made as rows (as server/demo.py makes its plan and
server/demo_rectification.py its findings), one seeded random generator and dates
counted back from today. A plan whose findings are issued hands them to the triage in
server/demo_county_items.py, which makes the items and follows them to today; the
county's sites, liaisons, `Year` state and clock are in server/demo_county.py."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from server.demo_county import (
    SEED,
    Year,
    _ensure_liaisons,
    _ensure_sites,
    _metres,
    _moment,
    _workday,
)
from server.demo_county_items import _triage
from server.extensions import db
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
    Severity,
    Site,
    TriageStatus,
    Unit,
    User,
    Visit,
)
from server.plans.draw import ALGORITHM, run_draw
from server.rectification.colour import refresh_red_from
from server.timeutil import CHINA, local_today

MONTHS = 12

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
