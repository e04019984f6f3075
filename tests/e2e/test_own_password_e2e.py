"""The field app's 修改密码 screen in real Chromium (issue 15): a wrong current password is
answered under its field, a new one that does not match its repeat never leaves the phone,
and a change keeps this phone logged in while the inspector's other login ends."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Role
from tests.e2e.test_login_e2e import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
NEW = "new-password-42"


def test_an_inspector_changes_the_password_on_the_phone(page, factory, client, auth):
    inspector = factory.user(Role.inspector)
    db.session.commit()
    other = auth.login(inspector)  # the same account on another device
    log_in(page, inspector.username)
    expect(page.locator("#home-view")).to_be_visible()
    page.locator("#password-link").click()
    form = page.locator("#password-form")
    expect(form).to_be_visible()

    form.locator("[name=old_password]").fill(PASSWORD)
    form.locator("[name=new_password]").fill(NEW)
    form.locator("[name=confirm_password]").fill(NEW + "x")
    page.locator("#password-save").click()
    expect(form.locator(".field-error")).to_have_text("两次输入的新密码不一致")

    form.locator("[name=old_password]").fill("wrong-password-1")
    form.locator("[name=confirm_password]").fill(NEW)
    page.locator("#password-save").click()
    expect(form.locator(".field-error")).to_have_text("当前密码不正确")

    form.locator("[name=old_password]").fill(PASSWORD)
    page.locator("#password-save").click()
    expect(page.locator("#flash")).to_have_text("密码已修改")
    expect(page.locator("#home-view")).to_be_visible()
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert client.get("/api/me", headers=headers).status_code == 401  # the other login ended
    page.reload()  # this phone is still logged in
    expect(page.locator("#home-user")).to_contain_text(inspector.display_name)
    login = {"username": inspector.username, "password": NEW}
    assert client.post("/api/auth/login", json=login).status_code == 200
