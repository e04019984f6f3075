"""The office's clue figures (server/clues/figures.py) with exact numbers: by source,
topic, township and month in the period; the share of plans with a clue behind them; the
share of clues that led to a finding. And the dashboard shows them to the office's
supervisors only. Definitions: docs/dashboards.md (群众反映线索)."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from server.clues import operations as ops
from server.clues.figures import clue_figures
from server.dashboards.item_figures import Period
from server.extensions import db
from server.models import ClueTopic, PlanStatus, Region, Role, UnitKind, utcnow
from tests.api.test_console import console_login

PERIOD = Period(date(2025, 3, 1), date(2025, 5, 31), True)
QUERY = "date_from=2025-03-01&date_to=2025-05-31"


def topic(code):
    return db.session.scalar(select(ClueTopic).where(ClueTopic.code == code)).id


@pytest.fixture
def world(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    sup = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    db.session.add(Region(code="522730101", name="龙山镇"))
    site_1, site_2 = factory.site(unit), factory.site(unit)

    def clue(day, **fields):
        return factory.clue(
            office, sup, **{"received_on": date(2025, *day), "unit_id": unit.id, **fields}
        )

    def plan(start, status=PlanStatus.active, sites=()):
        return factory.plan(office, sup, status=status, start=date(2025, *start), sites=sites)

    # The clues: c1 and c2 in 龙山镇 (c2 in one of its villages), c3 and c8 county-level
    # or placed nowhere, c4 in 谷脚镇 (a code without a name in the region table).
    c1 = clue((3, 10), region_code="522730101", topic_id=topic("housing"))
    c2 = clue((3, 20), region_code="522730101012", topic_id=topic("housing"))
    c3 = clue((4, 5), source="letter", region_code=None, unit_id=None)
    c8 = clue((4, 20), region_code="522730")
    c4 = clue((5, 31), source="online", region_code="522730102", topic_id=topic("environment"))
    # Not counted: merged into c4, received before the period, another office's.
    c5 = clue((5, 2), region_code="522730102")
    ops.merge_clue(c5, c4, sup)
    clue((2, 28), region_code="522730101")
    other = factory.unit("市督查室", kind=UnitKind.office)
    factory.clue(other, factory.user(Role.supervisor, other), received_on=date(2025, 4, 1))
    # The plans: p1 and p2 have clues behind them, p3 (its window's last day is the
    # period's last) none; a draft with a clue, one over before the period and one
    # starting after it are not counted.
    p1 = plan((4, 1), sites=[site_1, site_2])
    p2 = plan((3, 25))
    plan((5, 31))
    draft = plan((4, 1), status=PlanStatus.draft)
    plan((1, 1), status=PlanStatus.finished)
    plan((6, 1), status=PlanStatus.approved)
    ops.link_to_plan(c1, p1.id, site_1.id, sup)  # a finding at site 1: led to one
    ops.link_to_plan(c2, p1.id, site_2.id, sup)  # only a deleted finding at site 2
    ops.link_to_plan(c3, p2.id, None, sup)  # the plan as a whole: any finding counts
    ops.link_to_plan(c8, draft.id, None, sup)  # a draft plan: no findings
    factory.finding(p1, inspector, site_id=site_1.id, title="屋面渗漏")
    gone = factory.finding(p1, inspector, site_id=site_2.id, title="误报")
    gone.deleted_at = utcnow()
    factory.finding(p2, inspector, site_id=site_2.id, title="墙体开裂")
    db.session.commit()
    return {"office": office, "unit": unit, "supervisor": sup, "inspector": inspector}


def test_the_clue_figures_count_exactly(world):
    figures = clue_figures(world["supervisor"], {}, PERIOD)
    assert figures["sources"] == [
        ("hotline", 3), ("letter", 1), ("visit", 0), ("online", 1), ("media", 0),
        ("referral", 0), ("own_lead", 0),
    ]  # fmt: skip
    assert figures["topics"] == [("住房保障", 2), ("生态环境", 1), ("未分类", 2)]
    assert figures["townships"] == [
        ("龙山镇 522730101", 2), ("522730102", 1), ("县直/未指明", 2),
    ]  # fmt: skip
    assert figures["months"] == [("2025-03", 2), ("2025-04", 2), ("2025-05", 1)]
    plans, findings = figures["plans"], figures["findings"]
    assert (plans.count, plans.total) == (2, 3) and plans.share == pytest.approx(2 / 3)
    assert (findings.count, findings.total) == (2, 5) and findings.share == pytest.approx(0.4)


def test_the_dashboard_filters_narrow_the_clues(world, factory):
    sup = world["supervisor"]
    township = clue_figures(sup, {"region_code": "522730101"}, PERIOD)
    assert township["townships"] == [("龙山镇 522730101", 2)]
    assert (township["findings"].count, township["findings"].total) == (1, 2)
    by_unit = clue_figures(sup, {"unit_id": world["unit"].id}, PERIOD)
    assert sum(n for _, n in by_unit["sources"]) == 4  # c3 names no unit
    kind = clue_figures(sup, {"kind": "ad_hoc"}, PERIOD)
    assert (kind["plans"].count, kind["plans"].total) == (0, 0) and kind["plans"].share is None
    # Another office's supervisor counts none of them.
    other = factory.user(Role.supervisor, factory.unit("州督查室", kind=UnitKind.office))
    empty = clue_figures(other, {}, PERIOD)
    assert empty["findings"].total == 0 and empty["topics"] == empty["townships"] == []


def rows_of(page: str, chart_id: str) -> list[tuple[str, ...]]:
    section = page.split(f'id="chart-{chart_id}"')[1].split("</section>")[0]
    cells = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>")
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]  # the head row aside
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in cells.findall(row)) for row in rows]


def test_the_dashboard_shows_them_to_the_office(client, auth, factory, world):
    console_login(client, auth, world["supervisor"])
    response = client.get(f"/console/dashboard?{QUERY}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert rows_of(page, "clue-shares") == [
        ("有线索作为目标理由的计划", "2", "3", "66.7%"),
        ("暗访发现问题的线索", "2", "5", "40.0%"),
    ]
    assert rows_of(page, "clue_sources")[:2] == [("12345热线工单", "3"), ("来信", "1")]
    assert rows_of(page, "clue_townships")[-1] == ("县直/未指明", "2")
    assert rows_of(page, "clue_months") == [("2025-03", "2"), ("2025-04", "2"), ("2025-05", "1")]
    island = re.search(r'id="dashboard-data">(.*?)</script>', page, re.S).group(1)
    assert '"clue_topics"' in island  # drawn by ECharts too
    viewers = [
        factory.user(Role.leader, factory.unit("县政府", kind=UnitKind.government)),
        factory.user(Role.responder, world["unit"]),
        factory.user(Role.admin, world["office"]),
    ]
    db.session.commit()
    for viewer in viewers:
        client.post("/console/logout", data={})
        console_login(client, auth, viewer)
        page = client.get(f"/console/dashboard?{QUERY}").get_data(as_text=True)
        assert "群众反映线索" not in page and "clue_sources" not in page


CELL = re.compile(r'<td class="num"><a href="([^"]+)">(\d+)</a></td>')
TOTAL = re.compile(r"共 (\d+) 条")


@pytest.mark.parametrize("narrowed", ["", "&region_code=522730101012", "&unit_id={unit}"])
def test_every_clue_count_opens_the_register_of_exactly_its_clues(client, auth, world, narrowed):
    """Followed from the dashboard: the register says as many clues as the count (merged
    duplicates, clues before the period and another office's among those left out)."""
    console_login(client, auth, world["supervisor"])
    query = QUERY + narrowed.format(unit=world["unit"].id)
    page = client.get(f"/console/dashboard?{query}").get_data(as_text=True)
    followed = 0
    for chart_id in ("clue_sources", "clue_topics", "clue_townships", "clue_months"):
        section = page.split(f'id="chart-{chart_id}"')[1].split("</section>")[0]
        for url, count in CELL.findall(section):
            url = unescape(url)
            assert url.startswith("/console/clues?") and "status=counted" in url, url
            listed = client.get(url)
            assert listed.status_code == 200, url
            total = TOTAL.search(listed.get_data(as_text=True))  # none: the empty state
            assert (int(total[1]) if total else 0) == int(count), url
            followed += 1
    assert followed >= (4 if narrowed else 9), followed


def test_counts_without_a_register_filter_are_not_links(client, auth, world):
    console_login(client, auth, world["supervisor"])
    page = client.get(f"/console/dashboard?{QUERY}").get_data(as_text=True)
    townships = page.split('id="chart-clue_townships"')[1].split("</section>")[0]
    county = re.search(r"县直/未指明</t[hd]>\s*<td class=\"num\">(.*?)</td>", townships, re.S)
    assert county and county[1] == "2"  # a plain number, not a link
    topics = page.split('id="chart-clue_topics"')[1].split("</section>")[0]
    assert re.search(r"未分类</t[hd]>\s*<td class=\"num\">2</td>", topics)
