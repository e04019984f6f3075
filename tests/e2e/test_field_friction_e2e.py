"""The field app's friction (issue 15) on a phone-sized Chromium: sync states that follow
the outbox at once, photos refused on the phone when they are no photos and shown when the
server could not decode them, text counters that never cut, and warnings (never a block)
when a finding is recorded away from the site or without a check-in."""

from __future__ import annotations

import math
import os
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Finding, Photo
from tests.e2e.conftest import FIELD_POSITION
from tests.e2e.test_field_app_e2e import (
    PHOTO_FILES,
    counts,
    log_in,
    outbox_count,
    plan_for_inspector,
    read,
    sync_until_drained,
)

pytestmark = pytest.mark.e2e

REFUSED = "服务器无法识别这张照片,请重新拍摄"


def start(context, factory):
    """Log in online: the first sync brings the plan and its site."""
    inspector, plan, site = plan_for_inspector(factory)
    page = context.new_page()
    page.goto("/")
    log_in(page, inspector)
    expect(page.get_by_text(plan.title)).to_be_visible()
    return page, plan, site


class HeldPulls:
    """Holds every pull request unanswered while `holding`: a sync that has pushed stays
    running, so what a screen shows then cannot come from the end of the sync."""

    def __init__(self, page):
        self.page, self.held, self.holding = page, [], True
        page.route("**/api/sync/pull*", self.on_pull)

    def on_pull(self, route, request):
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def wait(self, timeout: float = 5.0) -> list:
        """The held pulls, once there is one. The screen can turn as soon as the push is
        answered, a moment before the app sends its pull; and Playwright hands the pull to
        on_pull only while the test calls into it (a CI run read `held` too early)."""
        deadline = time.monotonic() + timeout
        while not self.held and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        return self.held

    def release(self):
        self.holding = False
        for route in self.held:
            route.continue_()
        self.page.unroute("**/api/sync/pull*")


def test_sync_states_follow_the_outbox_before_the_sync_ends(field_context, factory):
    page, plan, site = start(field_context, factory)
    field_context.set_offline(True)
    page.get_by_role("link", name=site.name).click()
    expect(page.locator("#geo-inside")).to_contain_text("在点位范围内")
    page.get_by_role("button", name="到场签到").click()
    expect(page.locator("#visit-status")).to_be_visible()
    expect(page.locator("#site-records .badge")).to_have_text("等待同步")
    page.get_by_role("link", name="‹ 返回计划").click()
    expect(page.locator(".site-link .site-sync")).to_have_text("等待同步")
    page.get_by_role("link", name=site.name).click()

    # Online: the push is answered, the pull after it is held. The site page's badge turns
    # while that sync is still running (no navigation, no timer, no end of sync).
    pulls = HeldPulls(page)
    field_context.set_offline(False)
    expect(page.locator("#site-records .badge")).to_have_text("已同步")
    expect(page.locator("#bar-outbox")).to_be_hidden()
    assert pulls.wait() and page.evaluate("window.zhicha.state.syncing")
    assert counts()["visit"] == 1
    pulls.release()
    page.evaluate("window.zhicha.syncNow()")
    page.get_by_role("link", name="‹ 返回计划").click()
    expect(page.locator(".site-link", has_text=site.name).locator(".tag.ok")).to_have_text("已签到")
    expect(page.locator(".site-sync")).to_have_count(0)

    # The outbox page the same way: a second check-in offline, then online with the pull held.
    field_context.set_offline(True)
    page.get_by_role("link", name=site.name).click()
    page.get_by_role("button", name="再次签到").click()
    expect(page.locator("#site-records .badge-pending")).to_have_count(1)
    page.goto("/#/outbox")
    expect(page.locator("#outbox-open .badge-pending")).to_have_count(1)
    pulls = HeldPulls(page)
    field_context.set_offline(False)
    expect(page.locator("#outbox-summary")).to_have_text("全部已同步")
    expect(page.locator("#outbox-done .badge-synced")).to_have_count(2)
    assert pulls.wait() and page.evaluate("window.zhicha.state.syncing")
    pulls.release()
    assert counts()["visit"] == 2


def test_another_tab_of_the_app_follows_the_outbox_too(field_context, factory):
    page, plan, site = start(field_context, factory)
    page.goto("/#/outbox")
    expect(page.locator("#outbox-summary")).to_have_text("全部已同步")
    field_context.set_offline(True)
    other = field_context.new_page()
    other.goto(f"/#/site/{plan.id}/{site.id}")
    other.get_by_role("button", name="到场签到").click()
    expect(other.locator("#visit-status")).to_be_visible()
    # The first tab shows the check-in waiting, without a reload or a sync.
    expect(page.locator("#outbox-open .badge-pending")).to_have_count(1)
    expect(page.locator("#bar-outbox")).to_have_text("待同步 1")


def go_to_finding_form(page, site):
    page.get_by_role("link", name=site.name).click()
    page.get_by_role("link", name="记录问题").click()
    expect(page.get_by_role("heading", name="记录问题")).to_be_visible()


def test_a_file_that_is_no_photo_is_refused_on_the_phone(field_context, factory, app, tmp_path):
    app.config["UPLOAD_MAX_BYTES"] = 2 * 1024 * 1024  # learned by the app from the server
    noise = tmp_path / "现场.jpg"
    noise.write_bytes(b"\0" + os.urandom(10 * 1024 * 1024 - 1))  # 10 MB named .jpg
    big = tmp_path / "大图.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3 * 1024 * 1024))
    empty = tmp_path / "空.png"
    empty.write_bytes(b"")
    page, plan, site = start(field_context, factory)
    go_to_finding_form(page, site)
    page.get_by_label("问题标题").fill("消防通道被占用")
    page.get_by_label("问题描述").fill("一层消防通道堆放建材。")

    page.get_by_label("从相册选择").set_input_files([str(noise), str(PHOTO_FILES[0])])
    refusal = page.locator(".photo-refusal")
    expect(refusal).to_have_text(
        "现场.jpg:不是可识别的照片(文件内容不是 JPEG、PNG、WebP 或 HEIC 图片),未添加"
    )
    expect(refusal).to_have_attribute("role", "alert")
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_label("从相册选择").set_input_files([str(big), str(empty)])
    expect(refusal).to_contain_text("大图.jpg:文件超过 2 MB 的上限,未添加")
    expect(refusal).to_contain_text("空.png:文件为空(0 字节),未添加")
    # Nothing else recorded is lost: the form and the accepted photo are still there.
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    expect(page.get_by_label("问题标题")).to_have_value("消防通道被占用")

    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("link", name="记录问题")).to_be_visible()
    sync_until_drained(page)
    assert counts() == {"visit": 0, "finding": 1, "photo": 1}
    mime = read(lambda: db.session.scalar(select(Photo.mime_type)))
    assert mime == "image/jpeg"


def test_the_photo_formats_are_told_apart_as_the_server_does(field_context, factory, tmp_path):
    from server.evidence.imaging.decoding import format_of
    from tests.conftest import PHOTOS

    samples = {p.name: p.read_bytes()[:64] for p in sorted(PHOTOS.glob("*.*")) if p.suffix != ".md"}
    samples |= {
        "png": b"\x89PNG\r\n\x1a\n" + bytes(24),
        "webp": b"RIFF\0\0\0\0WEBPVP8 " + bytes(16),
        "mp4": b"\0\0\0\x18ftypisom\0\0\0\0isomiso2" + bytes(8),
        "avif": b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + bytes(8),
        "heif-generic": b"\0\0\0\x1cftypmif1\0\0\0\0mif1heicmiaf" + bytes(8),
        "text": b"hello, this is not a photo",
        "short": b"\xff\xd8",
    }
    page, _, _ = start(field_context, factory)
    found = page.evaluate(
        """async (samples) => {
            const { formatOf } = await import('/pwa/photo_format.js');
            return Object.fromEntries(Object.entries(samples)
                .map(([name, bytes]) => [name, formatOf(new Uint8Array(bytes))]));
        }""",
        {name: list(head) for name, head in samples.items()},
    )
    assert found == {name: format_of(head) for name, head in samples.items()}
    assert found["heic_mobile_iphone_13_pro_max.HEIC"] == "HEIF" and found["mp4"] is None


def photo_bytes_on_device(page) -> int:
    return page.evaluate(
        "import('/pwa/db.js').then(async (db) => (await db.getAll('photo_bytes')).length)"
    )


def finding_with_a_refused_photo(context, factory, tmp_path):
    """A finding whose one photo passes the phone's check (a JPEG's magic) but not the
    server's decoder: synced until the server's verdict reaches the device."""
    broken = tmp_path / "破损.jpg"
    broken.write_bytes(b"\xff\xd8\xff" + os.urandom(20000))  # a JPEG's magic, then noise
    page, plan, site = start(context, factory)
    go_to_finding_form(page, site)
    page.get_by_label("问题标题").fill("围挡破损")
    page.get_by_label("从相册选择").set_input_files([str(broken)])
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_role("button", name="保存问题").click()

    # The records are pushed and the content uploaded; the server refuses the content.
    finding_item = page.locator("#site-records > li", has_text="围挡破损")
    for _ in range(10):
        page.evaluate("window.zhicha.syncNow()")
        if finding_item.locator(".badge-refused").count():
            break
    status, error = read(
        lambda: db.session.execute(select(Photo.content_status, Photo.content_error)).one()
    )
    assert status.value == "invalid" and error
    return page, plan, site, finding_item, error


def test_a_photo_the_server_cannot_decode_is_shown_and_kept(field_context, factory, tmp_path):
    page, plan, site, finding_item, error = finding_with_a_refused_photo(
        field_context, factory, tmp_path
    )

    # On the finding (site page) and in the outbox, with the photo still on the device.
    expect(finding_item.locator(".badge")).to_have_text("无法识别")
    expect(finding_item.locator(".photo-refused")).to_contain_text(REFUSED)
    page.goto("/#/outbox")
    refused = page.locator("#outbox-open .upload.refused")
    expect(refused.locator(".photo-refused")).to_have_text(f"{REFUSED}({error})")
    # The noise cannot be shown by the browser either: a placeholder, not a broken image.
    expect(refused.locator(".thumb-none")).to_have_text("无法显示")
    expect(page.locator("#bar-outbox")).to_contain_text("需处理 1")
    assert photo_bytes_on_device(page) == 1
    page.reload()  # kept on the device, not in this page only
    expect(refused.locator(".photo-refused")).to_contain_text(REFUSED)
    page.evaluate("window.zhicha.syncNow()")  # a sync does not drop it either
    assert photo_bytes_on_device(page) == 1

    # Until the inspector removes it.
    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="移除照片").click()
    expect(page.locator("#outbox-open")).to_have_count(0)
    expect(page.locator("#outbox-done .photo-outcome")).to_contain_text(f"照片被拒收:{error}")
    assert photo_bytes_on_device(page) == 0 and outbox_count(page) == 0
    page.goto(f"/#/site/{plan.id}/{site.id}")
    expect(finding_item.locator(".badge")).to_have_text("已同步")
    expect(finding_item.locator(".photo-refused")).to_have_count(0)


def test_a_stored_photo_leaves_the_device_once_the_server_has_it(field_context, factory):
    page, plan, site = start(field_context, factory)
    go_to_finding_form(page, site)
    page.get_by_label("问题标题").fill("塔吊基础积水")
    page.get_by_label("从相册选择").set_input_files([str(PHOTO_FILES[0])])
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_role("button", name="保存问题").click()
    sync_until_drained(page)
    status = read(lambda: db.session.scalar(select(Photo.content_status)))
    assert status.value == "stored"
    assert photo_bytes_on_device(page) == 0


def test_long_texts_are_counted_and_never_cut(field_context, factory):
    page, plan, site = start(field_context, factory)
    go_to_finding_form(page, site)
    page.get_by_label("问题标题").fill("材料堆放")
    description = page.get_by_label("问题描述")
    counter = page.locator("#description-counter")
    expect(counter).to_have_text("0/5,000")
    description.fill("查" * 4980)
    expect(counter).to_have_text("4,980/5,000 · 接近上限")
    expect(counter).to_have_class("counter near")
    description.fill("查" * 5012)  # as a paste: nothing is cut
    expect(counter).to_have_text("5,012/5,000 · 超出 12 字")
    expect(counter).to_have_class("counter over")
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("alert").filter(has_text="超出 5,000 字的上限 12 字")).to_be_visible()
    assert page.evaluate("document.querySelector('[name=description]').value.length") == 5012
    assert outbox_count(page) == 0

    description.press("End")
    for _ in range(12):
        description.press("Backspace")
    expect(counter).to_have_text("5,000/5,000 · 接近上限")
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("link", name="记录问题")).to_be_visible()
    sync_until_drained(page)
    stored = read(lambda: db.session.scalar(select(Finding.description)))
    assert stored == "查" * 5000

    # The other long texts of the app count the same way, against their own limits.
    expect(page.locator("#note-counter")).to_have_text("0/2,000")
    page.get_by_label("备注").fill("注" * 2001)
    expect(page.locator("#note-counter")).to_have_text("2,001/2,000 · 超出 1 字")
    page.get_by_role("button", name="到场签到").click()
    expect(page.get_by_role("alert").filter(has_text="超出 2,000 字的上限 1 字")).to_be_visible()
    page.get_by_label("备注").fill("到场")
    page.get_by_role("button", name="到场签到").click()
    page.get_by_role("link", name="走访记录").click()
    expect(page.locator("#summary-counter")).to_have_text("0/5,000")
    page.get_by_label("走访内容").fill("访" * 5001)
    page.get_by_role("button", name="保存走访记录").click()
    expect(page.get_by_role("alert").filter(has_text="超出 5,000 字的上限 1 字")).to_be_visible()


def distance_m(lat1, lon1, lat2, lon2) -> float:
    rad = math.pi / 180
    a = (
        math.sin((lat2 - lat1) * rad / 2) ** 2
        + math.cos(lat1 * rad) * math.cos(lat2 * rad) * math.sin((lon2 - lon1) * rad / 2) ** 2
    )
    return 2 * 6371008.8 * math.asin(min(1, math.sqrt(a)))


def test_a_finding_far_from_the_site_or_without_a_check_in_is_warned_not_blocked(
    field_context, factory
):
    page, plan, site = start(field_context, factory)
    far = {"latitude": site.lat + 0.01, "longitude": site.lon, "accuracy": 15}
    field_context.set_geolocation(far)
    go_to_finding_form(page, site)
    metres = round(distance_m(far["latitude"], far["longitude"], site.lat, site.lon))
    warning = page.locator("#finding-geo-warning")
    expect(warning).to_contain_text("尚未签到")
    expect(warning).to_contain_text(f"距点位约 {metres:,} 米,超出电子围栏(半径 200 米)")
    page.get_by_label("问题标题").fill("远处发现的问题")
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("link", name="记录问题")).to_be_visible()
    sync_until_drained(page)
    assert counts()["finding"] == 1

    # Checked in, near the site: no warning, the distance inside the geofence.
    field_context.set_geolocation(FIELD_POSITION)
    page.get_by_role("button", name="到场签到").click()
    expect(page.locator("#visit-status")).to_be_visible()
    page.get_by_role("link", name="记录问题").click()
    near = round(
        distance_m(FIELD_POSITION["latitude"], FIELD_POSITION["longitude"], site.lat, site.lon)
    )
    expect(warning).to_have_text(f"距点位约 {near} 米,在电子围栏内")

    # No position at all: said so, saving still allowed.
    field_context.clear_permissions()
    page.reload()
    expect(warning).to_contain_text("无法获取位置")
    page.get_by_label("问题标题").fill("无定位的问题")
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("link", name="记录问题")).to_be_visible()
    sync_until_drained(page)
    assert counts()["finding"] == 2


def test_a_refused_photo_is_taken_again_for_the_same_finding(field_context, factory, tmp_path):
    page, plan, site, finding_item, error = finding_with_a_refused_photo(
        field_context, factory, tmp_path
    )
    finding_item.get_by_role("link", name="重新拍摄").click()
    expect(page.get_by_role("heading", name="重新拍摄")).to_be_visible()
    expect(page.get_by_text("问题:围挡破损")).to_be_visible()
    page.get_by_role("button", name="保存新照片").click()
    expect(page.get_by_role("alert").filter(has_text="请先拍照或从相册选择照片")).to_be_visible()
    page.get_by_label("从相册选择").set_input_files([str(PHOTO_FILES[0])])
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    expect(page.get_by_label("保存后从本机移除无法识别的那张照片")).to_be_checked()
    page.get_by_role("button", name="保存新照片").click()
    expect(page.get_by_role("heading", name="待同步")).to_be_visible()
    sync_until_drained(page)

    # The new photo belongs to the same finding; the refused one left the device.
    finding_id = read(lambda: db.session.scalar(select(Finding.id)))
    photos = read(lambda: db.session.execute(select(Photo.parent_id, Photo.content_status)).all())
    assert sorted(p.content_status.value for p in photos) == ["invalid", "stored"]
    assert {p.parent_id for p in photos} == {finding_id}
    assert photo_bytes_on_device(page) == 0
    page.goto(f"/#/site/{plan.id}/{site.id}")
    expect(finding_item.locator(".badge")).to_have_text("已同步")
