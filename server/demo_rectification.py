"""Demo findings and rectification items, so the triage queue, the ledger and the unit
portal have something to show: the county's past year (server/demo_county*.py), then
today's plan's items, one in each state, one of them red. Made through the same
operations as real work (audited); skipped once the office has any item."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from server.demo_county_plans import seed_county_year
from server.demo_photos import seed_demo_photo
from server.extensions import db
from server.models import (
    Finding,
    Plan,
    Rectification,
    Severity,
    Site,
    Unit,
    User,
    utcnow,
)
from server.rectification import operations, verification, workflow
from server.rectification.colour import refresh_red_from

FINDINGS = [
    # title, description, site name, severity
    (
        "脚手架未设置安全防护网",
        "三号楼外脚手架东侧无防护网,作业人员未系安全带。",
        "龙山镇保障性住房项目工地",
        Severity.high,
    ),
    (
        "危改户补助资金未按期拨付",
        "走访观音村3户危改户,均反映第二批补助资金尚未到账。",
        "谷脚镇农村危房改造点(观音村)",
        Severity.medium,
    ),
    (
        "施工现场扬尘治理不到位",
        # Long on purpose: the triage page folds descriptions this long.
        "裸露土方未覆盖,出入口无车辆冲洗设施。工地东侧约2000平方米裸露土方未按要求覆盖防尘网,"
        "现场无雾炮、喷淋等降尘设施;出入口未设置车辆冲洗平台,运输车辆带泥上路,冠山大道约"
        "300米路段路面污染明显。走访周边商户和居民5人,均反映晴天扬尘大、雨天路面泥泞,曾多次"
        "向社区反映但未见改善。项目部称降尘设备已采购尚未到货,但未能提供采购合同。",
        "龙山镇保障性住房项目工地",
        Severity.medium,
    ),
    (
        "工程质量检测报告缺失",
        "主体结构检测报告未在现场备查。",
        "龙山镇保障性住房项目工地",
        Severity.low,
    ),
]


def seed_rectification_demo(plan_code: str) -> None:
    plan = db.session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None or db.session.scalar(
        select(Rectification.id).where(Rectification.office_unit_id == plan.office_unit_id)
    ):
        return
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    # The county's past year first, so today's items are numbered after it.
    seed_county_year(plan.office_unit, units, {plan_code})
    users = {u.username: u for u in db.session.scalars(select(User))}
    sites = {s.name: s for s in db.session.scalars(select(Site))}
    supervisor, inspector = users["supervisor"], users["inspector"]
    findings = []
    for i, (title, description, site_name, severity) in enumerate(FINDINGS):
        finding = Finding(
            id=uuid.uuid4(),
            created_by_id=inspector.id,
            plan_id=plan.id,
            site_id=sites[site_name].id,
            title=title,
            description=description,
            category="other",
            severity=severity,
            observed_at=utcnow() - timedelta(days=2, hours=i),
        )
        db.session.add(finding)
        findings.append(finding)
    db.session.flush()
    # A photo with a face on the listed item's finding, for the exposure copies (曝光台).
    scaffold_site = sites[FINDINGS[0][2]]
    seed_demo_photo(findings[0], scaffold_site.lat, scaffold_site.lon)

    def item(findings_used, unit_code, problem, measures, days, listed=False):
        return operations.create_item(
            {
                "finding_ids": [f.id for f in findings_used],
                "unit_id": units[unit_code].id,
                "problem": problem,
                "measures": measures,
                "requirements": "整改到位后上传整改前后对比照片,申请销号。",
                "lead_official_id": users["leader"].id,
                "responsible_person": "分管副局长",
                "listed": listed,
                "deadline_working_days": days,
            },
            supervisor,
        )

    zjj, lsz = users["responder_zjj"], users["responder_lsz"]
    # Issued and waiting for receipt; listed (挂牌督办).
    listed = item(
        findings[:1],
        "LL-ZJJ",
        "保障房项目脚手架无防护网,存在高处坠落隐患",
        "立即停工整改,补设防护网并开展安全教育",
        5,
        listed=True,
    )
    operations.issue_item(listed, supervisor)
    # In progress and overdue: red.
    late = item(
        findings[1:2], "LL-ZJJ", "观音村危改补助资金未按期拨付", "核查拨付流程,限期拨付到户", 10
    )
    operations.issue_item(late, supervisor)
    workflow.acknowledge(late, zjj)
    workflow.report_progress(late, {"body": "已完成核查,正在走拨付流程。", "percent": 20}, zjj)
    late.issued_at = utcnow() - timedelta(days=40)
    late.deadline = (utcnow() - timedelta(days=3)).date()
    late.deadline_working_days = None
    late.last_progress_at = utcnow() - timedelta(days=35)
    refresh_red_from(late)
    # Applied for closure, waiting for verification.
    dust = item([], "LL-LSZ", "莲花社区服务中心周边施工扬尘", "覆盖裸土,设置冲洗平台", 15)
    operations.issue_item(dust, supervisor)
    workflow.acknowledge(dust, lsz)
    workflow.report_progress(dust, {"body": "已覆盖裸土。", "percent": 60}, lsz)
    workflow.request_closure(dust, {"body": "裸土全部覆盖,冲洗平台已建成投用。"}, lsz)
    # Closed after a passed desk verification.
    done = item(findings[3:], "LL-ZJJ", "工程质量检测报告未在现场备查", "补齐检测报告并公示", 5)
    operations.issue_item(done, supervisor)
    workflow.acknowledge(done, zjj)
    workflow.report_progress(done, {"body": "检测报告已补齐。", "percent": 100}, zjj)
    workflow.request_closure(done, {"body": "报告已在现场公示栏张贴。"}, zjj)
    verification.record_desk_verification(
        done, {"passed": True, "reason": "资料核实无误"}, supervisor
    )
    # A draft still being written; one finding (扬尘) waits in the triage queue.
    item([], "LL-NYJ", "刺梨基地补贴申报材料不全", "补充材料", 10)
    db.session.flush()
