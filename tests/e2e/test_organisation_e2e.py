"""Units and sites kept by an admin, in real Chromium at a phone's width (issue 15): the
admin adds a unit, adds a site by clicking the map (no base map: a plain background with
a scale bar still gives coordinates, which fill the two fields), imports a CSV of sites
with one bad row (the preview names the row, column and error), confirms, and sees the
imported sites listed as cards. Screenshots go to /tmp/orgs-*.png (for review)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Role, Site, Unit, UnitKind
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e

CSV = (
    "点位名称,责任单位代码,纬度,经度,地址\n"
    "谷脚镇观音村饮水工程,E2E-SWJ,26.5281,106.8904,谷脚镇观音村\n"
    "醒狮镇污水处理站,E2E-SWJ,26.4016,107.0962,醒狮镇\n"
    "坐标写错的点位,E2E-SWJ,26.4,经度不详,\n"
)


def wide_enough(page) -> None:
    """Nothing is wider than the 390 px screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_admin_adds_a_unit_a_site_on_the_map_and_imports_sites(
    browser, live_server, factory, tmp_path
):
    office = factory.unit("县督查室", kind=UnitKind.office)
    admin = factory.user(Role.admin, office)
    db.session.commit()
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, admin.username)
    expect(page.get_by_role("heading", name="系统管理")).to_be_visible()

    # A unit.
    page.get_by_role("link", name=re.compile(r"^单位 ")).click()  # the hub's card
    page.get_by_role("link", name="添加单位").click()
    page.get_by_label("单位代码").fill("E2E-SWJ")
    page.get_by_label("单位名称").fill("县水务局")
    page.get_by_label("单位类型").select_option(label="县直部门")
    page.get_by_label("区划代码").fill("522730")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已添加单位“县水务局”")).to_be_visible()
    wide_enough(page)

    # A site, its place clicked on the map.
    page.goto("/console/sites/new")
    page.wait_for_function("document.getElementById('map').dataset.ready === '1'")
    expect(page.get_by_text("当前未配置底图")).to_be_visible()
    page.get_by_label("点位名称").fill("龙山镇水厂")
    page.get_by_label("责任单位").select_option(label="县水务局 · 522730")
    assert page.get_by_label("纬度").input_value() == ""
    canvas = page.locator("#map canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.4})
    expect(page.locator("#map-status")).to_contain_text("已选点")
    lat = float(page.get_by_label("纬度").input_value())
    lon = float(page.get_by_label("经度").input_value())
    # Right of and above the map's centre (106.97, 26.45).
    assert 26.45 < lat < 27.5 and 106.97 < lon < 108.0, (lat, lon)
    wide_enough(page)
    page.screenshot(path="/tmp/orgs-site-form.png", full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已添加点位“龙山镇水厂”")).to_be_visible()
    db.session.expire_all()
    site = db.session.scalar(select(Site).where(Site.name == "龙山镇水厂"))
    assert (round(site.lat, 6), round(site.lon, 6)) == (lat, lon)
    db.session.commit()

    # An import with one bad row.
    csv_path = Path(tmp_path) / "点位.csv"
    csv_path.write_bytes(CSV.encode("gbk"))
    page.goto("/console/sites")
    page.get_by_role("link", name="批量导入").click()
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(csv_path))
    page.get_by_role("button", name="上传并预览").click()
    errors = page.locator("table.org-errors")
    expect(errors).to_contain_text("第 4 行")
    expect(errors).to_contain_text("经度")
    expect(errors).to_contain_text("须为数字")
    wide_enough(page)
    page.screenshot(path="/tmp/orgs-import-preview.png", full_page=True)
    page.get_by_role("button", name="确认导入(2 条)").click()
    expect(page.get_by_text("导入完成:新增 2 条")).to_be_visible()
    expect(page.get_by_text("跳过有错误的 1 行")).to_be_visible()
    cards = page.locator("table.org-table tbody tr")
    expect(cards).to_have_count(3)
    expect(page.locator("table.org-table")).to_contain_text("谷脚镇观音村饮水工程")
    expect(page.locator("table.org-table")).to_contain_text("醒狮镇污水处理站")
    wide_enough(page)
    page.screenshot(path="/tmp/orgs-sites.png", full_page=True)
    db.session.expire_all()
    unit = db.session.scalar(select(Unit).where(Unit.code == "E2E-SWJ"))
    names = set(db.session.scalars(select(Site.name).where(Site.unit_id == unit.id)))
    db.session.commit()
    assert names == {"龙山镇水厂", "谷脚镇观音村饮水工程", "醒狮镇污水处理站"}
    context.close()
