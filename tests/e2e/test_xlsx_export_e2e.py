"""XLSX exports in real Chromium (issue 16): the supervisor downloads the ledger's XLSX
from the ledger page; a large export goes through 导出任务, whose list follows the job's
progress by itself and then offers the download."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import ExportJob, Role, SettingOverride, UnitKind
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e


def desk(factory, items: int):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, office)
    unit = factory.unit("县住建局")
    codes = [factory.rectification(office, unit).code for _ in range(items)]
    db.session.commit()
    return supervisor, codes


def cells(download) -> list[tuple]:
    # read as bytes: openpyxl goes by the file name's extension, and a download has none
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    return list(book["整改台账"].iter_rows(values_only=True))


def test_the_ledger_page_downloads_its_xlsx(browser, live_server, factory):
    supervisor, codes = desk(factory, 3)
    context = new_desk(browser, live_server, 390, 844)  # a phone: the button still works
    page = context.new_page()
    try:
        log_in(page, supervisor.username)
        page.wait_for_url("**/console/")
        page.goto("/console/ledger")
        with page.expect_download() as info:
            page.get_by_role("link", name="导出Excel").click()
        download = info.value
        assert download.suggested_filename.startswith("ledger-")
        assert download.suggested_filename.endswith(".xlsx")
        rows = cells(download)
        assert rows[0][:3] == ("序号", "编号", "标题")
        assert sorted(r[1] for r in rows[1:]) == sorted(codes)
    finally:
        context.close()


def test_a_large_export_runs_as_a_job_with_progress_and_a_link(
    browser, live_server, factory, monkeypatch
):
    supervisor, codes = desk(factory, 4)
    db.session.add(SettingOverride(key="export_inline_max_rows", value=2))
    db.session.commit()
    held = []  # the queue holds the job until the test lets the worker run it
    monkeypatch.setattr("server.jobs.huey.enqueue", lambda task: held.append(task))
    context = new_desk(browser, live_server, 390, 844)
    page = context.new_page()
    try:
        log_in(page, supervisor.username)
        page.wait_for_url("**/console/")
        page.goto("/console/ledger")
        page.get_by_role("link", name="导出Excel").click()
        expect(page.get_by_text("超过直接下载的上限")).to_be_visible()
        page.get_by_role("button", name="在后台生成").click()
        page.wait_for_url("**/console/exports?new=*")
        expect(page.get_by_role("heading", name="导出任务")).to_be_visible()
        expect(page.get_by_text("排队中:0 / 4 行")).to_be_visible()
        expect(page.locator("progress")).to_have_attribute("max", "4")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        from server.rectification.jobs import export_xlsx_job

        db.session.rollback()
        job = db.session.query(ExportJob).one()
        assert len(held) == 1
        assert export_xlsx_job.call_local(str(job.id)) == "done"  # the worker's turn
        link = page.get_by_role("link", name="下载 Excel")
        expect(link).to_be_visible(timeout=10_000)  # the page refreshed its list alone
        expect(page.get_by_text("已完成,共 4 行")).to_be_visible()
        with page.expect_download() as info:
            link.click()
        assert sorted(r[1] for r in cells(info.value)[1:]) == sorted(codes)
    finally:
        context.close()
