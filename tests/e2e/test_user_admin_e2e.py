"""User administration and the forced password change in real Chromium, on a phone-sized
screen (issue 15): an admin adds a user in the console and reads the one-time password;
the new user logs in, is held on the password page, changes it and reaches the start
page. The admin then moves the user to the field and resets the password: logging into
the field app, the user lands on its password screen, and no other screen opens until
the password is changed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Role, UnitKind
from tests.e2e.layout import fits
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e


def log_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def one_time_password(page) -> str:
    expect(page.locator("#one-time-password")).to_be_visible()
    fits(page)
    return page.locator("#one-time-password").inner_text().strip()


def test_admin_adds_a_user_who_must_change_the_password(page, factory):
    office = factory.unit("龙里县人民政府督查室", kind=UnitKind.office)
    admin = factory.user(Role.admin, office)
    db.session.commit()

    log_in(page, admin.username)
    page.wait_for_url("**/console/")
    page.get_by_role("link", name=re.compile(r"^用户管理 ")).click()  # the hub's card
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    fits(page)
    page.get_by_role("link", name="新增用户").click()
    page.get_by_label("用户名").fill("xin.ren")
    page.get_by_label("姓名").fill("新同事")
    page.get_by_label("角色").select_option(label="督查室")
    page.get_by_label("单位").select_option(label="龙里县人民政府督查室")
    page.get_by_role("button", name="新增用户").click()
    expect(page.get_by_role("heading", name="用户已创建")).to_be_visible()
    first = one_time_password(page)
    log_out(page)

    log_in(page, "xin.ren", first)
    page.wait_for_url("**/console/password")
    expect(page.get_by_role("heading", name="请设置新密码")).to_be_visible()
    expect(page.locator(".must-change")).to_contain_text("完成后才能使用其他功能")
    page.goto("/console/plans")  # every other page leads back here
    page.wait_for_url("**/console/password")
    page.get_by_label("当前密码").fill(first)
    page.get_by_label("新密码", exact=True).fill("chosen-by-me-1")
    page.get_by_label("再次输入新密码").fill("chosen-by-me-1")
    page.get_by_role("button", name="设置新密码").click()
    page.wait_for_url("**/console/")
    expect(page.get_by_role("heading", name="督查工作台")).to_be_visible()
    log_out(page)

    # The admin sends the same person to the field and gives a new one-time password.
    log_in(page, admin.username)
    page.wait_for_url("**/console/")
    page.goto("/console/users?q=xin")
    page.get_by_role("link", name="xin.ren").click()
    expect(page.get_by_role("heading", name="新同事(xin.ren)")).to_be_visible()
    fits(page)
    page.get_by_label("角色").select_option(label="督查人员")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").filter(has_text="用户信息已保存")).to_be_visible()
    page.get_by_role("button", name="重置密码").click()
    expect(page.get_by_role("heading", name="密码已重置")).to_be_visible()
    second = one_time_password(page)
    assert second != first
    log_out(page)

    log_in(page, "xin.ren", second)
    page.locator("#password-logout").click()  # held on the screen, one may still leave
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    log_in(page, "xin.ren", second)
    notice = page.locator("#password-required")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("请先设置只有您自己知道的新密码")
    expect(page.get_by_role("heading", name="请设置新密码")).to_be_visible()
    page.goto("/#/outbox")  # other screens wait
    expect(page.locator("#password-required")).to_be_visible()
    form = page.locator("#password-form")
    form.locator("[name=old_password]").fill(second)
    form.locator("[name=new_password]").fill("field-choice-22")
    form.locator("[name=confirm_password]").fill("field-choice-22")
    page.locator("#password-save").click()
    expect(page.locator("#flash")).to_have_text("密码已修改")
    expect(page.locator("#home-view")).to_be_visible()
    page.goto("/#/outbox")  # open again
    expect(page.locator("#password-required")).to_have_count(0)
    page.reload()
    expect(page.locator("#password-required")).to_have_count(0)
