"""Issue 15 in real Chromium on a phone-wide screen: closing an item asks first in a modal
dialog (Esc and 返回 keep it open, 确认销号 closes it); without JavaScript, 交办 asks on a
page of its own; the evidence page's search narrows the list and a photo's link opens its
item."""

# ruff: noqa: F811  (the tests take the imported rw fixture as a parameter)
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Rectification
from server.models import RectificationStatus as S
from tests.api.rect_helpers import rw  # noqa: F401  (the fixture the tests take by name)
from tests.api.test_evidence_page import photos_world
from tests.e2e.layout import fits
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e

PHONE = 390


def status_of(item_id) -> S:
    status = db.session.scalar(
        select(Rectification.status).where(Rectification.id == uuid.UUID(str(item_id)))
    )
    db.session.rollback()  # end the read: the server writes from its own thread
    return status


def test_closing_asks_in_a_dialog_first(browser, live_server, rw):
    item = rw.make(S.closure_requested, title="围挡整改")
    context = new_desk(browser, live_server, PHONE, 800)
    page = context.new_page()
    try:
        log_in(page, rw.supervisor.username)
        page.wait_for_url("**/console/")
        page.goto(f"/console/rectifications/{item.id}")
        close = page.get_by_role("button", name="书面核查通过,销号")
        dialog = page.get_by_role("dialog", name="确认销号?")

        close.click()
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(f"{item.code} · 围挡整改")
        expect(dialog).to_contain_text("销号后事项办结")
        expect(dialog.get_by_role("button", name="返回")).to_be_focused()
        fits(page)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(close).to_be_focused()
        assert status_of(item.id) == S.closure_requested

        close.click()
        dialog.get_by_role("button", name="返回").click()
        expect(dialog).to_be_hidden()
        assert status_of(item.id) == S.closure_requested

        close.click()
        dialog.get_by_role("button", name="确认销号").click()
        expect(page.locator(".ok-notice")).to_contain_text("书面核查通过,事项已销号")
        assert status_of(item.id) == S.closed
        fits(page)
    finally:
        context.close()


def test_without_javascript_issue_asks_on_a_page(browser, live_server, rw):
    item = rw.create(finding_ids=[], title="河道保洁")
    scripted = new_desk(browser, live_server, PHONE, 800)
    context = new_desk(browser, live_server, PHONE, 800, javascript=False)
    page = context.new_page()
    try:
        # The login form posts from a script: the session cookie is taken over.
        login_page = scripted.new_page()
        log_in(login_page, rw.supervisor.username)
        login_page.wait_for_url("**/console/")
        context.add_cookies(scripted.cookies())
        page.goto(f"/console/rectifications/{item['id']}")
        page.get_by_role("button", name="交办", exact=True).click()
        expect(page.get_by_role("heading", name="确认交办")).to_be_visible()
        expect(page.locator(".confirm-card")).to_contain_text(f"{item['code']} · 河道保洁")
        fits(page)
        page.get_by_role("link", name="返回").click()
        expect(page.get_by_role("heading", name=f"{item['code']} · 河道保洁")).to_be_visible()
        assert status_of(item["id"]) == S.draft

        page.get_by_role("button", name="交办", exact=True).click()
        page.get_by_role("button", name="确认交办").click()
        expect(page.locator(".ok-notice")).to_contain_text(f"已交办 {item['code']}")
        assert status_of(item["id"]) == S.issued
    finally:
        context.close()
        scripted.close()


def test_evidence_search_narrows_and_links_back_to_the_item(browser, live_server, rw):
    item, photos, _ = photos_world(rw)
    context = new_desk(browser, live_server, PHONE, 800)
    page = context.new_page()
    try:
        log_in(page, rw.supervisor.username)
        page.wait_for_url("**/console/")
        page.goto("/console/evidence")
        cards = page.locator("section.evidence")
        expect(cards).to_have_count(4)
        fits(page)

        search = page.get_by_label("关键词")
        search.fill(item["code"])
        search.press("Enter")
        expect(cards).to_have_count(2)  # the item's progress photo and its finding's
        expect(search).to_have_value(item["code"])
        report = page.locator(f'[data-photo="{photos["report"].id}"]')
        expect(report).to_be_visible()
        fits(page)

        report.get_by_role("link", name=f"整改事项 {item['code']} 围挡整改").click()
        page.wait_for_url(f"**/console/rectifications/{item['id']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{item['code']} · 围挡整改")
    finally:
        context.close()


def test_the_unit_signs_for_an_item_after_confirming(browser, live_server, rw):
    item = rw.issued(finding_ids=[], title="河道保洁")
    context = new_desk(browser, live_server, PHONE, 800)
    page = context.new_page()
    try:
        log_in(page, rw.responder_a.username)
        page.wait_for_url("**/console/")
        page.goto(f"/console/unit/items/{item['id']}")
        sign = page.get_by_role("button", name="签收", exact=True)
        dialog = page.get_by_role("dialog", name="确认签收?")
        sign.click()
        expect(dialog).to_contain_text("签收后不能撤回")
        dialog.get_by_role("button", name="返回").click()
        expect(sign).to_be_enabled()  # the portal's busy guard did not run for the cancel
        assert status_of(item["id"]) == S.issued
        sign.click()
        dialog.get_by_role("button", name="确认签收").click()
        expect(page.locator(".ok-notice")).to_contain_text("已签收")
        assert status_of(item["id"]) == S.acknowledged
    finally:
        context.close()
