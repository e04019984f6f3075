"""Issue 16 in real Chromium at phone width (390 px): the supervisor creates last month's
bulletin, picks a typical problem with its public photo, reviews it, publishes it after the
confirmation dialog and downloads the PDF; the unit's responder finds it under 月公示.
Nothing is wider than the screen."""

# ruff: noqa: F811  (the tests take the imported rw fixture as a parameter)
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Bulletin, BulletinStatus
from server.models import RectificationStatus as S
from tests.api.bulletin_helpers import last_month, public_photo
from tests.api.rect_helpers import rw  # noqa: F401  (the fixture the tests take by name)
from tests.e2e.layout import fits
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e

PHONE = 390


def shot(page, name: str) -> None:
    """A full-page screenshot for a person to look at, when ZHICHA_TEST_ARTEFACTS is set."""
    folder = os.environ.get("ZHICHA_TEST_ARTEFACTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def bulletin_status():
    status = db.session.scalar(select(Bulletin.status))
    db.session.rollback()  # end the read: the server writes from its own thread
    return status


def test_supervisor_publishes_and_the_unit_reads(browser, live_server, rw, tmp_path):
    year, month = last_month()
    item = rw.make(S.in_progress, issued_on=date(year, month, 8))
    item.findings.append(rw.findings[0])
    db.session.commit()
    photo = public_photo(rw.findings[0])

    desk = new_desk(browser, live_server, PHONE, 844)
    page = desk.new_page()
    log_in(page, rw.supervisor.username)
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="月度通报").first.click()
    page.get_by_role("link", name="新建月度通报").click()
    expect(page.get_by_label("通报月份")).to_have_value(f"{year}-{month:02d}")
    page.get_by_role("button", name="创建草稿").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{year}年{month}月")
    expect(page.locator(".bulletin-meta")).to_contain_text("草稿")
    expect(page.locator(".bulletin-ranking")).to_contain_text("住建局")
    fits(page)

    typical = page.locator("#typical")
    typical.get_by_label("整改事项").select_option(str(item.id))
    typical.get_by_label("通报文字").fill("施工现场围挡缺失,整改进度滞后")
    typical.locator(f"input[value='{photo.id}']").check()
    typical.get_by_role("button", name="添加").click()
    expect(page.get_by_role("status")).to_have_text("已添加典型问题")
    expect(typical.locator(".bulletin-photos img")).to_have_count(1)
    loaded = typical.locator(".bulletin-photos img").evaluate("i => i.complete && i.naturalWidth")
    assert loaded == 480  # the public copy itself

    page.get_by_role("button", name="审核(固定数据)").click()
    expect(page.get_by_role("status")).to_have_text("通报已审核,数据已固定")
    page.wait_for_load_state("load")  # the dialog is console.js's (tests/e2e/confirming.py)
    page.get_by_role("button", name="发布", exact=True).click()
    dialog = page.get_by_role("dialog", name="确认发布?")
    expect(dialog).to_contain_text("发布后内容不可更改")
    dialog.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("通报已发布")
    assert bulletin_status() == BulletinStatus.published
    fits(page)
    shot(page, "bulletin-office")
    button = page.get_by_role("link", name="下载 PDF").bounding_box()
    assert button["height"] >= 44
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    saved = tmp_path / "bulletin.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == f"bulletin-{year}-{month:02d}-v1.pdf"
    desk.close()

    phone = new_desk(browser, live_server, PHONE, 844)
    unit = phone.new_page()
    log_in(unit, rw.responder_a.username)
    unit.wait_for_url("**/console/")
    unit.get_by_role("link", name="月公示").first.click()
    expect(unit.get_by_role("heading", level=1)).to_have_text("月公示 · 督查通报")
    unit.get_by_role("link", name=f"{year}年{month}月").click()
    expect(unit.locator(".bulletin-meta")).to_contain_text("已发布")
    expect(unit.locator("#typical")).to_contain_text("施工现场围挡缺失")
    expect(unit.locator("#typical img")).to_have_count(1)
    expect(unit.get_by_role("button", name="审核(固定数据)")).to_have_count(0)
    fits(unit)
    shot(unit, "bulletin-unit")
    phone.close()
