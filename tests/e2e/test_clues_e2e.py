"""The office's clue console in real Chromium at phone width (390 px): a supervisor files a
clue from a 12345 work order, files a second one at the same site and topic, sees it
suggested as a duplicate and merges it; forwards a third to the unit concerned; makes
the first the reason for a target of an approved plan (then it cannot be closed); and,
once a finding there has been issued as an item, closes it with a reply. The confirming
dialogs are the console's own; nothing is wider than the screen. And a plan started from a
clue (以此线索新建计划) holds the clue at its site once saved."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Clue, ClueStatus, Plan, PlanStatus, Role, UnitKind
from tests.e2e.confirming import press_and_confirm
from tests.e2e.layout import fits
from tests.e2e.test_accessibility import check_view
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
CONTACT = "13912345678"


def file_clue(page, ref: str, summary: str, place: str, site: str | None = None) -> str:
    page.get_by_role("link", name="登记线索").first.click()
    page.get_by_label("来源", exact=True).select_option(label="12345热线工单")
    page.get_by_label("来源编号(可选)").fill(ref)
    page.get_by_label("反映内容摘要").fill(summary)
    expect(page.locator("#c-summary-count")).to_contain_text(f"已输入 {len(summary)} /")
    page.get_by_label("地点", exact=True).fill(place)
    if site:
        page.get_by_label("点位(可选)").select_option(value=site)
    page.get_by_label("涉及单位(可选)").select_option(label="县住建局")
    page.get_by_label("分类(可选)").select_option(label="住房保障")
    page.get_by_label("联系方式(可选)").fill(CONTACT)
    fits(page, "main form")
    page.get_by_role("button", name="登记线索").click()
    expect(page.get_by_role("status").first).to_contain_text("已登记线索")
    expect(page.locator(".clue-facts")).to_contain_text(CONTACT)
    return page.locator("h1").inner_text().split()[1]


def status_of(code: str) -> ClueStatus:
    status = db.session.scalar(select(Clue.status).where(Clue.code == code))
    db.session.rollback()  # end the read: the server writes from its own threads
    return status


def test_the_office_works_its_clues(browser, live_server, factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住建局")
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    factory.user(Role.responder, unit)
    site = factory.site(unit)
    plan = factory.plan(office, supervisor, status=PlanStatus.approved, title="保障房工地暗访")
    db.session.commit()
    # Read now: a rollback (after each status read) expires the objects, and loading one
    # later would open a read that cannot see the server's writes.
    plan_id, plan_code, site_id = plan.id, plan.code, str(site.id)
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, supervisor.username)
    page.wait_for_url("**/console/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="群众线索").click()
    expect(page.locator(".empty-state")).to_contain_text("还没有线索")

    first = file_clue(page, "GD0001", "幸福小区保障房工地夜间施工扰民", "龙山镇幸福小区", site_id)
    page.get_by_role("link", name="← 返回线索台账").click()
    second = file_clue(page, "GD0002", "保障房工地晚上十点后仍在施工", "幸福小区北门", site_id)

    # The second repeats the first: suggested, and merged into it.
    suggestion = page.locator(".clue-candidate", has_text=first)
    expect(suggestion).to_contain_text("同一地点同类问题")
    fits(page, "main")
    problems: list[str] = []  # axe and 44 px targets on the pages the matrix's world lacks
    check_view(page, "clue with a duplicate suggested", PHONE["width"], problems)
    press_and_confirm(suggestion.get_by_role("button", name="合并为其重复"), "合并")
    expect(page.get_by_role("status").first).to_contain_text(f"已将 {second} 合并到 {first}")
    expect(page.locator("#duplicates")).to_contain_text(second)
    assert status_of(second) == ClueStatus.merged

    # A third is forwarded to the unit for an answer.
    page.get_by_role("link", name="← 返回线索台账").click()
    third = file_clue(page, "GD0003", "城南路段路灯损坏多日无人维修", "城南路")
    forwarding = page.locator("#forwarding")
    forwarding.get_by_label("转办单位").select_option(label="县住建局")
    forwarding.get_by_label("转办意见(可选)").fill("请核实并于期限内答复")
    forwarding.get_by_role("button", name="转办").click()
    expect(page.get_by_role("status").first).to_contain_text("已转办县住建局")
    expect(page.locator("#forwarding")).to_contain_text("尚未答复")
    assert status_of(third) == ClueStatus.forwarded

    # The first becomes the reason for the plan's target at its site: it is held.
    page.goto("/console/clues?q=" + first)
    page.get_by_role("link", name=first).click()
    plans = page.locator("#plans")
    plans.get_by_label("纳入暗访计划").select_option(label=f"{plan_code} 保障房工地暗访(已批准)")
    expect(plans.get_by_label("目标点位")).to_have_value(site_id)
    plans.get_by_role("button", name="纳入计划").click()
    expect(page.get_by_role("status").first).to_contain_text(f"已纳入暗访计划 {plan_code}")
    expect(page.locator("#secret")).to_contain_text("暂不能办结")
    expect(page.get_by_role("button", name="办结")).to_have_count(0)
    assert status_of(first) == ClueStatus.planned

    # The visit finds the problem and the office issues it as an item.
    plan = db.session.get(Plan, plan_id)  # as the server left it (the site added)
    finding = factory.finding(
        plan, inspector, site_id=plan.sites[0].id, title="夜间违规施工未办许可"
    )
    item = factory.rectification(office, unit, plan=plan)
    item.findings.append(finding)
    plan.status = PlanStatus.findings_issued
    item_code = item.code
    db.session.commit()

    page.reload()
    expect(page.locator("#plans")).to_contain_text("夜间违规施工未办许可")
    expect(page.locator("#plans")).to_contain_text(item_code)
    ending = page.locator("#ending")
    ending.get_by_label("办结结果").select_option(label="属实,已整改")
    expect(ending.get_by_label("答复内容")).to_have_value(
        "您反映的问题经核查属实,已督促责任单位整改到位。感谢您对督查工作的支持。"
    )
    ending.get_by_label("答复内容").fill("经暗访核实属实,已责成县住建局整改并办理施工许可。")
    fits(page, "main")
    check_view(page, "clue with its plan's finding and item", PHONE["width"], problems)
    assert not problems, "\n".join(problems)
    press_and_confirm(ending.get_by_role("button", name="办结"), "办结")
    expect(page.get_by_role("status").first).to_contain_text(f"线索 {first} 已办结")
    expect(page.locator(".clue-facts")).to_contain_text("经暗访核实属实")
    assert status_of(first) == ClueStatus.closed

    # The register counts what happened.
    page.get_by_role("link", name="← 返回线索台账").click()
    counts = page.locator(".clue-counts")
    expect(counts).to_contain_text("已办结 1")
    expect(counts).to_contain_text("已合并 1")
    expect(counts).to_contain_text("已转办待答复 1")
    expect(page.locator("table")).to_contain_text(f"{date.today().isoformat()}")
    fits(page)
    context.close()


def test_a_plan_is_started_from_a_clue(browser, live_server, factory):
    """以此线索新建计划: the form comes filled from the clue; once saved, the plan lists the
    clue under 线索来源 at its site, and the clue shows the plan."""
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住建局")
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    site = factory.site(unit)
    clue = factory.clue(
        office, supervisor, summary="幸福小区保障房工地夜间施工扰民", site_id=site.id,
        unit_id=unit.id,
    )  # fmt: skip
    db.session.commit()
    code, clue_id, site_name = clue.code, clue.id, site.name
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, supervisor.username)
    page.wait_for_url("**/console/")
    page.goto(f"/console/clues/{clue_id}")
    page.get_by_role("link", name="以此线索新建计划").click()
    expect(page.get_by_role("heading", name="由线索新建")).to_be_visible()
    expect(page.get_by_label("计划标题")).to_have_value(
        "核查群众反映问题:幸福小区保障房工地夜间施工扰民"
    )
    expect(page.get_by_label("督查方式")).to_have_value("sibu_liangzhi")
    expect(page.get_by_role("checkbox", name=site_name)).to_be_checked()
    fits(page, "main")
    problems: list[str] = []
    check_view(page, "plan form from a clue", PHONE["width"], problems)
    assert not problems, "\n".join(problems)

    page.get_by_label("事项类别").select_option(index=1)
    page.get_by_label("督查类型").select_option(label="常态化专项暗访")
    start = date.today().toordinal() + 2
    page.get_by_label("实施开始日期").fill(date.fromordinal(start).isoformat())
    page.get_by_label("实施结束日期").fill(date.fromordinal(start + 3).isoformat())
    page.get_by_role("checkbox", name=inspector.display_name).check()
    page.get_by_role("button", name="创建计划(草稿)").click()
    sources = page.locator("#clue-sources")
    expect(sources).to_contain_text(code)
    expect(sources).to_contain_text(site_name)
    fits(page, "main")
    assert status_of(code) == ClueStatus.planned  # a fresh read (it rolls back first)
    plan = db.session.scalar(select(Plan))
    assert plan.status == PlanStatus.draft
    page.goto(f"/console/clues/{clue_id}")
    expect(page.locator("#plans")).to_contain_text(plan.code)
    context.close()
