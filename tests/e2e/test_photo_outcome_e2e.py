"""The inspector sees in the field app what the server made of a photo: a photo whose
processing kept failing shows its reason on the outbox page (最近已同步), from the photo
record the app pulled after the upload.

Processing is made to fail on the server with a disk error and one attempt allowed. The
live server runs in threads of this process (so the monkeypatch reaches it), and in tests
the photo job runs right after the upload's commit, inside the last PATCH's request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import server.evidence.operations as operations
from server.extensions import db
from server.models import Photo
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


class FailingDecoders:
    """A decoder pool whose every photo fails with a disk error (a passing failure)."""

    def __init__(self):
        self.calls = 0

    def process(self, *args, **kwargs):
        self.calls += 1
        raise OSError(5, "Input/output error")


@pytest.fixture
def decoders(app, monkeypatch):
    app.config["PHOTO_PROCESSING_MAX_ATTEMPTS"] = 1  # the first failure is final
    failing = FailingDecoders()
    monkeypatch.setattr(operations, "decoder_pool", lambda: failing)
    return failing


def capture_finding_with_a_photo(page, factory):
    """Log in online, check in and record a finding with one photo (each capture starts a
    sync of its own)."""
    inspector, plan, site = plan_for_inspector(factory)
    page.goto("/")
    log_in(page, inspector)
    expect(page.get_by_text(plan.title)).to_be_visible()
    page.get_by_role("link", name=site.name).click()
    expect(page.locator("#geo-inside")).to_contain_text("在点位范围内")
    page.get_by_role("button", name="到场签到").click()
    expect(page.locator("#visit-status")).to_contain_text("已于")
    page.get_by_role("link", name="记录问题").click()
    page.get_by_label("问题标题").fill("塔吊基础积水未处理")
    page.get_by_label("从相册选择").set_input_files([str(PHOTO_FILES[0])])
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_role("button", name="保存问题").click()
    expect(page.locator("#visit-status")).to_be_visible()


def failed_on_server(decoders) -> str:
    """The server kept the photo but its processing failed, once: its reason."""
    assert counts() == {"visit": 1, "finding": 1, "photo": 1}
    status, reason = read(
        lambda: db.session.execute(select(Photo.content_status, Photo.content_error)).one()
    )
    assert status.value == "failed" and decoders.calls == 1
    assert reason.startswith("已尝试 1 次:读写照片文件出错")
    return reason


def expect_failure_shown(page, reason: str) -> None:
    """The outbox shows the reason under the synced photo, and under nothing else."""
    outcome = page.locator("#outbox-done .photo-outcome")
    expect(outcome).to_have_text(f"服务器处理失败:{reason}(原图已保存,管理员可重试)")
    expect(outcome).to_have_class("error photo-outcome")
    photo_item = page.locator("#outbox-done > li", has=page.locator(".photo-outcome"))
    expect(photo_item).to_have_count(1)
    expect(photo_item.locator(".outbox-head")).to_contain_text("照片")
    expect(photo_item.locator(".badge-synced")).to_have_count(1)


def test_a_photo_whose_processing_failed_shows_the_reason_in_the_outbox(
    field_context, factory, decoders
):
    page = field_context.new_page()
    capture_finding_with_a_photo(page, factory)
    sync_until_drained(page)  # the records pushed and the photo uploaded
    reason = failed_on_server(decoders)

    # A sync pulls before it uploads, so the failed photo record comes with the next one;
    # the outbox page is re-rendered when a sync ends.
    page.goto("/#/outbox")
    expect(page.locator("#outbox-summary")).to_have_text("全部已同步")
    page.evaluate("window.zhicha.syncNow()")
    expect_failure_shown(page, reason)

    # It is on the device, not only in this page: still shown after a reload.
    page.reload()
    expect_failure_shown(page, reason)
    assert outbox_count(page) == 0
    # And on the finding, whose photo it is (the site page).
    page.get_by_role("link", name="‹ 返回").click()
    page.locator(".site-link").click()
    finding = page.locator("#site-records > li", has_text="塔吊基础积水未处理")
    expect(finding.locator(".photo-failed")).to_have_text(
        "1 张照片服务器处理失败(原图已保存,管理员可重试)"
    )
    expect(finding.locator(".badge")).to_have_text("已同步")


def test_the_reason_is_shown_when_it_was_pulled_before_the_upload_was_confirmed(
    field_context, factory, decoders
):
    """The last PATCH reaches the server (which stores the photo and fails its processing)
    but its answer is lost: the next sync pulls the failed photo while the device still
    counts its upload as unfinished (the pulled copy is kept apart from the local one),
    then learns from HEAD that the upload is complete. No later pull brings the photo
    again, yet the reason must show."""
    field_context.add_init_script("localStorage.setItem('zhicha.chunkSize', '16777216')")
    page = field_context.new_page()
    lost = []

    def lose_the_answer(route, request):
        if request.method == "PATCH" and not lost:
            route.fetch()  # the server receives the whole photo and processes it...
            lost.append(request.url)
            route.abort("connectionreset")  # ...but the device never hears back
            return
        route.continue_()

    page.route("**/api/uploads/*", lose_the_answer)
    capture_finding_with_a_photo(page, factory)
    sync_until_drained(page)
    assert len(lost) == 1
    reason = failed_on_server(decoders)

    page.goto("/#/outbox")
    expect(page.locator("#outbox-summary")).to_have_text("全部已同步")
    page.evaluate("window.zhicha.syncNow()")
    expect_failure_shown(page, reason)
    page.reload()
    expect_failure_shown(page, reason)
