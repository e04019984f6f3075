"""The triage queue in real Chromium (issue 15, friction found on the walk):
"转为整改事项" stays disabled, with its hint, until a finding is ticked; ticked, it opens
the new item's form with that finding's text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import PlanStatus, Role, UnitKind
from tests.e2e.test_dashboards_e2e import new_desk
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e


def test_itemize_waits_for_a_ticked_finding(browser, live_server, factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    unit = factory.unit("县住建局")
    plan = factory.plan(
        office, supervisor, team=[inspector], units=[unit], status=PlanStatus.active
    )
    finding = factory.finding(plan, inspector, title="工地未设置安全围挡")
    db.session.commit()
    context = new_desk(browser, live_server, 1280)
    page = context.new_page()
    try:
        log_in(page, supervisor.username)
        page.wait_for_url("**/console/")
        page.goto("/console/triage")
        button = page.get_by_role("button", name="转为整改事项")
        hint = page.locator("[data-pick-hint]")
        expect(button).to_be_disabled()
        expect(hint).to_be_visible()
        box = page.locator(f'input[name="finding_ids"][value="{finding.id}"]')
        box.check()
        expect(button).to_be_enabled()
        expect(hint).to_be_hidden()
        box.uncheck()
        expect(button).to_be_disabled()
        box.check()
        button.click()
        page.wait_for_url("**/console/rectifications/new?*")
        assert str(finding.id) in page.url
        expect(page.locator("textarea[name=problem]")).to_contain_text("工地未设置安全围挡")
    finally:
        context.close()
