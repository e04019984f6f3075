"""Issue 15's acceptance path in real Chromium, through the console alone: a synced finding
is triaged into a titled item, issued after a confirmation, instructed by the leader
(批示), acknowledged after a confirmation, the 批示 answered, progress reported, closure
requested by the unit, and closed (销号) after a confirmation; the ledger then shows no
open 批示. The desk works at 1280 px, the leader and the unit on phones (390 px). Nobody
touches the API or the database after the field data is there."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Instruction, PlanStatus, Rectification, Role, UnitKind
from server.models import RectificationStatus as S
from server.timeutil import local_today
from tests.e2e.confirming import press_and_confirm
from tests.e2e.layout import fits
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e


def read(statement):
    value = db.session.scalar(statement)
    db.session.rollback()  # end the read: the server writes from its own threads
    return value


def test_an_office_carries_a_finding_to_closure_with_a_leaders_instruction(
    browser, live_server, factory
):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住建局")
    supervisor = factory.user(Role.supervisor, office)
    leader = factory.user(Role.leader, office)
    responder = factory.user(Role.responder, unit)
    inspector = factory.user(Role.inspector, office)
    site = factory.site(unit)
    plan = factory.plan(
        office, supervisor, team=[inspector], sites=[site], status=PlanStatus.active
    )
    finding = factory.finding(plan, inspector, title="工地未设置安全围挡,存在坠落隐患")
    db.session.commit()
    deadline = (local_today() + timedelta(days=30)).isoformat()
    # Plain values: read() rolls back, and a lazy reload of an expired object would open a
    # transaction (on SQLite a snapshot) that the next read() would then see through.
    names = {u: u.username for u in (supervisor, leader, responder)}
    unit_id, leader_id, finding_id = str(unit.id), str(leader.id), str(finding.id)

    desk = new_desk(browser, live_server, 1280)
    phones = [new_desk(browser, live_server, 390, 844) for _ in range(2)]
    try:
        # The office: triage the finding into a titled item and issue it.
        page = desk.new_page()
        log_in(page, names[supervisor])
        page.wait_for_url("**/console/")
        page.goto("/console/triage")
        page.locator(f'input[name="finding_ids"][value="{finding_id}"]').check()
        page.get_by_role("button", name="转为整改事项").click()
        page.wait_for_url("**/console/rectifications/new?*")
        page.get_by_label("标题").fill("工地围挡缺失")
        page.get_by_label("整改措施").fill("三日内设置连续封闭围挡")
        page.get_by_label("责任单位").select_option(unit_id)
        page.get_by_label("牵头领导").select_option(leader_id)
        page.get_by_label("完成日期").fill(deadline)
        page.get_by_role("button", name="创建整改事项(草稿)").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("工地围挡缺失")
        item_id = uuid.UUID(page.url.rstrip("/").split("/")[-1])
        item = select(Rectification.status).where(Rectification.id == item_id)
        assert read(item) == S.draft
        press_and_confirm(page.get_by_role("button", name="交办"), "交办")
        expect(page.locator(".ok-notice")).to_contain_text("已交办")
        assert read(item) == S.issued

        # The leader, on his phone: a 批示 on the item he leads.
        leader_page = phones[0].new_page()
        log_in(leader_page, names[leader])
        leader_page.wait_for_url("**/console/")
        leader_page.goto(f"/console/unit/items/{item_id}")
        leader_page.get_by_label("批示内容").fill("请立即整改,确保施工安全")
        leader_page.get_by_role("button", name="提交批示").click()
        expect(leader_page.get_by_role("status")).to_have_text("批示已送达责任单位。")
        fits(leader_page)

        # The office's ledger marks the open 批示.
        page.goto("/console/ledger?open_instruction=true")
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody")).to_contain_text("待回复批示")
        expect(page.locator("tbody")).to_contain_text("工地围挡缺失")

        # The unit, on its phone: acknowledge, answer the 批示, apply for closure.
        unit_page = phones[1].new_page()
        log_in(unit_page, names[responder])
        unit_page.wait_for_url("**/console/")
        unit_page.goto("/console/unit/items")
        unit_page.get_by_role("link", name="工地围挡缺失").first.click()
        expect(unit_page.locator("#instructions")).to_contain_text("请立即整改,确保施工安全")
        press_and_confirm(unit_page.get_by_role("button", name="签收"), "签收")
        expect(unit_page.get_by_role("status")).to_contain_text("已签收")
        assert read(item) == S.acknowledged
        card = unit_page.locator("#instructions")
        card.get_by_label("回复批示").fill("已连夜设置围挡,三日内完成验收")
        card.get_by_role("button", name="回复批示").click()
        expect(unit_page.get_by_role("status")).to_have_text("批示已回复。")
        unit_page.get_by_label("进展情况").fill("已设置围挡 200 米,剩余部分明日完成")
        unit_page.get_by_label("完成比例(%)").fill("80")
        unit_page.get_by_role("button", name="报送进展").click()
        expect(unit_page.get_by_role("status")).to_contain_text("进展")
        assert read(item) == S.in_progress
        unit_page.get_by_label("整改完成情况").fill("围挡已全部设置,经项目部自查合格")
        unit_page.get_by_role("button", name="申请销号").click()
        expect(unit_page.get_by_role("status")).to_contain_text("销号申请已提交")
        assert read(item) == S.closure_requested
        fits(unit_page)
        answered = select(Instruction.answered_at).where(Instruction.rectification_id == item_id)
        assert read(answered) is not None

        # The office closes it (销号) after a confirmation; no open 批示 remains.
        page.goto(f"/console/rectifications/{item_id}")
        press_and_confirm(page.get_by_role("button", name="书面核查通过,销号"), "销号")
        expect(page.locator(".ok-notice")).to_contain_text("销号")
        assert read(item) == S.closed
        page.goto("/console/ledger?open_instruction=true")
        expect(page.locator("tbody tr")).to_have_count(0)

        # The leader sees the answer and the closure.
        leader_page.goto("/console/")
        expect(leader_page.locator("#my-instructions")).to_contain_text("已回复")
        leader_page.goto(f"/console/unit/items/{item_id}")
        expect(leader_page.locator("body")).to_contain_text("已销号")
    finally:
        desk.close()
        for context in phones:
            context.close()
