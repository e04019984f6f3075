"""The negative list in real Chromium at phone width (390 px): the supervisor deducts
points by hand, the unit's responder sees the entry and objects with a reason, the
supervisor rejects one objection and upholds another, and the unit's year total follows.
Nothing on these pages is wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Role, UnitKind
from tests.e2e.layout import fits
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def deduct(page, unit_name: str, points: str, reason: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="负面清单").click()
    page.get_by_role("link", name="添加扣分").first.click()
    page.get_by_label("责任单位").select_option(label=unit_name)
    page.get_by_label("扣分分值(分)").fill(points)
    page.get_by_label("扣分理由").fill(reason)
    fits(page, "main form")
    page.get_by_role("button", name="记录扣分").click()
    expect(page.get_by_role("status").first).to_contain_text("已记录扣分")


def decide(page, reason_shown: str, upheld: bool, why: str) -> None:
    page.goto("/console/points?objection=pending")
    card = page.locator(".points-entry", has_text=reason_shown)
    card.get_by_role("link", name="处理异议").click()
    choice = "异议成立,撤销该扣分" if upheld else "异议不成立,维持扣分"
    page.get_by_label(choice).check()
    page.get_by_label("处理理由").fill(why)
    fits(page, "main")
    page.get_by_role("button", name="提交处理结果").click()
    expect(page.get_by_role("status").first).to_contain_text("异议已处理")


def object_to(page, reason_shown: str, why: str) -> None:
    page.get_by_role("link", name="积分").first.click()
    card = page.locator(".points-entry", has_text=reason_shown)
    card.get_by_text("提出异议").click()
    card.get_by_label("异议理由(每条扣分只能提出一次)").fill(why)
    fits(page, "main")
    card.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("status").first).to_contain_text("异议已提交")
    card = page.locator(".points-entry", has_text=reason_shown)
    expect(card).to_contain_text("异议待处理")
    expect(card.get_by_text("提出异议")).to_have_count(0)  # once only


def test_deduction_objection_and_decisions(browser, live_server, factory):
    office = factory.unit("县政府督查室", kind=UnitKind.office)
    unit = factory.unit("县住建局")
    supervisor = factory.user(Role.supervisor, office)
    responder = factory.user(Role.responder, unit)
    db.session.commit()
    office_ctx = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    unit_ctx = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    desk, phone = office_ctx.new_page(), unit_ctx.new_page()
    log_in(desk, supervisor.username)
    desk.wait_for_url("**/console/")
    log_in(phone, responder.username)
    phone.wait_for_url("**/console/")

    deduct(desk, "县住建局", "3", "台账资料与实际不符")
    expect(desk.locator(".points-total")).to_contain_text("-3")

    phone.get_by_role("link", name="积分").first.click()
    expect(phone.locator(".points-total")).to_contain_text("-3")
    expect(phone.locator(".points-entry")).to_contain_text("台账资料与实际不符")
    fits(phone, "main")
    object_to(phone, "台账资料与实际不符", "资料已于上周补报")

    decide(desk, "台账资料与实际不符", upheld=False, why="补报晚于检查日期")
    expect(desk.locator(".points-entry")).to_contain_text("异议不成立")

    deduct(desk, "县住建局", "2", "未按时报送整改进展")
    expect(desk.locator(".points-total")).to_contain_text("-5")
    phone.reload()
    object_to(phone, "未按时报送整改进展", "系统故障导致无法报送")
    decide(desk, "未按时报送整改进展", upheld=True, why="经核实系统故障属实")

    phone.get_by_role("link", name="积分").first.click()
    expect(phone.locator(".points-total")).to_contain_text("-3")
    upheld = phone.locator(".points-entry", has_text="未按时报送整改进展")
    expect(upheld).to_contain_text("异议成立")
    expect(upheld).to_contain_text("已撤销,不计入")
    expect(phone.locator(".points-entry", has_text="台账资料与实际不符")).to_contain_text(
        "补报晚于检查日期"
    )
    fits(phone, "main")
    desk.goto("/console/points")
    expect(desk.locator(".points-totals")).to_contain_text("县住建局")
    expect(desk.locator(".points-totals")).to_contain_text("-3")
    fits(desk, "main")
    office_ctx.close()
    unit_ctx.close()
