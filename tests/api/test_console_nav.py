"""The console shell: the navigation on every page (only what the role may open, the
current page marked), the favicon, and the fold of long finding descriptions in triage."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from server.extensions import db
from server.models import Role, UnitKind
from tests.api.test_console import console_login

NAV = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
PORTAL_NAV = re.compile(r'<nav class="portal-nav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"([^>]*)>([^<]*)</a>')

# What each role's bar offers (labels), in order.
EXPECTED = {
    Role.supervisor: [
        "工作台",
        "数据看板",
        "地图",
        "督查计划",
        "群众线索",
        "问题分办",
        "整改台账",
        "三个清单",
        "约谈",
        "负面清单",
        "导出任务",
        "影像证据",
        "月度通报",
        "曝光台",
        "年度指标",
        "工作日历",
        "提醒与通知",
    ],
    Role.leader: [
        "工作台",
        "数据看板",
        "地图",
        "牵头事项",
        "三个清单",
        "负面清单",
        "月度通报",
        "曝光台",
        "导出任务",
        "提醒与通知",
    ],
    Role.responder: [
        "首页",
        "数据看板",
        "地图",
        "整改事项",
        "约谈与通知",
        "转办线索",
        "积分",
        "月公示",
        "曝光台",
    ],
    Role.inspector: ["工作台", "提醒与通知", "外勤应用"],
    Role.admin: [
        "系统管理",
        "用户管理",
        "数据看板",
        "地图",
        "单位",
        "点位",
        "区划",
        "工作日历",
        "规则设置",
        "影像证据",
        "提醒与通知",
    ],
}


def bar(page: str) -> list[tuple[str, bool, str]]:
    """(href, is current, label) of the page's navigation: the shell's, or the unit
    portal's own bar, which takes its place on the portal's pages."""
    found = NAV.search(page) or PORTAL_NAV.search(page)
    assert found, "no navigation on the page"
    return [
        (html.unescape(href), 'aria-current="page"' in rest, label.strip())
        for href, rest, label in LINK.findall(found.group(1))
    ]


def user_of(factory, role):
    office = factory.unit("督查室", kind=UnitKind.office)
    unit = office if role in (Role.supervisor, Role.inspector, Role.admin) else None
    if role == Role.responder:
        unit = factory.unit("某局", kind=UnitKind.department)
    return factory.user(role, unit=unit)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_page_of_the_bar_opens_and_carries_the_bar(client, factory, auth, role):
    user = user_of(factory, role)
    db.session.commit()
    console_login(client, auth, user)
    start = client.get("/console/")
    assert start.status_code == 200
    entries = bar(start.get_data(as_text=True))
    assert [label for _, _, label in entries] == EXPECTED[role]
    assert [current for _, current, _ in entries][0] is True  # the start page is marked
    for href, _, label in entries:
        response = client.get(href)
        assert response.status_code == 200, (role, label, href)
        if not href.startswith("/console"):
            continue  # the field app
        here = bar(response.get_data(as_text=True))
        assert [lab for _, _, lab in here] == EXPECTED[role], (role, href)
        current = [lab for _, cur, lab in here if cur]
        assert current == [label], (role, href, current)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_console_page_without_parameters_has_the_bar(app, client, factory, auth, role):
    """Every GET page of the console that needs no identifier and opens for the role."""
    user = user_of(factory, role)
    db.session.commit()
    console_login(client, auth, user)
    rules = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/console")
        and "GET" in r.methods
        and not r.arguments
        and not r.rule.endswith((".js", ".csv"))
    ]
    opened = 0
    for path in rules:
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        opened += 1
        labels = [label for _, _, label in bar(response.get_data(as_text=True))]
        assert labels == EXPECTED[role], (role, path)
    assert opened >= 2


def test_favicon_is_served_and_linked(client, factory, auth):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    console_login(client, auth, factory.user(Role.supervisor))
    page = client.get("/console/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page)
    assert icon and client.get(icon.group(1)).status_code == 200


def test_logout_button_never_wraps():
    css = (Path(__file__).parents[2] / "server/console/static/console.css").read_text()
    assert re.search(r"\.who button \{[^}]*white-space:nowrap", css)
    assert re.search(r"table\.ledger \{[^}]*table-layout:fixed", css)


def test_long_finding_descriptions_fold_in_triage(client, factory, auth):
    office = factory.unit("督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, unit=office)
    inspector = factory.user(Role.inspector, unit=office)
    plan = factory.plan(office, supervisor, team=[inspector])
    long_text = "现场发现" + "扬尘治理不到位,裸露土方未覆盖。" * 12 + "末尾的话"
    factory.finding(plan, inspector, title="长描述", description=long_text)
    factory.finding(plan, inspector, title="短描述", description="一句话的描述。")
    db.session.commit()
    console_login(client, auth, supervisor)
    page = client.get("/console/triage").get_data(as_text=True)
    folds = re.findall(r'<details class="fold">(.*?)</details>', page, re.S)
    assert len(folds) == 1
    summary = re.search(r"<summary>(.*?)</summary>", folds[0], re.S).group(1)
    assert html.escape(long_text[:120]) in summary and "末尾的话" not in summary
    assert "展开全文" in summary
    assert long_text in html.unescape(folds[0])  # the whole text, once opened
    assert '<p class="pre">一句话的描述。</p>' in page  # a short one is shown as it is
    assert "<script>" not in page and "onclick" not in page
