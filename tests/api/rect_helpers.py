"""A world for rectification tests: an office, two units with a responder each, a
leader, an inspector, a plan with findings, and helpers to drive items through the API."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from server.extensions import db
from server.models import (
    ExtensionRequest,
    Rectification,
    RectificationStatus,
    Role,
    Severity,
    Unit,
    UnitKind,
    User,
    Verification,
    VerificationMethod,
    VerificationStatus,
)
from server.timeutil import CHINA, local_today
from tests.factories import Factory

__all__ = ["RectWorld", "rw", "make_finding", "at_noon"]
_codes = itertools.count(1)
S = RectificationStatus
ISSUED_OR_LATER = (S.issued, S.acknowledged, S.in_progress, S.closure_requested, S.closed)


def at_noon(day: date) -> datetime:
    """A moment on `day` in China (the day local_today() gives back)."""
    return datetime.combine(day, time(12), tzinfo=CHINA).astimezone(UTC)


def make_finding(plan, author, site=None, title="工地未设置安全围挡", severity=Severity.medium):
    site_id = site.id if site else None
    return Factory().finding(plan, author, site_id=site_id, title=title, severity=severity)


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

    # ---- items in a given state, built directly (for tests that only need the state) ----

    def make(
        self,
        status=S.issued,
        unit=None,
        lead=True,
        issued_on: date | None = None,
        deadline: date | None = None,
        last_progress_on: date | None = None,
        commit=True,
        **facts,
    ) -> Rectification:
        """An item of this office in `status` with consistent timestamps; facts given as
        keywords (progress_percent, return_count, report_every_days, ...) win. red_from
        is computed as the application would."""
        from server.rectification.colour import refresh_red_from

        status = S(status)
        today = local_today()
        unit = unit or self.unit_a
        n = next(_codes)
        item = Rectification(
            code=f"ZG-T-{n:05d}",
            problem=f"测试整改问题{n}",
            measures="按要求整改",
            requirements="整改到位",
            office_unit_id=self.office.id,
            unit_id=unit.id,
            region_code=unit.region_code or "",
            site_id=self.site.id,
            lead_official_id=self.leader.id if lead else None,
            created_by_id=self.supervisor.id,
            status=status,
            deadline=deadline or today + timedelta(days=60),
            deadline_confirmed=True,
            supporting_units=[],
        )
        if status in ISSUED_OR_LATER:
            item.issued_at = at_noon(issued_on or today)
        if status in ISSUED_OR_LATER[1:]:
            item.acknowledged_at = item.issued_at
        if status in ISSUED_OR_LATER[2:]:
            item.progress_percent = 30
            item.last_progress_at = at_noon(last_progress_on or issued_on or today)
        elif last_progress_on is not None:
            item.last_progress_at = at_noon(last_progress_on)
        if status in ISSUED_OR_LATER[3:]:
            item.progress_percent = 100
            item.closure_requested_at = datetime.now(UTC) - timedelta(minutes=10)
        for name, value in facts.items():
            setattr(item, name, value)
        db.session.add(item)
        db.session.flush()
        if status == S.closed:
            item.closed_at = datetime.now(UTC) - timedelta(minutes=5)
            self.verification(item, VerificationStatus.passed, commit=False)
        refresh_red_from(item)
        if commit:
            db.session.commit()
        return item

    def verification(
        self, item, status=VerificationStatus.reported, method=VerificationMethod.field, **kw
    ) -> Verification:
        """A verification of `item` in `status` (field: sent to self.inspector)."""
        commit = kw.pop("commit", True)
        now = datetime.now(UTC)
        v = Verification(
            rectification_id=item.id,
            method=method,
            status=status,
            assigned_by_id=self.supervisor.id,
            inspector_id=self.inspector.id if method == VerificationMethod.field else None,
        )
        if status != VerificationStatus.assigned:
            v.report, v.reported_at = "现场已复查", now - timedelta(minutes=8)
        if status in (VerificationStatus.passed, VerificationStatus.failed):
            v.decided_by_id, v.decided_at = self.supervisor.id, now - timedelta(minutes=6)
        for name, value in kw.items():
            setattr(v, name, value)
        db.session.add(v)
        db.session.flush()
        if commit:
            db.session.commit()
        return v

    def extension(self, item, commit=True) -> ExtensionRequest:
        """A pending extension request of `item`, 30 days past its deadline."""
        request = ExtensionRequest(
            rectification_id=item.id,
            requested_by_id=self.responder_a.id,
            reason="雨季无法施工,申请延期",
            previous_deadline=item.deadline,
            requested_deadline=item.deadline + timedelta(days=30),
        )
        db.session.add(request)
        db.session.flush()
        if commit:
            db.session.commit()
        return request

    def reload(self, item_or_id) -> Rectification | None:
        """The item as the database has it now."""
        item_id = getattr(item_or_id, "id", item_or_id)
        db.session.expire_all()
        return db.session.get(Rectification, uuid.UUID(str(item_id)))

    def user(self, role, unit=None) -> User:
        user = Factory().user(role, unit or self.office)
        db.session.commit()
        return user


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
