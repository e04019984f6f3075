"""Fixtures for API tests."""

from __future__ import annotations

import pytest

from server.extensions import db
from server.models import Role, UnitKind
from tests.api.sync_helpers import World


@pytest.fixture
def world(factory):
    office = factory.unit("督查室", kind=UnitKind.office)
    target = factory.unit("住建局")
    inspector = factory.user(Role.inspector, office)
    outsider = factory.user(Role.inspector, office)
    supervisor = factory.user(Role.supervisor, office)
    responder = factory.user(Role.responder, target)
    site = factory.site(target, lat=26.4532, lon=106.9768)
    other_site = factory.site(target, lat=26.5281, lon=106.8904)
    plan = factory.plan(office, supervisor, team=[inspector], sites=[site])
    db.session.commit()
    return World(office, target, inspector, outsider, supervisor, responder, plan, site, other_site)


from tests.api.plan_helpers import pw  # noqa: E402, F401  (the planning world fixture)
from tests.api.rect_helpers import rw  # noqa: E402, F401  (the rectification world fixture)
