"""The negative list (server/points): each deduction rule applied by the daily job and
never twice, manual entries, one objection per entry and its decision, the unit's year
total, points_by_unit / year_totals for the ranking, and who sees which entries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import (
    AuditEvent,
    Notification,
    ObjectionStatus,
    PointsEntry,
    RectificationStatus,
    Role,
    SettingOverride,
    Summons,
    UnitKind,
    VerificationStatus,
    utcnow,
)
from server.points.queries import points_by_unit, year_totals
from server.points.rules import apply_rules
from server.timeutil import local_today
from tests.api.test_console_portal import login, text

S = RectificationStatus
DAY = date(2026, 3, 16)


def entries(rule=None) -> list[PointsEntry]:
    db.session.expire_all()
    query = select(PointsEntry).order_by(PointsEntry.occurred_on)
    if rule:
        query = query.where(PointsEntry.rule == rule)
    return list(db.session.scalars(query))


def run(day=DAY) -> dict:
    added = apply_rules(day)
    db.session.commit()
    return added


def overdue_item(rw, status=S.in_progress, deadline=DAY - timedelta(days=3)):
    return rw.make(status, issued_on=deadline - timedelta(days=40), deadline=deadline)


# ---- the rules ----


def test_overdue_once_per_item_and_month(rw):
    item = overdue_item(rw)
    overdue_item(rw, S.closure_requested)  # the unit has asked to close it: not overdue
    overdue_item(rw, S.draft)  # never issued: never on the negative list
    assert run()["overdue"] == 1
    assert run() == {} and run(DAY + timedelta(days=5)) == {}  # same month: nothing more
    [entry] = entries("overdue")
    assert (entry.rectification_id, entry.unit_id, entry.office_unit_id) == (
        item.id, rw.unit_a.id, rw.office.id,
    )  # fmt: skip
    assert (entry.points, entry.occurred_on, entry.year) == (-2, DAY, 2026)
    assert item.code in entry.reason and entry.created_by_id is None
    assert run(date(2026, 4, 1))["overdue"] == 1  # still overdue in the next month
    assert [e.occurred_on for e in entries("overdue")] == [DAY, date(2026, 4, 1)]


def test_returned_once_per_failed_verification(rw):
    item = rw.make(S.in_progress, issued_on=DAY - timedelta(days=20))
    failed = rw.verification(item, VerificationStatus.failed, decision_reason="围挡仍未设置")
    rw.verification(item, VerificationStatus.passed)
    assert run(local_today())["returned"] == 1
    assert run(local_today()) == {}
    [entry] = entries("returned")
    assert entry.points == -1 and "围挡仍未设置" in entry.reason
    assert entry.dedupe_key == f"returned:{failed.id}"


def test_summons_costs_points_once(rw):
    item = rw.make(S.in_progress)
    summons = Summons(
        office_unit_id=rw.office.id, unit_id=rw.unit_a.id, rectification_id=item.id,
        held_on=DAY - timedelta(days=1), person="张三(局长)", reason="整改不力",
        recorded_by_id=rw.supervisor.id,
    )  # fmt: skip
    db.session.add(summons)
    db.session.commit()
    assert run()["summons"] == 1 and run() == {}
    [entry] = entries("summons")
    assert (entry.points, entry.occurred_on, entry.summons_id) == (-3, summons.held_on, summons.id)
    assert entry.rectification_id == item.id


def test_red_beyond_the_setting_once_per_month(rw):
    issued = DAY - timedelta(days=60)
    long_red = rw.make(S.in_progress, issued_on=issued)
    long_red.red_from = DAY - timedelta(days=31)
    short_red = rw.make(S.in_progress, issued_on=issued)
    short_red.red_from = DAY - timedelta(days=10)
    draft = rw.make(S.draft)
    draft.red_from = DAY - timedelta(days=90)
    db.session.commit()
    added = run()
    assert added.get("red_long") == 1
    assert [e.rectification_id for e in entries("red_long")] == [long_red.id]
    assert run().get("red_long") is None


def test_a_rule_set_to_zero_is_off_and_settings_set_the_points(rw):
    overdue_item(rw)
    db.session.add(SettingOverride(key="points_overdue", value=0, updated_by_id=rw.supervisor.id))
    db.session.commit()
    assert run() == {}
    db.session.get(SettingOverride, "points_overdue").value = 5
    db.session.commit()
    assert run()["overdue"] == 1 and entries("overdue")[0].points == -5


def test_the_job_and_the_command_run_the_rules(app, rw):
    from server.points.jobs import apply_points_job

    overdue_item(rw, deadline=local_today() - timedelta(days=2))
    apply_points_job.call_local()
    assert len(entries("overdue")) == 1
    result = app.test_cli_runner().invoke(args=["apply-points"])
    assert result.exit_code == 0 and "已记录扣分 0 条" in result.output
    assert len(entries("overdue")) == 1


# ---- totals for the ranking ----


def _entry(rw, unit, points, day, office=None, cancelled=False):
    entry = PointsEntry(
        office_unit_id=(office or rw.office).id, unit_id=unit.id, year=day.year,
        occurred_on=day, points=points, rule="manual", reason="测试",
    )  # fmt: skip
    if cancelled:
        entry.cancelled_at = utcnow()
    db.session.add(entry)
    db.session.flush()
    return entry


def test_points_by_unit_and_year_totals(rw, factory):
    other_office = factory.unit("州督查室2", kind=UnitKind.office)
    _entry(rw, rw.unit_a, -2, date(2026, 3, 1))
    _entry(rw, rw.unit_a, -1.5, date(2026, 3, 31))
    _entry(rw, rw.unit_a, -4, date(2026, 3, 10), cancelled=True)  # objection upheld
    _entry(rw, rw.unit_a, -3, date(2026, 4, 1))
    _entry(rw, rw.unit_b, -1, date(2026, 3, 5))
    _entry(rw, rw.unit_b, -6, date(2025, 12, 31))
    _entry(rw, rw.unit_a, -9, date(2026, 3, 5), office=other_office)
    db.session.commit()
    march = points_by_unit(rw.office.id, date(2026, 3, 1), date(2026, 3, 31))
    assert march == {rw.unit_a.id: -3.5, rw.unit_b.id: -1.0}
    assert year_totals(rw.office.id, 2026) == {rw.unit_a.id: -6.5, rw.unit_b.id: -1.0}
    assert year_totals(rw.office.id, 2025) == {rw.unit_b.id: -6.0}
    assert year_totals(other_office.id, 2026) == {rw.unit_a.id: -9.0}


# ---- manual entries, objections and decisions through the console ----


def manual(client, csrf, rw, **fields):
    data = {
        "csrf_token": csrf, "unit_id": str(rw.unit_a.id), "points": "2.5",
        "occurred_on": local_today().isoformat(), "reason": "台账资料弄虚作假", **fields,
    }  # fmt: skip
    return client.post("/console/points/new", data=data)


def test_manual_entry_is_audited_and_the_unit_told(client, auth, rw):
    item = rw.make(S.in_progress)
    csrf = login(client, auth, rw.supervisor)
    response = manual(client, csrf, rw, rectification_id=str(item.id))
    assert response.status_code == 303
    [entry] = entries()
    assert (entry.points, entry.rule, entry.created_by_id) == (-2.5, "manual", rw.supervisor.id)
    assert entry.rectification_id == item.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "points.recorded"))
    assert event.actor_id == rw.supervisor.id and event.entity_id == str(entry.id)
    note = db.session.scalar(
        select(Notification).where(Notification.recipient_id == rw.responder_a.id)
    )
    assert note.kind == "points" and "2.5" in note.title
    page = text(client, f"/console/points/units/{rw.unit_a.id}")
    assert "台账资料弄虚作假" in page and "-2.5" in page


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"reason": ""}, "reason"),
        ({"points": "0"}, "points"),
        ({"points": "21"}, "points"),  # over points_manual_max
        ({"occurred_on": (local_today() + timedelta(days=1)).isoformat()}, "occurred_on"),
        ({"unit_id": str(uuid.uuid4())}, "unit_id"),
        ({"rectification_id": "draft"}, "rectification_id"),
        ({"rectification_id": "other_unit"}, "rectification_id"),
    ],
)
def test_manual_entry_refused(client, auth, rw, fields, field):
    draft = rw.make(S.draft)
    other = rw.make(S.in_progress, unit=rw.unit_b)
    named = {"draft": str(draft.id), "other_unit": str(other.id)}
    fields = {k: named.get(v, v) for k, v in fields.items()}
    csrf = login(client, auth, rw.supervisor)
    response = manual(client, csrf, rw, **fields)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert entries() == []
    assert draft.code not in response.get_data(as_text=True)


def test_objection_once_then_decided(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    manual(client, csrf, rw)
    manual(client, csrf, rw, points="1", reason="第二条扣分理由")
    first, second = sorted(entries(), key=lambda e: e.points)
    assert year_totals(rw.office.id, local_today().year) == {rw.unit_a.id: -3.5}

    csrf = login(client, auth, rw.responder_a)
    page = text(client, "/console/unit/points")
    assert "-3.5" in page and "提出异议" in page
    url = f"/console/unit/points/{first.id}/objection"
    assert client.post(url, data={"csrf_token": csrf, "objection": ""}).status_code == 422
    response = client.post(url, data={"csrf_token": csrf, "objection": "该项资料已按时报送"})
    assert response.status_code == 303
    again = client.post(url, data={"csrf_token": csrf, "objection": "再次提出"})
    assert again.status_code == 409 and "只能提出一次" in again.get_data(as_text=True)
    db.session.expire_all()
    assert first.objection_status == ObjectionStatus.pending
    assert first.objection == "该项资料已按时报送" and first.objected_by_id == rw.responder_a.id
    told = db.session.scalar(
        select(func.count()).where(
            Notification.recipient_id == rw.supervisor.id, Notification.kind == "points_objection"
        )
    )
    assert told == 1

    csrf = login(client, auth, rw.supervisor)
    assert "1</strong> 条异议待处理" in text(client, "/console/points")
    decide = f"/console/points/{first.id}/decision"
    refused = client.post(decide, data={"csrf_token": csrf, "upheld": "true"})
    assert refused.status_code == 422
    ok = client.post(
        decide, data={"csrf_token": csrf, "upheld": "true", "decision_reason": "经核实已报送"}
    )
    assert ok.status_code == 303
    db.session.expire_all()
    assert first.objection_status == ObjectionStatus.upheld and first.cancelled_at is not None
    assert first.decided_by_id == rw.supervisor.id
    assert year_totals(rw.office.id, local_today().year) == {rw.unit_a.id: -1.0}
    twice = client.post(
        decide, data={"csrf_token": csrf, "upheld": "false", "decision_reason": "改判"}
    )
    assert twice.status_code == 409

    csrf = login(client, auth, rw.responder_a)
    client.post(
        f"/console/unit/points/{second.id}/objection",
        data={"csrf_token": csrf, "objection": "不同意"},
    )
    csrf = login(client, auth, rw.supervisor)
    client.post(
        f"/console/points/{second.id}/decision",
        data={"csrf_token": csrf, "upheld": "false", "decision_reason": "理由不成立"},
    )
    db.session.expire_all()
    assert second.objection_status == ObjectionStatus.rejected and second.cancelled_at is None
    assert year_totals(rw.office.id, local_today().year) == {rw.unit_a.id: -1.0}
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "points_entry")
    ).all()
    assert sorted(actions).count("points.objection_decided") == 2
    assert sorted(actions).count("points.objected") == 2


# ---- who sees what ----


def test_unit_scope_and_other_offices(client, auth, rw, factory):
    a = _entry(rw, rw.unit_a, -2, local_today())
    a.reason = "住建局的扣分理由"
    b = _entry(rw, rw.unit_b, -1, local_today())
    b.reason = "林业局的扣分理由"
    db.session.commit()
    login(client, auth, rw.responder_b)
    page = text(client, "/console/unit/points")
    assert "林业局的扣分理由" in page and "住建局的扣分理由" not in page
    csrf = login(client, auth, rw.responder_b)
    foreign = client.post(
        f"/console/unit/points/{a.id}/objection", data={"csrf_token": csrf, "objection": "不同意"}
    )
    assert foreign.status_code == 404
    assert text(client, "/console/points", 403)

    login(client, auth, rw.other_supervisor)
    page = text(client, "/console/points")
    assert "扣分理由" not in page
    assert client.get(f"/console/points/{a.id}").status_code == 404
    assert "扣分理由" not in text(client, f"/console/points/units/{rw.unit_a.id}")

    government = factory.unit("县人民政府", kind=UnitKind.government)
    rw.office.parent_id = government.id
    follower = factory.user(Role.leader, government)
    stranger = factory.user(Role.leader, factory.unit("邻县政府", kind=UnitKind.government))
    db.session.commit()
    login(client, auth, follower)
    page = text(client, "/console/points")
    assert "住建局的扣分理由" in page and "林业局的扣分理由" in page
    assert "添加扣分" not in page
    login(client, auth, stranger)
    assert "扣分理由" not in text(client, "/console/points")


def test_list_filters(client, auth, rw):
    _entry(rw, rw.unit_a, -2, date(2026, 3, 3)).reason = "三月住建"
    _entry(rw, rw.unit_b, -1, date(2026, 4, 3)).reason = "四月林业"
    objected = _entry(rw, rw.unit_b, -1, date(2026, 3, 9))
    objected.reason, objected.objection_status = "三月林业有异议", ObjectionStatus.pending
    db.session.commit()
    login(client, auth, rw.supervisor)
    march = text(client, "/console/points?month=2026-03")
    assert "三月住建" in march and "三月林业有异议" in march and "四月林业" not in march
    unit_b = text(client, f"/console/points?year=2026&unit_id={rw.unit_b.id}")
    assert "三月住建" not in unit_b and "四月林业" in unit_b
    pending = text(client, "/console/points?year=2026&objection=pending")
    assert "三月林业有异议" in pending and "四月林业" not in pending
    none = text(client, "/console/points?year=2026&objection=none&rule=manual")
    assert "三月林业有异议" not in none and "三月住建" in none
    assert client.get("/console/points?month=2026-13").status_code == 422


def test_nothing_of_a_draft_item_or_its_plan_costs_points_or_shows(client, auth, rw):
    """An item not yet issued (its plan's findings still secret) breaks every rule on
    paper: overdue, long red, a failed verification, a summons naming it. No entry, and no
    page of the negative list names it or its plan."""
    draft = overdue_item(rw, S.draft)
    draft.source_plan_id, draft.red_from = rw.plan.id, DAY - timedelta(days=90)
    rw.verification(draft, VerificationStatus.failed, decision_reason="暗访发现仍未整改")
    db.session.add(
        Summons(
            office_unit_id=rw.office.id, unit_id=rw.unit_a.id, rectification_id=draft.id,
            held_on=DAY, person="李四", reason="约谈", recorded_by_id=rw.supervisor.id,
        )
    )  # fmt: skip
    db.session.commit()
    assert run() == {"summons": 1}
    [entry] = entries()
    assert entry.rectification_id is None  # the summons stands, the draft is not named
    secrets = [draft.code, str(draft.id), rw.plan.title, "暗访发现仍未整改"]
    for user, urls in (
        (rw.supervisor, ["/console/points?year=2026", f"/console/points/{entry.id}"]),
        (rw.responder_a, ["/console/unit/points?year=2026"]),
    ):
        login(client, auth, user)
        for url in urls:
            page = text(client, url)
            assert "约谈 李四" in page
            assert not [s for s in secrets if s in page], url


def test_red_whatever_the_day_counts_from_the_issue(rw):
    from server.rectification.colour import ALWAYS

    fresh = rw.make(S.in_progress, issued_on=DAY - timedelta(days=5))
    fresh.red_from = ALWAYS  # returned too often: red, but only issued 5 days ago
    old = rw.make(S.in_progress, issued_on=DAY - timedelta(days=45))
    old.red_from = ALWAYS
    db.session.commit()
    assert run().get("red_long") == 1
    [entry] = entries("red_long")
    assert entry.rectification_id == old.id
    assert (DAY - timedelta(days=45)).isoformat() in entry.reason and "1970" not in entry.reason
