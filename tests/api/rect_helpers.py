"""A world for rectification tests: an office, two units with a responder each, a
leader, an inspector, a plan with findings, and helpers to drive items through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from server.extensions import db
from server.models import Finding, Role, Severity, Unit, UnitKind, User

__all__ = ["RectWorld", "rw", "make_finding"]


def make_finding(plan, author, site=None, title="工地未设置安全围挡", severity=Severity.medium):
    finding = Finding(
        id=uuid.uuid4(),
        created_by_id=author.id,
        plan_id=plan.id,
        site_id=site.id if site else None,
        title=title,
        description="现场发现",
        category="other",
        severity=severity,
        observed_at=datetime.now(UTC),
    )
    db.session.add(finding)
    db.session.flush()
    return finding


@dataclass
class RectWorld:
    office: Unit
    unit_a: Unit
    unit_b: Unit
    supervisor: User
    other_supervisor: User
    responder_a: User
    responder_b: User
    leader: User
    inspector: User
    plan: object
    site: object
    findings: list
    client: object
    auth: object

    def h(self, user) -> dict:
        if not hasattr(self, "_headers"):
            self._headers = {}
        if user.id not in self._headers:
            self._headers[user.id] = self.auth.headers(user)
        return self._headers[user.id]

    def call(self, method, user, url, expect=None, **kwargs):
        response = self.client.open(url, method=method, headers=self.h(user), **kwargs)
        if expect is not None:
            assert response.status_code == expect, (url, response.get_json())
        return response

    def get(self, user, url, expect=200, **kw):
        return self.call("GET", user, url, expect, **kw).get_json()

    def post(self, user, url, json=None, expect=200, **kw):
        return self.call("POST", user, url, expect, json=json or {}, **kw).get_json()

    def create(self, expect=201, **fields) -> dict:
        body = {
            "finding_ids": [str(self.findings[0].id)],
            "unit_id": str(self.unit_a.id),
            "problem": "施工现场未按要求设置围挡",
            "measures": "三日内完成围挡设置",
            "requirements": "按标准化要求整改到位",
            "lead_official_id": str(self.leader.id),
            "responsible_person": "王局长",
            "deadline": (date.today().replace(year=date.today().year + 1)).isoformat(),
        }
        body.update(fields)
        return self.post(self.supervisor, "/api/rectifications", body, expect=expect)

    def issued(self, **fields) -> dict:
        item = self.create(**fields)
        return self.post(self.supervisor, f"/api/rectifications/{item['id']}/issue")

    def in_progress(self, **fields) -> dict:
        item = self.issued(**fields)
        url = f"/api/rectifications/{item['id']}"
        self.post(self.responder_a, f"{url}/acknowledge")
        self.post(
            self.responder_a, f"{url}/progress", {"body": "已开始整改", "percent": 30}, expect=201
        )
        return self.get(self.supervisor, url)

    def closure_requested(self, **fields) -> dict:
        item = self.in_progress(**fields)
        url = f"/api/rectifications/{item['id']}"
        return self.post(self.responder_a, f"{url}/closure-request", {"body": "已全部整改完毕"})


@pytest.fixture
def rw(factory, client, auth):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    other_office = factory.unit("州督查室", kind=UnitKind.office)
    unit_a = factory.unit("住建局")
    unit_b = factory.unit("林业局", region_code="522731")
    supervisor = factory.user(Role.supervisor, office)
    other_supervisor = factory.user(Role.supervisor, other_office)
    inspector = factory.user(Role.inspector, office)
    leader = factory.user(Role.leader, office)
    responder_a = factory.user(Role.responder, unit_a)
    responder_b = factory.user(Role.responder, unit_b)
    site = factory.site(unit_a, lat=26.4532, lon=106.9768)
    plan = factory.plan(office, supervisor, team=[inspector], sites=[site])
    findings = [make_finding(plan, inspector, site, title=f"问题{i}") for i in range(3)]
    db.session.commit()
    return RectWorld(
        office,
        unit_a,
        unit_b,
        supervisor,
        other_supervisor,
        responder_a,
        responder_b,
        leader,
        inspector,
        plan,
        site,
        findings,
        client,
        auth,
    )
