"""The one visibility rule, two ways (Python for one plan, SQL for lists): they agree for
every role and status."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Plan, PlanStatus, Role, UnitKind
from server.plans.access import can_see, visible_clause


@pytest.mark.parametrize("status", list(PlanStatus))
def test_python_and_sql_visibility_agree(factory, status):
    office = factory.unit("督查室", kind=UnitKind.office)
    other_office = factory.unit("外地督查室", kind=UnitKind.office)
    target = factory.unit("被督查单位")
    supervisor = factory.user(Role.supervisor, office)
    member = factory.user(Role.inspector, office)
    leader = factory.user(Role.leader)
    plan = factory.plan(
        office,
        supervisor,
        team=[member],
        sites=[factory.site(target)],
        status=status,
        leader=leader,
    )
    people = {
        "admin": factory.user(Role.admin),
        "supervisor": supervisor,
        "colleague": factory.user(Role.supervisor, office),
        "member": member,
        "leader": leader,
        "other_supervisor": factory.user(Role.supervisor, other_office),
        "outsider": factory.user(Role.inspector, office),
        "responder": factory.user(Role.responder, target),
        "other_leader": factory.user(Role.leader),
    }
    db.session.commit()
    expected = {"admin", "supervisor", "colleague"}
    if status != PlanStatus.draft:
        expected |= {"member", "leader"}
    for name, user in people.items():
        in_sql = db.session.scalar(select(Plan.id).where(Plan.id == plan.id, visible_clause(user)))
        assert can_see(user, plan) == (in_sql is not None) == (name in expected), name
