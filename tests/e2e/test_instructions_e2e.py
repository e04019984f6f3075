"""Leaders' 批示 in real Chromium on a phone-sized screen: the leader writes one on the
item's page, the unit's responder sees it on the portal and answers it, and the leader
sees the answer on his start page. Nothing is wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Role, UnitKind
from server.timeutil import local_today
from tests.e2e.layout import fits
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e


def test_a_leader_instructs_and_the_unit_answers(page, browser, live_server, factory):
    office = factory.unit("县政府督查室", kind=UnitKind.office)
    unit = factory.unit("县住建局")
    leader = factory.user(Role.leader, office)
    responder = factory.user(Role.responder, unit)
    item = factory.rectification(office, unit)
    item.lead_official_id = leader.id
    item.deadline = local_today() + timedelta(days=30)
    db.session.commit()

    log_in(page, leader.username)
    expect(page.get_by_role("heading", name="领导视图")).to_be_visible()
    page.goto(f"/console/unit/items/{item.id}")
    page.get_by_label("批示内容").fill("请于本月底前完成整改并报告")
    page.get_by_role("button", name="提交批示").click()
    expect(page.get_by_role("status")).to_have_text("批示已送达责任单位。")
    expect(page.locator("#instructions")).to_contain_text("待回复")
    fits(page, "#instruct", "#instructions")

    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    unit_page = context.new_page()
    log_in(unit_page, responder.username)
    unit_page.wait_for_url("**/console/")
    unit_page.goto(f"/console/unit/items/{item.id}")
    card = unit_page.locator("#instructions")
    expect(card).to_contain_text("请于本月底前完成整改并报告")
    fits(unit_page, "#instructions")
    button = card.get_by_role("button", name="回复批示").bounding_box()
    assert button["height"] >= 44  # a tap target
    card.get_by_label("回复批示").fill("已制定方案,月底前完成")
    card.get_by_role("button", name="回复批示").click()
    expect(unit_page.get_by_role("status")).to_have_text("批示已回复。")
    expect(unit_page.locator("#instructions")).to_contain_text("回复:已制定方案,月底前完成")
    context.close()

    page.goto("/console/")
    mine = page.locator("#my-instructions")
    expect(mine).to_contain_text("已回复")
    expect(mine).to_contain_text("已制定方案,月底前完成")
    fits(page, "#my-instructions")
