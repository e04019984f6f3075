"""Plans through the API: creation, editing, status, merging and every planning rule on
both sides of its threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, RectificationStatus, Role, UnitKind
from server.timeutil import local_today
from tests.api.plan_helpers import (
    create,
    created,
    set_status,
    to_status,
    window,
)


def events(action):
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return db.session.scalars(query).all()


def error(response):
    return response.get_json()["error"]


def test_supervisor_creates_a_draft_plan(client, pw):
    plan = created(client, pw)
    assert plan["status"] == "draft"
    # Numbered by the year of the window (it starts tomorrow), per office.
    assert plan["code"] == f"DC-{date.fromisoformat(plan['window_start']).year}-001"
    assert [s["id"] for s in plan["sites"]] == [str(pw.sites[0].id)]
    # The site's responsible unit is a target unit.
    assert [u["id"] for u in plan["target_units"]] == [str(pw.sites[0].unit_id)]
    assert plan["matter_category"] == "project_quality"
    [event] = events("plan.created")
    assert event.entity_id == plan["id"] and event.actor_id == pw.supervisor.id
    assert event.details["state"]["site_ids"] == [str(pw.sites[0].id)]


def test_codes_are_numbered_per_office(client, pw, auth):
    first = created(client, pw)
    second = created(client, pw, matter_category="work_safety")
    assert first["code"][-3:] == "001" and second["code"][-3:] == "002"
    # Another office numbers its own plans: its first code is the same, and no refusal
    # can tell it that this office's plans exist.
    other = create(client, pw, headers=auth.headers(pw.other_supervisor))
    assert other.status_code == 201
    assert other.get_json()["code"] == first["code"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"mode": "secret"}, "mode"),
        ({"kind": "whatever"}, "kind"),
        ({"window_start": "2026-13-01"}, "window_start"),
        ({"matter_category": "nope"}, "matter_category"),
        ({"site_ids": ["00000000-0000-0000-0000-000000000001"]}, "site_ids"),
        ({"team_ids": ["00000000-0000-0000-0000-000000000001"]}, "team_ids"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_input_is_refused_by_field(client, pw, change, field):
    response = create(client, pw, **change)
    assert response.status_code == 422
    assert field in error(response)["details"]["fields"]
    assert events("plan.created") == []


def test_window_must_be_in_order(client, pw):
    start = local_today() + timedelta(days=3)
    response = create(
        client,
        pw,
        window_start=start.isoformat(),
        window_end=(start - timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 422
    assert "window_end" in error(response)["details"]["fields"]


def test_team_member_must_be_an_inspector_or_supervisor(client, pw, factory):
    responder = factory.user(Role.responder, pw.units[0])
    db.session.commit()
    response = create(client, pw, team_ids=[str(responder.id)])
    assert response.status_code == 422
    assert "team_ids" in error(response)["details"]["fields"]


@pytest.mark.parametrize("role", [Role.inspector, Role.responder, Role.leader, Role.admin])
def test_only_supervisors_create_plans(client, pw, factory, auth, role):
    response = create(client, pw, headers=auth.headers(factory.user(role)))
    assert response.status_code == 403


# ---- announced inspections are filed ahead (open_filing_lead_days, default 10) ----


@pytest.mark.parametrize(("days_ahead", "status"), [(10, 201), (9, 422)])
def test_open_inspection_filing_lead(client, pw, days_ahead, status):
    response = create(client, pw, mode="open", **window(days_ahead))
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert error(response)["code"] == "open_filing_too_late"
        expected = (local_today() + timedelta(days=10)).isoformat()
        assert error(response)["details"]["earliest_window_start"] == expected


def test_unannounced_inspection_needs_no_filing(client, pw):
    assert create(client, pw, **window(0)).status_code == 201


def test_filing_lead_is_a_setting(client, pw, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_OPEN_FILING_LEAD_DAYS", "3")
    assert create(client, pw, mode="open", **window(3)).status_code == 201
    assert create(client, pw, mode="open", **window(2)).status_code == 422


def test_moving_an_open_plan_too_close_is_refused(client, pw):
    plan = created(client, pw, mode="open", **window(12))
    response = client.patch(
        f"/api/plans/{plan['id']}",
        json={"version": plan["version"], **window(5)},
        headers=pw.headers,
    )
    assert response.status_code == 422
    assert error(response)["code"] == "open_filing_too_late"


# ---- leader-led, cross-region, follow-up ----


def test_leader_led_needs_a_leader(client, pw):
    response = create(client, pw, kind="leader_led")
    assert response.status_code == 422
    assert error(response)["code"] == "leader_required"
    plan = created(client, pw, kind="leader_led", leader_id=str(pw.leader.id))
    assert plan["leader"]["id"] == str(pw.leader.id)


def test_an_inspector_cannot_be_the_leader(client, pw):
    response = create(client, pw, kind="leader_led", leader_id=str(pw.inspectors[0].id))
    assert response.status_code == 422
    assert "leader_id" in error(response)["details"]["fields"]


def test_cross_region_team_comes_from_elsewhere(client, pw):
    local = create(client, pw, kind="cross_region")  # team from the target's county
    assert local.status_code == 422
    assert error(local)["code"] == "cross_region_conflict"
    assert error(local)["details"]["member_ids"] == [str(pw.inspectors[0].id)]
    away = [str(i.id) for i in pw.away_inspectors]
    assert create(client, pw, kind="cross_region", team_ids=away).status_code == 201


def test_cross_region_compares_counties_not_townships(client, pw, factory):
    """A township of the team's own county is not another region (server/regions.py)."""
    township = factory.unit("龙山镇人民政府", kind=UnitKind.township, region_code="522730100")
    site = factory.site(township)
    db.session.commit()
    body = {"kind": "cross_region", "site_ids": [str(site.id)]}
    local = create(client, pw, **body)  # the team's office is in county 522730
    assert error(local)["code"] == "cross_region_conflict"
    away = [str(i.id) for i in pw.away_inspectors]
    assert create(client, pw, **body, team_ids=away).status_code == 201


def test_cross_region_checks_target_units_too(client, pw):
    away = [str(i.id) for i in pw.away_inspectors]
    mixed = away + [str(pw.inspectors[1].id)]
    response = create(
        client, pw, kind="cross_region", team_ids=mixed, site_ids=[], unit_ids=[str(pw.units[2].id)]
    )
    assert response.status_code == 422
    assert error(response)["details"]["member_ids"] == [str(pw.inspectors[1].id)]


def test_follow_up_links_the_items_it_rechecks(client, pw, factory):
    issued = factory.rectification(pw.office, pw.units[0])
    draft = factory.rectification(pw.office, pw.units[0], status=RectificationStatus.draft)
    closed = factory.rectification(pw.office, pw.units[0], status=RectificationStatus.closed)
    foreign = factory.rectification(pw.other_office, pw.units[0])
    db.session.commit()
    response = create(client, pw, kind="follow_up")
    assert error(response)["code"] == "rechecks_required"
    for item in (draft, closed, foreign):
        response = create(client, pw, kind="follow_up", rectification_ids=[str(item.id)])
        assert response.status_code == 422
        assert "rectification_ids" in error(response)["details"]["fields"]
    plan = created(client, pw, kind="follow_up", site_ids=[], rectification_ids=[str(issued.id)])
    assert [r["id"] for r in plan["rechecks"]] == [str(issued.id)]
    # The item's unit becomes a target of the re-inspection.
    assert [u["id"] for u in plan["target_units"]] == [str(pw.units[0].id)]
    other = create(client, pw, rectification_ids=[str(issued.id)])
    assert error(other)["code"] == "rechecks_not_follow_up"


# ---- one inspection per matter (matter_repeat_period_days, default 180) ----


def existing_plan(client, pw, start_offset, days=5, **overrides):
    start = local_today() + timedelta(days=start_offset)
    body = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(days=days)).isoformat(),
        **overrides,
    }
    return to_status(client, pw, created(client, pw, **body), "approved")


@pytest.mark.parametrize(("gap", "status"), [(179, 409), (180, 201)])
def test_same_matter_same_unit_within_the_period(client, pw, gap, status):
    earlier = existing_plan(client, pw, -200)  # its window ends 195 days ago
    end = local_today() + timedelta(days=-195)
    start = end + timedelta(days=gap)
    response = create(
        client,
        pw,
        window_start=start.isoformat(),
        window_end=(start + timedelta(days=2)).isoformat(),
        site_ids=[str(pw.sites[1].id)],  # another site of the same unit
    )
    assert response.status_code == status, response.get_json()
    if status == 409:
        body = error(response)
        assert body["code"] == "matter_repeated"
        [conflict] = body["details"]["conflicts"]
        assert conflict["code"] == earlier["code"]
        assert conflict["shared_units"] == [pw.units[0].name]


@pytest.mark.parametrize("other", ["matter", "unit"])
def test_a_different_matter_or_unit_is_no_repeat(client, pw, other):
    existing_plan(client, pw, 1)
    change = (
        {"matter_category": "work_safety"}
        if other == "matter"
        else {"site_ids": [], "unit_ids": [str(pw.units[1].id)]}
    )
    assert create(client, pw, **change).status_code == 201


def test_another_offices_plan_is_never_a_conflict(client, pw, auth):
    # The other office's plan on the same unit and matter is secret from this one.
    other_headers = auth.headers(pw.other_supervisor)
    assert create(client, pw, headers=other_headers).status_code == 201
    assert create(client, pw).status_code == 201


@pytest.mark.parametrize(("reason", "status"), [("需要", 409), ("群众再次举报", 201)])
def test_a_justified_repeat_goes_ahead_and_is_recorded(client, pw, reason, status):
    earlier = existing_plan(client, pw, 1)
    response = create(client, pw, repeat_justification=reason)
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["repeat_justification"] == reason
        created_event = events("plan.created")[-1]
        assert [c["id"] for c in created_event.details["overrides"]] == [earlier["id"]]


def test_merge_adds_targets_to_the_existing_plan(client, pw):
    earlier = existing_plan(client, pw, 1)
    response = client.post(
        f"/api/plans/{earlier['id']}/merge",
        json={"site_ids": [str(pw.sites[2].id)], "team_ids": [str(pw.inspectors[1].id)]},
        headers=pw.headers,
    )
    assert response.status_code == 200, response.get_json()
    merged = response.get_json()
    assert {s["id"] for s in merged["sites"]} == {str(pw.sites[0].id), str(pw.sites[2].id)}
    assert {u["id"] for u in merged["target_units"]} == {str(pw.units[0].id), str(pw.units[1].id)}
    assert len(merged["team"]) == 2
    [event] = events("plan.merged")
    assert event.details["changes"]["site_ids"][1] == sorted(
        [str(pw.sites[0].id), str(pw.sites[2].id)]
    )


def test_a_merge_with_nothing_to_merge_is_refused(client, pw):
    earlier = existing_plan(client, pw, 1)
    for body in ({}, {"site_ids": [], "team_ids": []}, {"note": "只有说明"}):
        response = client.post(f"/api/plans/{earlier['id']}/merge", json=body, headers=pw.headers)
        assert response.status_code == 422, body
        assert "请至少选择" in str(response.get_json()["error"])
    assert events("plan.merged") == []


# ---- editing and status ----


def test_edit_needs_the_current_version_and_is_audited(client, pw):
    plan = created(client, pw)
    url = f"/api/plans/{plan['id']}"
    stale = client.patch(
        url, json={"version": plan["version"] - 1, "title": "新标题"}, headers=pw.headers
    )
    assert stale.status_code == 409 and error(stale)["code"] == "version_conflict"
    response = client.patch(
        url,
        json={"version": plan["version"], "team_ids": [str(i.id) for i in pw.inspectors[:2]]},
        headers=pw.headers,
    )
    assert response.status_code == 200
    assert response.get_json()["version"] > plan["version"]  # a team change moves the version
    [event] = events("plan.updated")
    assert list(event.details["changes"]) == ["team_ids"]


def test_status_walks_the_allowed_transitions(client, pw):
    plan = created(client, pw)
    for status in ("active", "finished", "findings_issued", "draft"):
        assert set_status(client, pw, plan, status).status_code == 409
    plan = to_status(client, pw, plan, "approved")
    assert plan["approved_by_id"] == str(pw.supervisor.id)
    plan = to_status(client, pw, plan, "draft")
    assert plan["approved_at"] is None
    plan = to_status(client, pw, plan, "approved", "active")
    assert set_status(client, pw, plan, "approved").status_code == 409
    plan = to_status(client, pw, plan, "finished")
    locked = client.patch(
        f"/api/plans/{plan['id']}",
        json={"version": plan["version"], "title": "改名"},
        headers=pw.headers,
    )
    assert locked.status_code == 409 and error(locked)["code"] == "plan_locked"
    plan = to_status(client, pw, plan, "findings_issued")
    assert plan["findings_issued_at"]
    assert set_status(client, pw, plan, "finished").status_code == 409
    moves = [(e.details["from"], e.details["to"]) for e in events("plan.status_changed")]
    assert moves[-1] == ("finished", "findings_issued") and len(moves) == 6


def test_approval_needs_a_team_and_targets(client, pw):
    plan = created(client, pw, team_ids=[])
    response = set_status(client, pw, plan, "approved")
    assert response.status_code == 422
    assert "督查组成员" in error(response)["message"]


def test_a_colleague_of_the_office_may_approve(client, pw, auth):
    plan = created(client, pw)
    response = set_status(client, pw, plan, "approved", headers=auth.headers(pw.supervisor2))
    assert response.status_code == 200


def test_another_office_gets_404_on_every_write(client, pw, auth):
    plan = created(client, pw)
    headers = auth.headers(pw.other_supervisor)
    url = f"/api/plans/{plan['id']}"
    missing = "/api/plans/00000000-0000-0000-0000-0000000000aa"
    for path, method, body in [
        ("", "patch", {"version": 1, "title": "偷看"}),
        ("/status", "post", {"status": "approved", "version": 1}),
        ("/merge", "post", {"site_ids": [str(pw.sites[0].id)]}),
        ("/draws", "post", {"pool": "site", "targets": 1}),
    ]:
        foreign = getattr(client, method)(url + path, json=body, headers=headers)
        unknown = getattr(client, method)(missing + path, json=body, headers=headers)
        assert foreign.status_code == unknown.status_code == 404
        assert foreign.get_json() == unknown.get_json()
    for action in ("plan.updated", "plan.status_changed", "plan.merged", "plan.drawn"):
        assert events(action) == []


def test_team_member_sees_an_approved_plan_but_cannot_change_it(client, pw, auth):
    plan = created(client, pw)
    member = auth.headers(pw.inspectors[0])
    assert client.get(f"/api/plans/{plan['id']}", headers=member).status_code == 404  # draft
    plan = to_status(client, pw, plan, "approved")
    assert client.get(f"/api/plans/{plan['id']}", headers=member).status_code == 200
    response = client.post(
        f"/api/plans/{plan['id']}/status", json={"status": "active", "version": 1}, headers=member
    )
    assert response.status_code == 403


# ---- list ----


def test_list_filters_and_counts_only_visible_plans(client, pw, auth):
    a = to_status(client, pw, created(client, pw, title="危房改造回访"), "approved")
    created(client, pw, title="安全生产检查", matter_category="work_safety", mode="sanbu_sanzhi")
    create(client, pw, headers=auth.headers(pw.other_supervisor))  # another office's
    listing = client.get("/api/plans", headers=pw.headers).get_json()
    assert listing["total"] == 2
    found = client.get("/api/plans?q=回访", headers=pw.headers).get_json()
    assert [p["id"] for p in found["items"]] == [a["id"]]
    assert client.get("/api/plans?status=approved", headers=pw.headers).get_json()["total"] == 1
    assert client.get("/api/plans?q=%25", headers=pw.headers).get_json()["total"] == 0
    page = client.get("/api/plans?per_page=1&page=2", headers=pw.headers).get_json()
    assert len(page["items"]) == 1 and page["total"] == 2
    member = client.get("/api/plans", headers=auth.headers(pw.inspectors[0])).get_json()
    assert [p["id"] for p in member["items"]] == [a["id"]]


# ---- every read of a plan's details is audited ----


def test_detail_reads_are_audited(client, pw, auth):
    plan = created(client, pw)
    assert client.get(f"/api/plans/{plan['id']}", headers=pw.headers).status_code == 200
    [event] = events("plan.viewed")
    assert event.entity_id == plan["id"] and event.actor_id == pw.supervisor.id
    assert event.details == {"via": "api"}
    outsider = auth.headers(pw.other_supervisor)
    assert client.get(f"/api/plans/{plan['id']}", headers=outsider).status_code == 404
    assert len(events("plan.viewed")) == 1  # nothing was read


def test_pulling_a_plan_is_an_audited_read(client, pw, auth):
    plan = to_status(client, pw, created(client, pw), "approved")
    headers = auth.headers(pw.inspectors[0])
    body = client.get("/api/sync/pull", headers=headers).get_json()
    assert plan["id"] in [c["id"] for c in body["changes"] if c["entity"] == "plan"]
    [event] = [e for e in events("plan.viewed") if e.details.get("via") == "sync_pull"]
    assert event.entity_id == plan["id"] and event.actor_id == pw.inspectors[0].id


def test_plan_leaves_the_team_devices_when_finished(client, pw, auth):
    from tests.api.sync_helpers import Device

    plan = to_status(client, pw, created(client, pw), "approved", "active")
    device = Device(client, auth, pw.inspectors[0])
    first = device.pull()
    assert any(c["id"] == plan["id"] and c["op"] == "upsert" for c in first)
    to_status(client, pw, plan, "finished")
    later = device.pull()
    assert any(c["id"] == plan["id"] and c["op"] == "delete" for c in later)
    assert any(c["entity"] == "site" and c["op"] == "delete" for c in later)


def test_a_justified_repeat_does_not_block_the_first_plan(client, pw):
    first = created(client, pw)
    created(client, pw, repeat_justification="群众再次举报,需再次核查")
    # Approving or re-staffing the first plan does not re-open the settled question...
    first = to_status(client, pw, first, "approved")
    response = client.patch(
        f"/api/plans/{first['id']}",
        json={"version": first["version"], "team_ids": [str(i.id) for i in pw.inspectors]},
        headers=pw.headers,
    )
    assert response.status_code == 200
    # ...but moving its window is a new filing, checked again.
    moved = client.patch(
        f"/api/plans/{first['id']}",
        json={"version": response.get_json()["version"], **window(2)},
        headers=pw.headers,
    )
    assert moved.status_code == 409 and error(moved)["code"] == "matter_repeated"


def test_sending_the_full_lists_back_keeps_members_disabled_since(client, pw):
    plan = created(client, pw, team_ids=[str(i.id) for i in pw.inspectors[:2]])
    pw.inspectors[1].active = False
    db.session.commit()
    body = {
        "version": plan["version"],
        "title": "改过的标题",
        "team_ids": [m["id"] for m in plan["team"]],
        "site_ids": [s["id"] for s in plan["sites"]],
    }
    response = client.patch(f"/api/plans/{plan['id']}", json=body, headers=pw.headers)
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["team"]) == 2
    # Adding a disabled account anew is still refused.
    add = {"version": response.get_json()["version"], "team_ids": [str(pw.inspectors[1].id)]}
    fresh = created(client, pw, matter_category="other", team_ids=[])
    add["version"] = fresh["version"]
    refused = client.patch(f"/api/plans/{fresh['id']}", json=add, headers=pw.headers)
    assert refused.status_code == 422
