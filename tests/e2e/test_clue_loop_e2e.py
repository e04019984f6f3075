"""Issue 17's acceptance path in real Chromium, through the console alone: the office
imports the 12345 platform's export, triages the clues (one forwarded to the unit, one
not taken up, one made the reason for a target of an unannounced plan), the unit learns
nothing of the plan while it answers what it was forwarded, the visit's finding is issued
as an item and closed (销号) from the clue's own page, the clue is closed with a reply,
and the replies go back to the platform as CSV in its format, without the reporter.

The field visit itself (a finding synced at the site, issued as an item that the unit
then reports done) is set up in the database: tests/e2e/test_office_loop_e2e.py walks
those steps in the browser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import (
    Clue,
    ClueStatus,
    PlanMode,
    PlanStatus,
    Rectification,
    Region,
    Role,
    UnitKind,
)
from server.models import RectificationStatus as S
from tests.e2e.confirming import press_and_confirm
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in
from tests.e2e.test_office_loop_e2e import fits, read

pytestmark = pytest.mark.e2e
EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "12345_workorders_gbk.csv"
ROAD, WAGES, CLINIC = "GD20260301000123", "GD20260302000456", "GD20260303000789"
PLAN_TITLE = "幸福小区道路塌陷问题暗访"
CONTACTS = ("139****0001", "138****0002", "张先生")


def clue_id(ref: str) -> str:
    return str(read(select(Clue.id).where(Clue.source_ref == ref)))


def test_an_office_works_12345_clues_into_an_unannounced_visit_and_replies(
    browser, live_server, factory
):
    office = factory.unit("龙里县人民政府督查室", kind=UnitKind.office)
    unit = factory.unit("龙里县住房和城乡建设局")
    unit.code = "LL-ZJJ"
    db.session.add_all(
        [Region(code="522730100", name="龙山镇"), Region(code="522730101", name="谷脚镇")]
    )
    supervisor = factory.user(Role.supervisor, office)
    responder = factory.user(Role.responder, unit)
    inspector = factory.user(Role.inspector, office)
    site = factory.site(unit, region_code="522730100")
    site.name = "龙山镇幸福小区"
    plan = factory.plan(
        office, supervisor, team=[inspector], mode=PlanMode.sibu_liangzhi,
        status=PlanStatus.approved, title=PLAN_TITLE,
    )  # fmt: skip
    db.session.commit()
    ids = {"site": str(site.id), "plan": str(plan.id), "unit": str(unit.id)}
    names = (supervisor.username, responder.username)
    plan_code = plan.code

    desk = new_desk(browser, live_server, 1280)
    phone = new_desk(browser, live_server, 390, 844)
    try:
        page = desk.new_page()
        log_in(page, names[0])
        page.wait_for_url("**/console/")

        # 1. Import the platform's export: preview, then 确认导入.
        page.get_by_role("link", name="群众线索").first.click()
        page.goto("/console/clues/import")
        page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(EXPORT))
        page.get_by_role("button", name="上传并预览").click()
        expect(page.locator("main")).to_contain_text("新增 3 条")
        page.get_by_role("button", name="确认导入(3 条)").click()
        expect(page.get_by_role("status").first).to_contain_text("新增线索 3 条")
        page.goto("/console/clues")
        for ref in (ROAD, WAGES, CLINIC):
            expect(page.locator("main tbody")).to_contain_text(ref)

        # 2. Triage: forward the wage arrears to the unit, decline the clinic.
        page.goto(f"/console/clues/{clue_id(WAGES)}")
        page.get_by_label("转办单位").select_option(ids["unit"])
        page.get_by_label("转办意见(可选)").fill("请核实欠薪情况并答复")
        page.get_by_role("button", name="转办", exact=True).click()
        expect(page.locator(".ok-notice")).to_contain_text("已转办")
        page.goto(f"/console/clues/{clue_id(CLINIC)}")
        page.get_by_label("理由", exact=True).fill("已由卫健部门专项检查覆盖")
        press_and_confirm(page.get_by_role("button", name="不予采用"), "不予采用")
        # The flash, not the page's text: the page names 不予采用 before the post too.
        expect(page.locator(".ok-notice")).to_contain_text("不予采用")
        assert read(select(Clue.status).where(Clue.source_ref == CLINIC)) == ClueStatus.rejected

        # 3. The road clue becomes the reason for a target of the unannounced plan.
        road = clue_id(ROAD)
        page.goto(f"/console/clues/{road}")
        page.get_by_label("纳入暗访计划").select_option(ids["plan"])
        page.get_by_label("目标点位").select_option(ids["site"])
        page.get_by_role("button", name="纳入计划").click()
        expect(page.locator(".ok-notice")).to_contain_text(f"已纳入暗访计划 {plan_code}")
        assert read(select(Clue.status).where(Clue.source_ref == ROAD)) == ClueStatus.planned
        page.goto(f"/console/plans/{ids['plan']}")
        expect(page.locator("main")).to_contain_text("线索来源")
        expect(page.locator("main")).to_contain_text("龙山镇幸福小区")
        fits(page)

        # 4. The unit, on a phone, sees the clue it was forwarded and nothing of the plan.
        unit_page = phone.new_page()
        log_in(unit_page, names[1])
        unit_page.wait_for_url("**/console/")
        unit_page.goto("/console/unit/clues")
        expect(unit_page.locator("main")).to_contain_text("观音村安置房工地")
        for hidden in (PLAN_TITLE, plan_code, "幸福小区", *CONTACTS):
            expect(unit_page.locator("body")).not_to_contain_text(hidden)
        unit_page.locator("main a", has_text="观音村").first.click()
        unit_page.get_by_label("答复内容").fill("经核实已督促施工方结清工资")
        unit_page.get_by_role("button", name="提交答复").click()
        expect(unit_page.get_by_role("status").first).to_contain_text("已答复,督查室将收到通知")
        fits(unit_page)

        # 5. The visit found the problem and its item was issued; the unit reports it done
        # on its phone. The office follows it from the clue and closes the item (销号).
        finding = factory.finding(
            plan, inspector, site_id=site.id, title="幸福小区门口道路塌陷约三平方米"
        )
        item = factory.rectification(office, unit, status=S.in_progress, plan=plan)
        item.findings.append(finding)
        plan.status = PlanStatus.findings_issued
        db.session.commit()
        item_id = item.id
        unit_page.goto(f"/console/unit/items/{item_id}")
        unit_page.get_by_label("整改完成情况").fill("路面已修复并通过社区验收")
        unit_page.get_by_role("button", name="申请销号").click()
        expect(unit_page.get_by_role("status")).to_contain_text("销号申请已提交")
        page.goto(f"/console/clues/{road}")
        expect(page.locator("main")).to_contain_text("幸福小区门口道路塌陷约三平方米")
        page.locator("main a", has_text=read(select(Rectification.code).where(
            Rectification.id == item_id))).first.click()  # fmt: skip
        press_and_confirm(page.get_by_role("button", name="书面核查通过,销号"), "销号")
        expect(page.locator(".ok-notice")).to_contain_text("销号")
        assert read(select(Rectification.status).where(Rectification.id == item_id)) == S.closed

        # 6. Close the clue with the reply for the platform.
        page.goto(f"/console/clues/{road}")
        page.get_by_label("办结结果").select_option(label="属实,已整改")
        page.get_by_label("答复内容").fill("经暗访核实属实,已交办住建局修复路面并销号。")
        press_and_confirm(page.get_by_role("button", name="办结"), "办结")
        expect(page.locator(".ok-notice")).to_contain_text("已办结")

        # 7. The replies, in the platform's format, as CSV.
        page.goto("/console/clues/replies")
        expect(page.locator("main tbody")).to_contain_text(ROAD)
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 CSV").click()
        text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        rows = {row["工单编号"]: row for row in csv.DictReader(io.StringIO(text))}
        assert set(rows) == {ROAD, CLINIC}  # the forwarded clue is not ended yet
        assert rows[ROAD]["办理结果"] == "属实,已整改"
        assert rows[ROAD]["答复内容"].startswith("经暗访核实属实")
        assert rows[CLINIC]["答复内容"] == "已由卫健部门专项检查覆盖"
        assert not any(contact in text for contact in CONTACTS)
        fits(page)
    finally:
        desk.close()
        phone.close()
