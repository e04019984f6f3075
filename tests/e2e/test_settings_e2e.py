"""Rule settings in real Chromium on a phone-wide screen (issue 15): the admin goes from
the start page's hub to 规则设置, changes a setting, sees the new value with the default
beside it, and restores the default; nothing is wider than the screen and the controls
are big enough to tap."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Role, SettingOverride
from tests.e2e.layout import box, fits
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e
KEY = "feedback_working_days"


def override():
    value = db.session.scalar(select(SettingOverride.value).where(SettingOverride.key == KEY))
    db.session.commit()  # end the read: the server writes from its own threads
    return value


def test_an_admin_changes_a_setting_and_restores_the_default(browser, live_server, factory):
    admin = factory.user(Role.admin)
    db.session.commit()
    context = new_desk(browser, live_server, 390, 844)
    page = context.new_page()
    try:
        log_in(page, admin.username)
        page.wait_for_url("**/console/")
        expect(page.locator("#admin-counts")).to_contain_text("用户 1 人启用")
        fits(page)
        page.locator(".hub-link", has_text="规则设置").click()
        page.wait_for_url("**/console/settings")
        expect(page.get_by_role("heading", name="规则设置", level=1)).to_be_visible()
        fits(page)

        card = page.locator(f"#s-{KEY}")
        field = card.get_by_label("新值")
        expect(field).to_have_value("5")
        for control in (field, card.get_by_role("button", name="保存")):
            assert box(control)["height"] >= 44
        field.fill("400")
        card.get_by_role("button", name="保存").click()
        expect(card.locator(".field-error")).to_have_text("反馈时限(工作日)须在 1 与 365 之间")
        expect(field).to_have_value("400")
        assert override() is None

        field.fill("8")
        card.get_by_role("button", name="保存").click()
        expect(page.locator(".ok-notice")).to_have_text("反馈时限(工作日):已调整为 8")
        expect(card.locator(".setting-value")).to_have_text("8")
        expect(card.locator(".origin")).to_have_text("管理员调整")
        expect(card.locator(".setting-default")).to_have_text("5")
        expect(field).to_have_value("8")
        assert override() == 8
        fits(page)

        card.get_by_role("button", name="恢复默认").click()
        expect(page.locator(".ok-notice")).to_have_text("反馈时限(工作日):已恢复默认值 5")
        expect(card.locator(".setting-value")).to_have_text("5")
        expect(card.get_by_role("button", name="恢复默认")).to_have_count(0)
        assert override() is None
    finally:
        context.close()
