"""The demo office's clues from the public (线索): 12345 work orders and a letter over the
last weeks, each at a step of its way: received (two of them the same complaint), forwarded
and answered, forwarded and waiting (to 住建局), forwarded and overdue, behind the active
demo plan's site, closed with a reply (one rectified through an issued plan's item),
rejected. Filed and worked through the clue operations (numbered, audited), dated to their
past days with `at`. Skipped once the office has any clue. Reporters' names and numbers
are obviously made up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.clues import operations as ops
from server.demo_county import _moment, _workday, at
from server.extensions import db
from server.models import (
    Clue,
    ClueTopic,
    Finding,
    Plan,
    PlanClue,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Site,
    Unit,
    User,
    rectification_finding,
)
from server.settings import get_setting
from server.timeutil import local_today
from server.workdays.calendar import add_working_days

# key: (days ago, source, work order number, topic code, summary, place, township code,
#       reporter, contact)
CLUES = {
    "road": (3, "hotline", "GD{y}0001", "urban_construction",
             "来电反映冠山街道龙泉社区东门外人行道塌陷约两平方米,已有老人摔倒,多日无人修复。",
             "龙里县冠山街道龙泉社区东门", "522730001", "张**", "139****0001"),
    "road_again": (2, "hotline", "GD{y}0002", "urban_construction",
                   "再次反映龙泉社区东门人行道塌陷未修复,夜间无警示标志。",
                   "龙里县冠山街道龙泉社区东门", "522730001", "李**", "139****0002"),
    "wages": (1, "hotline", "GD{y}0003", "wages",
              "来电反映谷脚镇观音村安置房工地拖欠二十余名农民工工资约三个月。",
              "龙里县谷脚镇观音村安置房工地", "522730101", "王**", "139****0003"),
    "clinic": (14, "hotline", "GD{y}0004", "health",
               "反映湾滩河镇卫生院夜间急诊无医生值班,电话长时间无人接听。",
               "龙里县湾滩河镇卫生院", "522730104", "赵**", "139****0004"),
    "water": (20, "hotline", "GD{y}0005", "agriculture",
              "反映龙山镇水场村饮水工程完工后水压不足,高处农户经常停水。",
              "龙里县龙山镇水场村", "522730100", "刘**", "139****0005"),
    "scaffold": (6, "letter", "XF{y}-017", "safety",
                 "群众来信反映龙山镇保障性住房项目工地夜间施工,脚手架防护网缺失。",
                 "龙里县龙山镇冠山大道", "522730100", "陈**", "139****0006"),
    "market": (45, "hotline", "GD{y}0006", "market",
               "反映醒狮镇农贸市场活禽摊位污水横流,气味难闻。",
               "龙里县醒狮镇农贸市场", "522730102", "周**", "139****0007"),
    "subsidy": (60, "hotline", "GD{y}0007", "agriculture",
                "反映洗马镇平坡村刺梨种植补贴公示名单与实际种植户不符。",
                "龙里县洗马镇平坡村", "522730103", "吴**", "139****0008"),
    "dispute": (30, "hotline", "GD{y}0008", "other",
                "来电反映与邻居宅基地边界纠纷,要求督查室出面处理。",
                "龙里县谷脚镇茶香村", "522730101", "郑**", "139****0009"),
}  # fmt: skip


def seed_demo_clues(office: Unit, plan_code: str) -> None:
    if db.session.scalar(select(Clue.id).where(Clue.office_unit_id == office.id).limit(1)):
        return
    now = datetime.now(UTC)
    today = local_today(now)
    users = {u.username: u for u in db.session.scalars(select(User))}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    topics = {t.code: t for t in db.session.scalars(select(ClueTopic))}
    supervisor = users["supervisor"]

    def moment(days_ago: int, hour: float = 9.5):
        return _moment(today - timedelta(days=days_ago), hour, now)

    clues = {}
    for key, (ago, source, ref, topic, summary, place, region, name, phone) in CLUES.items():
        received = today - timedelta(days=ago)
        data = {
            "source": source, "source_ref": ref.format(y=received.year), "received_on": received,
            "summary": summary, "place": place, "region_code": region,
            "topic_id": topics[topic].id if topic in topics else None,
            "reporter_name": name, "reporter_contact": phone,
        }  # fmt: skip
        with at(moment(ago)):
            clues[key] = ops.create_clue(data, supervisor)
    days = get_setting("clue_answer_working_days")

    def forward(clue, unit_code, ago, note):
        with at(moment(ago, 15), clue):
            ops.forward_clue(clue, {"unit_id": units[unit_code].id, "note": note}, supervisor)
        clue.answer_due, _ = add_working_days(_workday(today - timedelta(days=ago)), days)

    # Forwarded to 卫健局 two weeks ago: answered. To 农业农村局: past its deadline.
    forward(clues["clinic"], "LL-WJJ", 13, "请核实卫生院夜间值班制度落实情况并答复。")
    liaison = db.session.scalar(
        select(User).where(User.unit_id == units["LL-WJJ"].id, User.active).limit(1)
    )
    if liaison is not None:
        with at(moment(6, 16), clues["clinic"]):
            ops.answer_clue(
                clues["clinic"], "经核查,该院已重新排定夜间值班表并公布值班电话,"
                "对当晚值班医生脱岗问题予以通报批评。", liaison,
            )  # fmt: skip
    forward(clues["water"], "LL-NYJ", 19, "请核查饮水工程水压问题,提出整改措施。")
    # Yesterday's wage arrears to 住建局 (the demo's responder_zjj): waiting for its answer.
    forward(clues["wages"], "LL-ZJJ", 1, "请核查安置房工地欠薪情况,督促施工单位限期支付并答复。")

    # Behind a target of the active demo plan (the office's secret: nobody is told).
    plan = db.session.scalar(select(Plan).where(Plan.code == plan_code))
    site = db.session.scalar(select(Site).where(Site.name == "龙山镇保障性住房项目工地"))
    if plan is not None and site is not None and plan.status == PlanStatus.active:
        with at(moment(5, 11), clues["scaffold"]):
            ops.link_to_plan(clues["scaffold"], plan.id, site.id, supervisor)

    # Closed: rectified through an issued plan's item (made a reason for it after the
    # fact, as the office records where a complaint led), and one not verified.
    _behind_issued_plan(clues["market"], supervisor, now)
    with at(moment(10, 16), clues["market"]):
        ops.close_clue(
            clues["market"], "rectified", "经督查属实,已督促市场监管部门整改,"
            "活禽摊位已集中区域经营并每日冲洗。感谢您的监督。", supervisor,
        )  # fmt: skip
    with at(moment(40, 16), clues["subsidy"]):
        ops.close_clue(
            clues["subsidy"], "not_verified", "经实地核查,公示名单与种植户一致,"
            "反映情况不属实。如有新的线索请再次来电。", supervisor,
        )  # fmt: skip
    with at(moment(29, 10), clues["dispute"]):
        ops.reject_clue(
            clues["dispute"], "属于民事纠纷,不属于督查范围",
            "您反映的宅基地纠纷属民事纠纷,建议向茶香村人民调解委员会申请调解。", supervisor,
        )  # fmt: skip
    db.session.flush()


def _behind_issued_plan(clue: Clue, supervisor: User, now: datetime) -> None:
    """The newest issued plan with an item at the market kind of site (else any issued
    plan with an item): the clue stands behind that item's site."""
    rows = db.session.execute(
        select(Plan, Finding.site_id)
        .join(Finding, Finding.plan_id == Plan.id)
        .join(rectification_finding, rectification_finding.c.finding_id == Finding.id)
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(
            Plan.status == PlanStatus.findings_issued,
            Plan.office_unit_id == clue.office_unit_id,
            Rectification.status != RectificationStatus.draft,
        )
        .order_by(Plan.findings_issued_at.desc())
        .limit(20)
    ).all()
    if not rows:
        return
    markets = [r for r in rows if "农贸市场" in db.session.get(Site, r[1]).name]
    plan, site_id = (markets or rows)[0]
    db.session.add(
        PlanClue(plan_id=plan.id, clue=clue, site_id=site_id,
                 created_at=now - timedelta(days=12), created_by_id=supervisor.id)
    )  # fmt: skip
    db.session.flush()
