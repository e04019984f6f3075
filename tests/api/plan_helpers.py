"""A planning world: an office with supervisors and inspectors, target units and sites in
two regions, and a helper to post plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from server.extensions import db
from server.models import Role, UnitKind
from server.timeutil import local_today

HOME, AWAY = "522730", "522702"  # 龙里县, 都匀市


@dataclass
class PlanWorld:
    office: object
    supervisor: object
    supervisor2: object
    inspectors: list
    away_inspectors: list
    units: list
    sites: list
    leader: object
    other_office: object
    other_supervisor: object
    headers: dict = field(default_factory=dict)


@pytest.fixture
def pw(factory, auth):
    office = factory.unit("县督查室", kind=UnitKind.office)
    other_office = factory.unit("市督查室", kind=UnitKind.office, region_code=AWAY)
    away_unit = factory.unit("都匀市督查室", kind=UnitKind.office, region_code=AWAY)
    units = [factory.unit(f"目标单位{i}") for i in range(4)]
    sites = [factory.site(u) for u in units for _ in range(2)]
    world = PlanWorld(
        office=office,
        supervisor=factory.user(Role.supervisor, office),
        supervisor2=factory.user(Role.supervisor, office),
        inspectors=[factory.user(Role.inspector, office) for _ in range(3)],
        away_inspectors=[factory.user(Role.inspector, away_unit) for _ in range(2)],
        units=units,
        sites=sites,
        leader=factory.user(Role.leader, factory.unit("县政府", kind=UnitKind.government)),
        other_office=other_office,
        other_supervisor=factory.user(Role.supervisor, other_office),
    )
    db.session.commit()
    world.headers = auth.headers(world.supervisor)
    return world


def window(days_ahead: int = 1, length: int = 5) -> dict:
    start = local_today() + timedelta(days=days_ahead)
    return {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(days=length)).isoformat(),
    }


def plan_body(pw, **overrides) -> dict:
    body = {
        "title": "农村危房改造质量暗访",
        "matter": "危房改造工程质量与补助资金发放",
        "matter_category": "project_quality",
        "mode": "sibu_liangzhi",
        "kind": "routine_special",
        **window(),
        "team_ids": [str(pw.inspectors[0].id)],
        "site_ids": [str(pw.sites[0].id)],
    }
    body.update(overrides)
    return body


def create(client, pw, headers=None, **overrides):
    return client.post("/api/plans", json=plan_body(pw, **overrides), headers=headers or pw.headers)


def created(client, pw, **overrides) -> dict:
    response = create(client, pw, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def set_status(client, pw, plan: dict, status: str, headers=None):
    return client.post(
        f"/api/plans/{plan['id']}/status",
        json={"status": status, "version": plan["version"]},
        headers=headers or pw.headers,
    )


def to_status(client, pw, plan: dict, *statuses) -> dict:
    for status in statuses:
        response = set_status(client, pw, plan, status)
        assert response.status_code == 200, response.get_json()
        plan = response.get_json()
    return plan


def iso(d: date) -> str:
    return d.isoformat()
