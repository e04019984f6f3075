"""In a real browser: the Chinese login page, and each role's landing page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page, username, password=PASSWORD):
    page.goto("/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_inspector_lands_in_the_field_app(page, factory):
    user = factory.user(Role.inspector)
    db.session.commit()
    log_in(page, user.username)
    expect(page.locator("#home-view")).to_be_visible()
    expect(page.locator("#home-user")).to_contain_text(user.display_name)
    page.reload()  # the login is kept on the device
    expect(page.locator("#home-user")).to_contain_text(user.display_name)
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_supervisor_lands_on_the_console_and_logs_out(page, factory):
    user = factory.user(Role.supervisor)
    db.session.commit()
    log_in(page, user.username)
    page.wait_for_url("**/console/")
    expect(page.get_by_role("heading", name="督查工作台")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.goto("/console/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_wrong_password_shows_a_chinese_error(page, factory):
    user = factory.user(Role.responder)
    db.session.commit()
    log_in(page, user.username, "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")


def sign_in_here(page, username):
    """log_in() on the page the browser is on (a console link's /?next=…)."""
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_inspector_follows_a_console_link_at_login_and_when_already_logged_in(
    browser, live_server, factory
):
    user = factory.user(Role.inspector)
    db.session.commit()
    for already_in_the_app in (False, True):
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        page = context.new_page()
        try:
            if already_in_the_app:
                log_in(page, user.username)
                expect(page.locator("#home-view")).to_be_visible()
            page.goto("/console/notifications")  # no console cookie yet: sent to the app
            if not already_in_the_app:
                expect(page).to_have_url(f"{live_server}/?next=/console/notifications")
                sign_in_here(page, user.username)
            page.wait_for_url(f"{live_server}/console/notifications")  # not the ?next= URL
            expect(page.get_by_role("heading", name="提醒与通知")).to_be_visible()
            expect(page.locator("header")).to_contain_text(user.display_name)
        finally:
            context.close()


def test_a_console_link_that_cannot_open_keeps_the_inspector_in_the_app(page, live_server, factory):
    user = factory.user(Role.inspector)
    db.session.commit()
    log_in(page, user.username)
    expect(page.locator("#home-view")).to_be_visible()
    page.route("**/console/session", lambda route: route.abort())  # as if the network went
    page.goto("/?next=/console/notifications")
    expect(page.locator("#flash")).to_contain_text("暂时无法打开督查台页面")
    expect(page.locator("#home-view")).to_be_visible()
    assert "next=" not in page.url  # the link is dropped: a reload stays in the app
    page.goto("/?next=https://example.org/")  # only console paths are followed
    expect(page.locator("#home-view")).to_be_visible()
    assert page.url.startswith(live_server), page.url
    expect(page.locator("#flash")).to_be_hidden()
