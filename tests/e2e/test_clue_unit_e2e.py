"""Clues in real Chromium: the responsible unit on a phone (390 px) finds the clues
forwarded to it from its start page, sees the overdue one first, is refused an empty
answer next to the field and answers; the office's dashboard draws the clue charts with
ECharts and shows the two shares, without errors and without sideways scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.clues import operations as ops
from server.extensions import db
from server.models import PlanStatus, Role, UnitKind
from server.timeutil import local_today
from tests.e2e.layout import fits
from tests.e2e.test_dashboards_e2e import new_desk, table_numbers, wait_drawn, watch
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    responder = factory.user(Role.responder, unit)
    clues = []
    for summary in ("小区路灯损坏多日无人维修", "安置点垃圾清运不及时"):
        clue = factory.clue(office, supervisor, summary=summary, unit_id=unit.id)
        ops.forward_clue(clue, {"unit_id": unit.id, "note": "请核实并答复"}, supervisor)
        clues.append(clue)
    clues[1].answer_due = local_today() - timedelta(days=1)  # overdue
    site = factory.site(unit)
    plan = factory.plan(office, supervisor, status=PlanStatus.active, sites=[site])
    ops.link_to_plan(clues[0], plan.id, site.id, supervisor)
    factory.finding(plan, inspector, site_id=site.id, title="路灯损坏")
    db.session.commit()
    return {"supervisor": supervisor, "responder": responder, "clues": clues}


def test_the_unit_answers_a_forwarded_clue_on_a_phone(browser, live_server, world):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        problems = watch(page)
        log_in(page, world["responder"].username)
        page.wait_for_url("**/console/")
        page.get_by_role("link", name="转办线索待答复 2 件").click()
        expect(page.get_by_role("heading", name="待答复 2")).to_be_visible()
        cards = page.locator(".item-card")
        expect(cards.first).to_contain_text("安置点垃圾清运不及时")
        expect(cards.first).to_contain_text("已超期")
        expect(page.locator("nav.portal-nav [aria-current=page]")).to_have_text("转办线索")
        fits(page, "main")
        cards.first.get_by_role("link").click()
        expect(
            page.get_by_role("heading", name=f"{world['clues'][1].code} · 转办线索")
        ).to_be_visible()
        expect(page.locator("main")).to_contain_text("请核实并答复")
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator(".field-error")).to_be_visible()
        page.get_by_label("答复内容(核实情况与处理结果)").fill("已安排环卫公司每日清运")
        fits(page, "main")
        page.get_by_role("button", name="提交答复").click()
        expect(page.get_by_role("status")).to_contain_text("已答复")
        expect(page.locator("main")).to_contain_text("已安排环卫公司每日清运")
        expect(page.get_by_role("button", name="提交答复")).to_have_count(0)
        page.get_by_role("link", name="← 返回转办线索").click()
        expect(page.get_by_role("heading", name="已答复 1")).to_be_visible()
        page.get_by_role("link", name="首页").click()
        expect(page.get_by_role("link", name="转办线索待答复 1 件")).to_be_visible()
        # Only the refused answer's page is reported (it is answered with 422).
        assert [p for p in problems if "status of 422" not in p] == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_office_dashboard_draws_the_clue_figures(browser, live_server, world, width):
    context = new_desk(browser, live_server, width, 844)
    page = context.new_page()
    try:
        problems = watch(page)
        log_in(page, world["supervisor"].username)
        page.wait_for_url("**/console/")
        page.goto("/console/dashboard")
        ids = [c["id"] for c in wait_drawn(page)]
        for chart in ("clue_sources", "clue_topics", "clue_townships", "clue_months"):
            assert chart in ids, (chart, ids)
            expect(page.locator(f'[data-chart="{chart}"] canvas').first).to_be_visible()
        assert table_numbers(page, "clue_sources")["线索数"][0] == "2"
        shares = table_numbers(page, "clue-shares")
        assert shares["数量"] == ["1", "1"] and shares["总数"] == ["1", "2"]
        assert shares["占比"] == ["100.0%", "50.0%"]
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, wide
        assert page.evaluate("window.__cspViolations") == []
        assert problems == []
    finally:
        context.close()
