"""The dashboards (issue 14): every number equals the count of the list its link opens
(followed through the test client), each role counts only what it may see, a plan's
secrets show in no number before it is issued, and bad filters are a redrawn form."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from html import unescape
from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import (
    ExtensionRequest,
    ExtensionStatus,
    PlanKind,
    PlanStatus,
    RectificationStatus,
    Role,
    TriageStatus,
    UnitKind,
    Verification,
    VerificationMethod,
    VerificationStatus,
    Visit,
)
from server.timeutil import CHINA, local_today
from tests.api.test_console import console_login

S = RectificationStatus
CELL = re.compile(r'<td class="num"><a href="([^"]+)">(\d+)</a></td>')
TOTAL = re.compile(r"共 (\d+) (?:项|条)")


def moment(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=CHINA).astimezone(UTC)


@pytest.fixture
def world(factory):
    """One office, two townships, three units, a leader; 60 items in every status and
    colour over the last year, findings in every triage state, 回头看 and field work."""
    rng = random.Random(14)
    today = local_today()
    office = factory.unit("县委督查室", kind=UnitKind.office)
    units = [
        factory.unit("县交通运输局"),
        factory.unit("县水务局"),
        factory.unit("青杠镇人民政府", kind=UnitKind.township, region_code="522730101"),
    ]
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    leader = factory.user(Role.leader, factory.unit("县政府", kind=UnitKind.government))
    responders = [factory.user(Role.responder, u) for u in units]
    plans = [
        factory.plan(office, supervisor, team=[inspector], units=units[:2], kind=kind)
        for kind in (PlanKind.routine_special, PlanKind.leader_led)
    ]
    statuses = [S.issued, S.acknowledged, S.in_progress, S.closure_requested, S.closed, S.draft]
    made = []
    for n in range(60):
        unit = units[n % 3]
        status = statuses[n % len(statuses)]
        item = factory.rectification(office, unit, status=status, plan=plans[n % 2])
        item.region_code = unit.region_code
        issued = today - timedelta(days=rng.randint(5, 300))
        item.issued_at = moment(issued) if status != S.draft else None
        item.deadline = issued + timedelta(days=rng.randint(10, 120))
        item.listed = n % 5 == 0
        item.lead_official_id = leader.id if n % 2 == 0 else None
        if status == S.closed:
            item.closed_at = moment(issued + timedelta(days=rng.randint(3, 130)), hour=23)
            if item.closed_at > datetime.now(UTC):
                item.closed_at = datetime.now(UTC) - timedelta(hours=1)
        elif status != S.draft:
            item.red_from = rng.choice([None, today - timedelta(days=3), today + timedelta(days=9)])
        made.append(item)
    db.session.flush()
    for i, item in enumerate(made[:12]):
        db.session.add(
            Verification(
                rectification_id=item.id,
                method=VerificationMethod.desk,
                status=VerificationStatus.passed if i % 3 else VerificationStatus.failed,
                assigned_by_id=supervisor.id,
                decided_by_id=supervisor.id,
                decided_at=moment(today - timedelta(days=7 * i)),
            )
        )
    for item in made[1:20:4]:
        db.session.add(
            ExtensionRequest(
                rectification_id=item.id,
                requested_by_id=responders[0].id,
                reason="雨季无法施工",
                requested_deadline=today + timedelta(days=60),
                status=ExtensionStatus.pending,
            )
        )
    triage = list(TriageStatus)
    for n in range(40):
        observed = moment(today - timedelta(days=rng.randint(0, 380)), hour=rng.randint(0, 23))
        factory.finding(plans[n % 2], inspector, observed_at=observed, triage_status=triage[n % 4])
    site = factory.site(units[0])
    for n in range(6):
        db.session.add(
            Visit(
                id=uuid.uuid4(),
                created_by_id=inspector.id,
                plan_id=plans[0].id,
                site_id=site.id,
                arrived_at=moment(today - timedelta(days=n * 9)),
            )
        )
    db.session.commit()
    return SimpleNamespace(
        office=office,
        units=units,
        supervisor=supervisor,
        leader=leader,
        responders=responders,
        plans=plans,
        items=made,
        today=today,
    )


def links_of(html: str) -> list[tuple[str, int]]:
    return [(unescape(url), int(n)) for url, n in CELL.findall(html)]


def total_behind(client, url: str) -> int:
    """The count of the list a dashboard number opens, as that page says it."""
    response = client.get(url)
    assert response.status_code == 200, url
    found = TOTAL.search(response.get_data(as_text=True))
    return int(found.group(1)) if found else 0


def check_every_number(client, auth, user, query="") -> int:
    console_login(client, auth, user)
    response = client.get(f"/console/dashboard{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    checked = 0
    for url, count in links_of(html):
        if url.startswith("/console/plans/figures"):
            continue  # the year's figures: test_compliance_is_the_plans_own
        assert total_behind(client, url) == count, url
        checked += 1
    return checked


def test_supervisor_numbers_equal_their_lists(client, auth, world):
    checked = check_every_number(client, auth, world.supervisor)
    assert checked > 100  # colours, statuses, units, regions, weeks, findings, 回头看


def test_townships_are_named_by_their_government(client, auth, world):
    console_login(client, auth, world.supervisor)
    html = client.get("/console/dashboard").get_data(as_text=True)
    regions = re.search(r"按乡镇.*?</table>", html, re.S).group(0)
    assert "青杠镇人民政府 522730101" in regions
    assert "县政府 522730" in regions  # the county's own units


@pytest.mark.parametrize(
    "query",
    [
        "?unit_id={unit}",
        "?region_code=522730101",
        "?plan_id={plan}&kind=leader_led",
        "?date_from={start}&date_to={end}",
    ],
)
def test_supervisor_filtered_numbers_equal_their_lists(client, auth, world, query):
    start = world.today - timedelta(days=120)
    query = query.format(
        unit=world.units[0].id, plan=world.plans[1].id, start=start, end=world.today
    )
    assert check_every_number(client, auth, world.supervisor, query) > 10


def test_leader_numbers_equal_their_lists_and_count_only_his(client, auth, world):
    assert check_every_number(client, auth, world.leader) > 10
    html = client.get("/console/dashboard").get_data(as_text=True)
    led = [i for i in world.items if i.lead_official_id == world.leader.id and i.status != S.draft]
    colours = re.search(r"整改事项按颜色.*?</table>", html, re.S).group(0)
    assert sum(n for _, n in links_of(colours)[0::2]) == len(led)
    assert "回头看" not in html and "年度督查指标" not in html  # the office's figures


def test_a_leader_of_the_offices_government_also_counts_its_listed_items(client, auth, world):
    world.office.parent = world.leader.unit
    db.session.commit()
    assert check_every_number(client, auth, world.leader) > 10
    html = client.get("/console/dashboard").get_data(as_text=True)
    seen = [
        i
        for i in world.items
        if i.status != S.draft and (i.lead_official_id == world.leader.id or i.listed)
    ]
    assert len(seen) > len([i for i in seen if i.lead_official_id == world.leader.id])
    colours = re.search(r"整改事项按颜色.*?</table>", html, re.S).group(0)
    assert sum(n for _, n in links_of(colours)[0::2]) == len(seen)


def test_responder_counts_only_its_unit(client, auth, world):
    responder = world.responders[0]
    assert check_every_number(client, auth, responder) >= 3
    html = client.get("/console/dashboard").get_data(as_text=True)
    own = [i for i in world.items if i.unit_id == world.units[0].id and i.status != S.draft]
    colours = re.search(r"整改事项按颜色.*?</table>", html, re.S).group(0)
    assert sum(n for _, n in links_of(colours)[0::2]) == len(own)
    for other in world.units[1:]:
        assert other.name not in html
    for item in world.items:
        if item.unit_id != world.units[0].id:
            assert item.code not in html
    # A unit's list behind a number holds only its own items, whatever the filter says.
    theirs = client.get(f"/console/dashboard/items?unit_id={world.units[1].id}")
    assert theirs.status_code == 200 and "共 0 项" in theirs.get_data(as_text=True)


def test_a_plan_before_it_is_issued_moves_no_number_of_a_unit(client, auth, world, factory):
    """Draft items of a secret plan (its findings not yet issued) change nothing a unit
    or a leader reads, and change the office's figures."""
    responder, leader = world.responders[0], world.leader

    def numbers(user):
        console_login(client, auth, user)
        html = client.get("/console/dashboard").get_data(as_text=True)
        start = client.get("/console/").get_data(as_text=True)
        return [n for _, n in links_of(html)], re.findall(r'class="big">(\d+)<', start)

    before = {u.id: numbers(u) for u in (responder, leader)}
    office_before = numbers(world.supervisor)
    secret = factory.plan(
        world.office,
        world.supervisor,
        units=[world.units[0]],
        status=PlanStatus.active,
        kind=PlanKind.leader_led,
    )
    for n in range(4):
        item = factory.rectification(world.office, world.units[0], status=S.draft, plan=secret)
        item.lead_official_id = leader.id
        item.deadline = world.today + timedelta(days=n)
        item.listed = True
    factory.finding(secret, world.supervisor, observed_at=moment(world.today))
    db.session.commit()
    for user in (responder, leader):
        assert numbers(user) == before[user.id]
    assert numbers(world.supervisor) != office_before  # the office does count its finding


def test_compliance_is_the_plans_own(client, auth, world):
    figures = client.get("/api/plans/figures", headers=auth.headers(world.supervisor))
    figures = figures.get_json()
    console_login(client, auth, world.supervisor)
    html = client.get("/console/dashboard").get_data(as_text=True)
    table = re.search(r'id="chart-compliance".*?</table>', html, re.S).group(0)
    for key in ("unannounced", "routine_special", "random_targets"):
        share = figures[key]
        assert f">{share['count']}</a></td>" in table
        assert f'<td class="num">{share["total"]}</td>' in table


def test_inspector_may_not_see_dashboards(client, auth, world, factory):
    console_login(client, auth, factory.user(Role.inspector, world.office))
    assert client.get("/console/dashboard").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "?date_from=2026-13-01",
        "?date_from=2026-05-01&date_to=2026-04-01",
        "?date_from=2020-01-01&date_to=2026-01-01",
        "?region_code=abc",
        "?unit_id=not-a-uuid",
        "?kind=secret",
        "?colour=red",
    ],
)
def test_bad_filters_redraw_the_form(client, auth, world, query):
    console_login(client, auth, world.supervisor)
    response = client.get(f"/console/dashboard{query}")
    assert response.status_code == 422
    assert "筛选条件有误" in response.get_data(as_text=True)


def test_bad_unit_list_filters_are_a_422(client, auth, world):
    console_login(client, auth, world.responders[0])
    response = client.get("/console/dashboard/items?deadline_from=2026-02-30")
    assert response.status_code == 422


def test_empty_dashboards_say_so(client, auth, factory):
    office = factory.unit("空督查室", kind=UnitKind.office)
    for user in (factory.user(Role.supervisor, office), factory.user(Role.leader)):
        console_login(client, auth, user)
        html = client.get("/console/dashboard").get_data(as_text=True)
        assert "暂无数据" in html
        client.post("/console/logout", data={})


def test_page_loads_charts_from_the_data_island_only(client, auth, world):
    console_login(client, auth, world.supervisor)
    html = client.get("/console/dashboard").get_data(as_text=True)
    assert 'type="application/json" id="dashboard-data"' in html
    assert "vendor/echarts/echarts.min.js" in html and "dashboards.js" in html
    assert re.search(r"<script>(?!</script>)", html) is None  # no inline script
    assert '<th scope="col">' in html and '<th scope="row">' in html and "<caption>" in html


def test_start_pages_show_headline_counts_and_link_the_dashboard(client, auth, world):
    for user in (world.supervisor, world.leader, world.responders[0]):
        console_login(client, auth, user)
        html = client.get("/console/").get_data(as_text=True)
        assert "/console/dashboard" in html, user.role
        client.post("/console/logout", data={})
