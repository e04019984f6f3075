"""The 12345 import in real Chromium at phone width: the supervisor uploads the platform's
GBK export, reads the preview (new rows and rows with errors by row and column), confirms
with 确认导入, and the work orders are clues of the office; uploading the same file again
offers nothing to import; the closed clue's reply is on the replies page. Axe finds
nothing on the preview or the replies, and their forms and rows fit the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.clues import operations as ops
from server.extensions import db
from server.models import Clue, Region, Role, UnitKind
from tests.e2e.layout import fits
from tests.e2e.test_accessibility import check_view
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "12345_workorders_gbk.csv"


def test_upload_preview_confirm_and_reimport(browser, live_server, factory):
    office = factory.unit("龙里县人民政府督查室", kind=UnitKind.office)
    factory.unit("龙里县住房和城乡建设局").code = "LL-ZJJ"
    db.session.add_all(
        [Region(code="522730100", name="龙山镇"), Region(code="522730101", name="谷脚镇")]
    )
    supervisor = factory.user(Role.supervisor, office)
    db.session.commit()
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, supervisor.username)
    page.wait_for_url("**/console/")

    page.goto("/console/clues/import")
    expect(page.get_by_role("heading", name="导入12345工单")).to_be_visible()
    fits(page, "main form", "main tbody")
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="上传并预览").click()
    preview = page.locator(
        "section", has=page.get_by_role("heading", name="预览:12345_workorders_gbk.csv")
    )
    expect(preview).to_contain_text("新增 3 条")
    expect(preview).to_contain_text("有错误 8 行")
    expect(preview.locator("tr", has_text="第 5 行")).to_contain_text("与第 2 行工单编号重复")
    expect(preview.locator("tr", has_text="第 7 行")).to_contain_text("分类“噪音扰民”不存在")
    fits(page, "main form", "main tbody")
    problems: list[str] = []
    check_view(page, "import preview", PHONE["width"], problems)
    assert problems == []
    assert db.session.scalars(select(Clue)).all() == []  # a preview writes nothing
    db.session.rollback()

    page.get_by_role("button", name="确认导入(3 条)").click()
    expect(page.get_by_role("status").first).to_contain_text("导入完成:新增线索 3 条")
    db.session.rollback()  # a fresh read of what the live server wrote
    refs = sorted(c.source_ref for c in db.session.scalars(select(Clue)))
    assert refs == ["GD20260301000123", "GD20260302000456", "GD20260303000789"]

    page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("main")).to_contain_text("已存在(跳过) 3 条")
    expect(page.locator("main")).to_contain_text("没有可导入的新工单")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    # Its reply, once closed, is on the replies page (without the reporter's contact).
    road = db.session.scalar(select(Clue).where(Clue.source_ref == "GD20260301000123"))
    ops.close_clue(road, "rectified", "经核查属实,道路已修复。", supervisor)
    db.session.commit()
    page.goto("/console/clues/replies")
    expect(page.locator("main tbody")).to_contain_text("GD20260301000123")
    expect(page.locator("main")).not_to_contain_text("139****0001")
    check_view(page, "replies", PHONE["width"], problems)
    assert problems == []
    context.close()
