"""Factories for units, users, sites, plans, findings, photos and items, and an auth
helper."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.auth.passwords import hash_password
from server.extensions import db
from server.models import (
    Category,
    ContentStatus,
    Finding,
    LocationSource,
    Photo,
    Plan,
    PlanKind,
    PlanMode,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Role,
    Severity,
    Site,
    Unit,
    UnitKind,
    User,
)

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)

__all__ = ["PASSWORD", "factory", "auth"]


class Factory:
    def unit(self, name=None, kind=UnitKind.department, parent=None, region_code="522730"):
        n = next(_seq)
        unit = Unit(
            name=name or f"测试单位{n}",
            code=f"U{n:05d}",
            kind=kind,
            region_code=region_code,
            parent=parent,
        )
        db.session.add(unit)
        db.session.flush()
        return unit

    def user(self, role=Role.inspector, unit=None, username=None, password=PASSWORD, active=True):
        n = next(_seq)
        user = User(
            username=username or f"{role.value}{n}",
            display_name=f"用户{n}",
            role=role,
            unit=unit or self.unit(),
            active=active,
            password_hash=hash_password(password),
        )
        db.session.add(user)
        db.session.flush()
        return user

    def site(self, unit=None, lat=26.45, lon=106.97, radius_m=200, region_code=None):
        """A site in `region_code` (by default its unit's region)."""
        n = next(_seq)
        unit = unit or self.unit(region_code=region_code or "522730")
        site = Site(
            name=f"点位{n}",
            address="测试地址",
            lat=lat,
            lon=lon,
            radius_m=radius_m,
            unit=unit,
            region_code=region_code or unit.region_code,
        )
        db.session.add(site)
        db.session.flush()
        return site

    def plan(
        self,
        office,
        creator,
        team=(),
        sites=(),
        mode=PlanMode.sanbu_sanzhi,
        status=PlanStatus.active,
        kind=PlanKind.routine_special,
        units=(),
        category="project_quality",
        start=None,
        days=10,
        leader=None,
        title=None,
    ):
        n = next(_seq)
        start = start or date.today()
        target_units = list(units) + [s.unit for s in sites if s.unit not in units]
        plan = Plan(
            code=f"P-{n:05d}",
            title=title or f"暗访计划{n}",
            matter=f"督查事项{n}",
            matter_category=db.session.scalar(select(Category).where(Category.code == category)),
            mode=mode,
            kind=kind,
            window_start=start,
            window_end=start + timedelta(days=days),
            status=status,
            office_unit=office,
            created_by_id=creator.id,
            leader=leader,
            team=list(team),
            sites=list(sites),
            target_units=list(dict.fromkeys(target_units)),
        )
        db.session.add(plan)
        db.session.flush()
        return plan

    def finding(self, plan, author, **fields) -> Finding:
        values = {
            "title": "工地未设置安全围挡",
            "description": "现场发现",
            "category": "other",
            "severity": Severity.medium,
            "observed_at": datetime.now(UTC),
            **fields,
        }
        return _added(Finding(id=uuid.uuid4(), created_by_id=author.id, plan_id=plan.id, **values))

    def photo(self, author, parent_type, parent_id, plan_id=None, **fields) -> Photo:
        """A photo record (content pending unless said otherwise); its sha256 is unique."""
        values = {
            "sha256": uuid.uuid4().hex * 2,
            "size_bytes": 1000,
            "mime_type": "image/jpeg",
            "captured_at": datetime.now(UTC),
            "location_source": LocationSource.geolocation,
            "content_status": ContentStatus.pending,
            **fields,
        }
        photo = Photo(
            id=uuid.uuid4(),
            created_by_id=author.id,
            parent_type=parent_type,
            parent_id=parent_id,
            plan_id=plan_id,
            **values,
        )
        return _added(photo)

    def rectification(self, office, unit, status=RectificationStatus.issued, plan=None):
        n = next(_seq)
        item = Rectification(
            code=f"ZG-{n:05d}",
            problem=f"整改问题{n}",
            office_unit_id=office.id,
            unit=unit,
            source_plan_id=plan.id if plan else None,
            status=status,
        )
        db.session.add(item)
        db.session.flush()
        return item

    def clue(self, office, creator, **fields):
        """A clue filed by hand for `office` (through the operation, so it is numbered and
        its region derived)."""
        from server.clues.operations import create_clue

        data = {
            "source": "hotline",
            "source_ref": f"GD{next(_seq):08d}",
            "received_on": date.today(),
            "summary": "群众反映小区道路塌陷无人修复",
            "place": "龙山镇幸福小区",
            **fields,
        }
        creator.unit_id = creator.unit_id or office.id
        return create_clue(data, creator)


def _added(row):
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def factory(app):
    return Factory()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=PASSWORD) -> dict:
        db.session.commit()
        response = self.client.post(
            "/api/auth/login", json={"username": user.username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def headers(self, user) -> dict:
        return {"Authorization": f"Bearer {self.login(user)['access_token']}"}


@pytest.fixture
def auth(client):
    return Auth(client)
