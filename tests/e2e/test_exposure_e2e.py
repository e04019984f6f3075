"""曝光台 in real Chromium on a phone-wide screen: the supervisor makes an exposure copy of
a problem photo (NASA's astronaut portrait), sees the face box the detector drew, adds a
box by dragging on the photo, removes one, publishes after the confirmation; the unit then
sees the published copy. Nothing is wider than the screen; the buttons are tap-sized."""

# ruff: noqa: F811  (the tests take the imported rw fixture as a parameter)
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import ExposureCopy, ExposureStatus
from tests.api.rect_helpers import rw  # noqa: F401  (the fixture the tests take by name)
from tests.api.test_exposure import astronaut_photo
from tests.e2e.layout import box, fits
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e

PHONE = 390


def the_copy() -> ExposureCopy:
    db.session.rollback()
    return db.session.query(ExposureCopy).one()


def test_the_supervisor_edits_and_publishes_an_exposure_copy(browser, live_server, rw):
    photo = astronaut_photo(rw.findings[0])
    item = rw.create(title="工地人员未戴安全帽")
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    context = new_desk(browser, live_server, PHONE, 800)
    page = context.new_page()
    try:
        log_in(page, rw.supervisor.username)
        page.wait_for_url("**/console/")
        page.get_by_role("link", name="曝光台").click()
        expect(page.get_by_role("heading", name="曝光台", exact=True)).to_be_visible()
        fits(page)
        make = page.get_by_role("button", name="制作曝光副本")
        assert box(make)["height"] >= 44
        make.click()

        # The job finds the face; the page follows it and shows the box on the photo.
        auto = page.locator("rect.exposure-box-auto")
        expect(auto).to_have_count(1)
        expect(page.locator(".exposure-box-list")).to_contain_text("自动识别:人脸")
        expect(page.locator(".render-state")).to_contain_text("已生成")
        fits(page)

        # Drag a box over the lower right of the photo (the name badge).
        page.locator(".exposure-photo").scroll_into_view_if_needed()
        stage = box(page.locator(".exposure-photo"))
        x0, y0 = stage["x"] + stage["width"] * 0.55, stage["y"] + stage["height"] * 0.65
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + stage["width"] * 0.15, y0 + stage["height"] * 0.1, steps=5)
        page.mouse.move(x0 + stage["width"] * 0.25, y0 + stage["height"] * 0.15, steps=5)
        page.mouse.up()
        expect(page.locator("rect.exposure-box-manual")).to_have_count(1)
        expect(page.locator(".render-state")).to_contain_text("已生成")
        copy = the_copy()
        manual = next(b for b in copy.boxes if b["source"] == "manual")
        # In the photo's pixels (512 x 512), where it was dragged.
        assert 260 <= manual["x"] <= 300 and 310 <= manual["y"] <= 350
        assert 110 <= manual["w"] <= 150 and 60 <= manual["h"] <= 100
        assert copy.rendered

        # Remove the detected face box, then publish.
        face = next(b for b in copy.boxes if b["source"] == "auto")
        row = page.locator(f'tr[data-box="{face["id"]}"]')
        delete = row.get_by_role("button", name="删除")
        assert box(delete)["height"] >= 44
        delete.click()
        expect(page.locator("rect.exposure-box-auto")).to_have_count(0)
        expect(page.locator("rect.exposure-box-manual")).to_have_count(1)
        expect(page.locator(".render-state")).to_contain_text("已生成")
        publish = page.get_by_role("button", name="发布曝光副本")
        expect(publish).to_be_enabled()
        publish.click()
        page.get_by_role("button", name="确认发布").click()
        expect(page.locator(".ok-notice")).to_contain_text("曝光副本已发布")
        expect(page.locator(".exposure-status-label")).to_have_text("已发布")
        assert the_copy().status == ExposureStatus.published
        assert page.locator("form.exposure-add").count() == 0
        fits(page)
    finally:
        context.close()

    unit = new_desk(browser, live_server, PHONE, 800)
    try:
        page = unit.new_page()
        log_in(page, rw.responder_a.username)
        page.wait_for_url("**/console/")
        page.get_by_role("link", name="曝光台").first.click()
        image = page.get_by_role("img", name="曝光照片")
        expect(image).to_be_visible()
        assert page.evaluate("document.querySelector('.exposure-card img').naturalWidth") == 512
        expect(page.locator("main")).to_contain_text("工地人员未戴安全帽")
        assert rw.inspector.display_name not in page.content()
        assert str(photo.id) not in page.content() and str(uuid.UUID(int=0)) not in page.url
        fits(page)
    finally:
        unit.close()
