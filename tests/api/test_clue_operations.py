"""The rules of clues (server/clues/operations.py): numbering, the source reference as a
key, forwarding with a working-day deadline and the unit's answer, planning (a target
added, nobody told), the secret-plan guard on merge / reject / close, duplicates and what
came of the plans a clue stands behind."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from server.clues import operations as ops
from server.clues.access import UnitView
from server.clues.queries import duplicate_candidates, plan_results, register
from server.errors import ApiError
from server.extensions import db
from server.models import (
    AuditEvent,
    Clue,
    ClueStatus,
    ClueTopic,
    Notification,
    PlanStatus,
    Role,
    UnitKind,
)


@pytest.fixture
def office(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    return {
        "office": office,
        "unit": unit,
        "supervisor": factory.user(Role.supervisor, office),
        "responder": factory.user(Role.responder, unit),
        "inspector": factory.user(Role.inspector, office),
    }


def topic(code="housing"):
    return db.session.scalar(select(ClueTopic).where(ClueTopic.code == code))


def test_clues_are_numbered_per_office_and_keyed_by_source_reference(factory, office):
    first = factory.clue(office["office"], office["supervisor"], source_ref="GD001")
    second = factory.clue(office["office"], office["supervisor"], source_ref="GD002")
    year = first.received_on.year
    assert (first.code, second.code) == (f"XS-{year}-0001", f"XS-{year}-0002")
    with pytest.raises(ApiError) as refused:
        factory.clue(office["office"], office["supervisor"], source_ref="GD001")
    assert refused.value.details["fields"]["source_ref"] == [
        f"来源编号 GD001 已登记为线索 {first.code}"
    ]
    # Another channel may use the same number (a letter's own numbering).
    assert factory.clue(office["office"], office["supervisor"], source="letter", source_ref="GD001")


def test_numbering_survives_a_rolled_back_clue_and_a_number_taken_meanwhile(factory, office):
    """The last number filed is remembered within a session (an import files thousands):
    a clue rolled back gives its number back, and a number another request took is
    skipped."""
    file = lambda: factory.clue(office["office"], office["supervisor"])  # noqa: E731
    first = file()
    year = first.received_on.year
    with pytest.raises(RuntimeError), db.session.begin_nested():
        assert file().code == f"XS-{year}-0002"
        raise RuntimeError("rolled back")
    assert file().code == f"XS-{year}-0002"
    # Another request files the next number meanwhile (a plain INSERT, unknown to the
    # ORM): the conflict makes the retry read the codes again.
    db.session.execute(
        insert(Clue.__table__).values(
            id=uuid.uuid4(), code=f"XS-{year}-0003", office_unit_id=office["office"].id,
            source="letter", received_on=first.received_on, summary="另一请求登记的线索",
            created_by_id=office["supervisor"].id, status="received", version=1,
            created_at=first.created_at, updated_at=first.created_at,
        )
    )  # fmt: skip
    assert file().code == f"XS-{year}-0004"


def test_a_deactivated_unit_or_an_unknown_topic_is_refused_even_when_loaded(factory, office):
    gone = factory.unit("县已撤并的局")
    gone.active = False
    db.session.flush()  # loaded in this session: the check reads the identity map
    for field, value, message in (
        ("unit_id", gone.id, "涉及单位不存在或已停用"),
        ("topic_id", uuid.uuid4(), "线索分类不存在或已停用"),
    ):
        with pytest.raises(ApiError) as refused:
            factory.clue(office["office"], office["supervisor"], **{field: value})
        assert refused.value.details["fields"][field] == [message]


def test_the_register_total_matches_its_clues_under_every_status_filter(factory, office):
    """The total is taken from the counts by status (overdue is counted on its own)."""
    supervisor = office["supervisor"]
    file = lambda summary: factory.clue(office["office"], supervisor, summary=summary)  # noqa: E731
    road, noise, puddle = file("道路塌陷"), file("夜间噪音扰民"), file("道路积水")
    ops.forward_clue(noise, {"unit_id": office["unit"].id}, supervisor)
    noise.answer_due = date.today() - timedelta(days=10)
    ops.reject_clue(puddle, "重复反映", "", supervisor)
    db.session.flush()
    for args, expected in (
        ({}, 3), ({"status": "open"}, 2), ({"status": "rejected"}, 1), ({"status": "closed"}, 0),
        ({"status": "overdue"}, 1), ({"q": "道路"}, 2), ({"q": "道路", "status": "open"}, 1),
    ):  # fmt: skip
        result = register(supervisor, {"page": 1, **args})
        assert result["total"] == expected == len(result["items"]), args
    # A word with letters still ignores their case (a work order number typed in lower case).
    assert [c.code for c in register(supervisor, {"q": road.source_ref.lower()})["items"]] == [
        road.code
    ]


def test_the_region_follows_the_site_then_the_unit(factory, office):
    site = factory.site(office["unit"], region_code="522730101")
    on_site = factory.clue(office["office"], office["supervisor"], site_id=site.id)
    on_unit = factory.clue(office["office"], office["supervisor"], unit_id=office["unit"].id)
    typed = factory.clue(office["office"], office["supervisor"], region_code="522730102")
    assert (on_site.region_code, on_unit.region_code, typed.region_code) == (
        "522730101", "522730", "522730102",
    )  # fmt: skip


def test_forwarding_sets_a_working_day_deadline_and_the_unit_answers(factory, office):
    clue = factory.clue(office["office"], office["supervisor"], reporter_contact="13800000000")
    ops.forward_clue(clue, {"unit_id": office["unit"].id, "note": "请核实"}, office["supervisor"])
    db.session.flush()
    assert clue.status == ClueStatus.forwarded and clue.answer_due > clue.received_on
    told = db.session.scalars(
        select(Notification).where(Notification.recipient_id == office["responder"].id)
    ).all()
    assert [n.kind for n in told] == ["clue_forwarded"]
    assert "13800000000" not in told[0].title + told[0].body
    with pytest.raises(ApiError):
        ops.answer_clue(clue, "已核实", office["inspector"])
    ops.answer_clue(clue, "已核实并修复道路", office["responder"])
    assert clue.status == ClueStatus.answered
    with pytest.raises(ApiError):
        ops.answer_clue(clue, "再答一次", office["responder"])
    events = db.session.scalars(select(AuditEvent.details).where(AuditEvent.entity_type == "clue"))
    assert all("13800000000" not in str(details) for details in events)


def test_planning_adds_the_site_tells_nobody_and_holds_the_clue_until_issued(factory, office):
    site = factory.site(office["unit"])
    plan = factory.plan(office["office"], office["supervisor"], status=PlanStatus.approved)
    clue = factory.clue(office["office"], office["supervisor"], site_id=site.id)
    ops.forward_clue(clue, {"unit_id": office["unit"].id}, office["supervisor"])
    before = UnitView.of(clue)
    notices = db.session.scalar(select(db.func.count(Notification.id)))
    ops.link_to_plan(clue, plan.id, site.id, office["supervisor"])
    db.session.flush()
    assert site in plan.sites and office["unit"] in plan.target_units
    assert clue.status == ClueStatus.planned
    assert UnitView.of(clue) == before  # the unit's view has not moved
    assert db.session.scalar(select(db.func.count(Notification.id))) == notices
    other_unit = factory.unit("县交通运输局")
    for refused in (
        lambda: ops.close_clue(clue, "rectified", "已整改", office["supervisor"]),
        lambda: ops.reject_clue(clue, "不属实", "", office["supervisor"]),
        # Forwarding again now would tip the unit off about the coming visit.
        lambda: ops.forward_clue(clue, {"unit_id": other_unit.id}, office["supervisor"]),
    ):
        with pytest.raises(ApiError) as error:
            refused()
        assert error.value.code == "clue_in_secret_plan"
    # The unit may still answer what it was forwarded; the office-side status stays.
    ops.answer_clue(clue, "已答复", office["responder"])
    assert clue.status == ClueStatus.planned
    finding = factory.finding(plan, office["inspector"], site_id=site.id, title="道路塌陷未修复")
    item = factory.rectification(office["office"], office["unit"], plan=plan)
    item.findings.append(finding)
    plan.status = PlanStatus.findings_issued
    db.session.flush()
    [result] = plan_results(clue)
    assert result.issued and result.findings == [finding] and result.items == [item]
    ops.close_clue(clue, "rectified", "经暗访核实属实,已交办整改", office["supervisor"])
    assert clue.status == ClueStatus.closed and clue.reply.startswith("经暗访")


def test_a_plan_of_another_office_cannot_take_the_clue(factory, office):
    other = factory.unit("市督查室", kind=UnitKind.office)
    plan = factory.plan(other, factory.user(Role.supervisor, other), status=PlanStatus.draft)
    clue = factory.clue(office["office"], office["supervisor"])
    with pytest.raises(ApiError) as error:
        ops.link_to_plan(clue, plan.id, None, office["supervisor"])
    assert error.value.status == 404


def test_duplicates_are_suggested_and_merged_by_a_person(factory, office):
    kwargs = {"topic_id": topic().id, "place": "龙山镇 幸福小区"}
    first = factory.clue(office["office"], office["supervisor"], **kwargs)
    second = factory.clue(
        office["office"], office["supervisor"], **{**kwargs, "place": "龙山镇幸福小区"}
    )
    unrelated = factory.clue(office["office"], office["supervisor"], place="谷脚镇")
    suggested = duplicate_candidates(office["supervisor"], second)
    assert [(c.id, why) for c, why in suggested] == [(first.id, "同一地点同类问题")]
    assert duplicate_candidates(office["supervisor"], unrelated) == []
    ops.merge_clue(second, first, office["supervisor"])
    assert second.status == ClueStatus.merged and second.merged_into_id == first.id
    with pytest.raises(ApiError):
        ops.merge_clue(first, second, office["supervisor"])  # into a merged clue


def test_rejecting_ends_the_clue_with_the_reason_as_reply(factory, office):
    clue = factory.clue(office["office"], office["supervisor"])
    ops.reject_clue(clue, "不属于督查范围", "", office["supervisor"])
    assert (clue.status, clue.outcome, clue.reply) == ("rejected", "rejected", "不属于督查范围")
    with pytest.raises(ApiError):
        ops.forward_clue(clue, {"unit_id": office["unit"].id}, office["supervisor"])
