"""Push and pull over HTTP with the real entities."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Finding, Photo, Plan, PlanStatus, Visit, utcnow
from tests.api.sync_helpers import (
    Device,
    finding_data,
    mutation,
    new_id,
    of,
    photo_data,
    visit_data,
)


@pytest.fixture
def device(client, auth, world):
    return Device(client, auth, world.inspector)


def test_first_pull_has_reference_data_for_the_team(device, world):
    changes = device.pull()
    plans = of(changes, "plan")
    assert list(plans) == [str(world.plan.id)]
    plan = plans[str(world.plan.id)]["data"]
    assert plan["site_ids"] == [str(world.site.id)]
    assert plan["team_ids"] == [str(world.inspector.id)]
    assert {"code", "title", "mode", "kind", "window_start", "window_end"} <= set(plan)
    assert list(of(changes, "site")) == [str(world.site.id)]  # not the other site
    site = of(changes, "site")[str(world.site.id)]["data"]
    assert {"name", "address", "lat", "lon", "radius_m", "unit_id"} <= set(site)
    categories = {c["data"]["code"] for c in of(changes, "category").values()}
    assert "other" in categories and "work_safety" in categories
    assert str(world.target.id) in of(changes, "unit")
    unit = of(changes, "unit")[str(world.target.id)]["data"]
    assert {"name", "parent_id", "region_code"} <= set(unit)


def test_outsider_sees_no_plan_no_site_no_records(client, auth, device, world):
    visit = mutation("visit", visit_data(world))
    device.push(visit)
    outsider = Device(client, auth, world.outsider)
    changes = outsider.pull()
    assert not of(changes, "plan") and not of(changes, "site") and not of(changes, "visit")
    text = str(changes)
    assert str(world.plan.id) not in text and world.plan.code not in text


def test_push_visit_finding_interview_photo_in_one_push(device, world):
    visit, finding = mutation("visit", visit_data(world)), None
    finding = mutation("finding", finding_data(world, visit_id=visit["id"]))
    interview = mutation(
        "interview",
        {
            "visit_id": visit["id"],
            "interviewee_kind": "beneficiary",
            "summary": "受访农户反映补助已到位",
        },
    )
    photo = mutation("photo", photo_data(finding["id"], b"jpeg bytes"))
    results = device.push(visit, finding, interview, photo)
    assert [r["status"] for r in results] == ["applied"] * 4
    assert all(r["version"] == 1 for r in results)
    stored = db.session.get(Finding, UUID(finding["id"]))
    assert stored.created_by_id == world.inspector.id
    assert stored.observed_at.tzinfo is not None and stored.observed_at.hour == 1
    assert stored.client_time == "2026-11-20T09:14:03.120+08:00"
    assert stored.received_at.tzinfo == UTC
    changes = device.pull()
    assert set(of(changes, "finding")) == {finding["id"]}
    pulled = of(changes, "photo")[photo["id"]]["data"]
    assert pulled["content_status"] == "pending" and pulled["sha256"] == photo["data"]["sha256"]


def test_replaying_a_push_creates_nothing(device, world):
    batch = [mutation("visit", visit_data(world)), mutation("finding", finding_data(world))]
    device.push(*batch)
    again = device.push(*batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 1
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_validation_rejections_name_fields(device, world):
    bad = mutation(
        "finding", finding_data(world, title="", severity="fatal", category="nope", extra_field=1)
    )
    [result] = device.push(bad)
    assert result["status"] == "rejected"
    assert result["errors"]["code"] == "validation_error"
    fields = result["errors"]["fields"]
    assert {"title", "severity", "extra_field"} <= set(fields)
    assert fields["extra_field"] == ["不允许的字段"]
    assert fields["severity"] == ["须为以下之一:low, medium, high"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "no_such_category"}, "category"),
        ({"site_id": "other_site"}, "site_id"),
        ({"observed_at": "2026-11-20T09:14:00"}, "observed_at"),  # no offset
        ({"lat": 120}, "lat"),
    ],
)
def test_cross_record_rules(device, world, change, field):
    if change.get("site_id") == "other_site":
        change = {"site_id": str(world.other_site.id)}
    [result] = device.push(mutation("finding", finding_data(world, **change)))
    assert result["status"] == "rejected"
    assert field in result["errors"]["fields"]


def test_plan_not_assigned_is_rejected(client, auth, world):
    outsider = Device(client, auth, world.outsider)
    [result] = outsider.push(mutation("visit", visit_data(world)))
    assert result["status"] == "rejected" and "plan_id" in result["errors"]["fields"]


def test_update_and_conflict(device, world):
    finding = mutation("finding", finding_data(world))
    device.push(finding)
    [ok] = device.push(mutation("finding", {"title": "防护网缺失"}, "update", finding["id"], 1))
    assert ok["status"] == "applied" and ok["version"] == 2
    [stale] = device.push(mutation("finding", {"title": "旧版"}, "update", finding["id"], 1))
    assert stale["status"] == "conflict"
    assert stale["server"]["data"]["title"] == "防护网缺失" and stale["server"]["version"] == 2


def test_triaged_finding_is_locked_for_its_inspector(device, world):
    finding = mutation("finding", finding_data(world))
    device.push(finding)
    device.pull()
    db.session.get(Finding, UUID(finding["id"])).triaged_at = utcnow()
    db.session.commit()
    [result] = device.push(mutation("finding", {"title": "改"}, "update", finding["id"], 2))
    assert result["status"] == "rejected" and result["errors"]["code"] == "locked"
    [delete] = device.push(mutation("finding", {}, "delete", finding["id"], 2))
    assert delete["errors"]["code"] == "locked"


def test_photo_cannot_be_changed(device, world):
    finding = mutation("finding", finding_data(world))
    photo = mutation("photo", photo_data(finding["id"], b"abc"))
    device.push(finding, photo)
    [result] = device.push(mutation("photo", {"mime_type": "image/png"}, "update", photo["id"], 1))
    assert result["errors"]["code"] == "immutable"


def test_photo_of_someone_elses_finding_is_rejected(client, auth, device, world):
    finding = mutation("finding", finding_data(world))
    device.push(finding)
    db.session.get(Plan, world.plan.id).team.append(world.outsider)
    db.session.commit()
    other = Device(client, auth, world.outsider)
    [result] = other.push(mutation("photo", photo_data(finding["id"], b"x")))
    assert result["status"] == "rejected" and "parent_id" in result["errors"]["fields"]


def test_leaving_the_team_turns_plan_and_site_into_tombstones(device, world):
    device.pull()
    plan = db.session.get(Plan, world.plan.id)
    from server.sync_api.registry import audience_of, note_changed

    before = audience_of("plan", plan)
    site_before = audience_of("site", world.site)
    plan.team.remove(db.session.get(type(world.inspector), world.inspector.id))
    note_changed("plan", plan, before)
    note_changed("site", world.site, site_before)
    db.session.commit()
    changes = device.pull()
    assert {(c["entity"], c["op"]) for c in changes} == {("plan", "delete"), ("site", "delete")}


def test_finished_plan_leaves_the_device(device, world):
    device.pull()
    plan = db.session.get(Plan, world.plan.id)
    from server.sync_api.registry import note_changed

    plan.status = PlanStatus.finished
    note_changed("plan", plan)
    db.session.commit()
    changes = device.pull()
    assert {"entity": "plan", "id": str(plan.id), "op": "delete"} in changes


def test_supervisor_of_the_office_pulls_the_teams_records(client, auth, device, world):
    finding = mutation("finding", finding_data(world))
    device.push(finding)
    supervisor = Device(client, auth, world.supervisor)
    assert finding["id"] in of(supervisor.pull(), "finding")


def test_responder_pulls_nothing_of_a_secret_plan(client, auth, device, world):
    device.push(mutation("finding", finding_data(world)))
    responder = Device(client, auth, world.responder)
    changes = responder.pull()
    assert not of(changes, "plan") and not of(changes, "site") and not of(changes, "finding")
    assert world.site.name not in str(changes)


def test_too_many_mutations_is_413_and_nothing_applied(app, device, world):
    app.config["SYNC_MAX_MUTATIONS"] = 2
    batch = [mutation("visit", visit_data(world)) for _ in range(3)]
    body = device.push(*batch, expect=413)
    assert body["error"]["code"] == "too_many_mutations"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_too_many_bytes_is_413(app, device, world):
    app.config["SYNC_MAX_BYTES"] = 2000
    big = mutation("visit", visit_data(world, note="很" * 1500))
    body = device.push(big, expect=413)
    assert body["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "body",
    [
        {"mutations": []},
        {"device_id": "x", "mutations": []},
        {"device_id": new_id(), "mutations": [{"entity": "visit"}]},
        {
            "device_id": new_id(),
            "mutations": [
                {
                    "mutation_id": new_id(),
                    "entity": "visit",
                    "op": "upsert",
                    "id": new_id(),
                    "data": {},
                }
            ],
        },
    ],
)
def test_malformed_push_is_422(client, device, body):
    response = client.post("/api/sync/push", headers=device.headers, json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("cursor", ["nonsense", "a.b", "eyJwIjoibCJ9.AAAA"])
def test_malformed_cursor_is_400(client, device, cursor):
    response = client.get("/api/sync/pull", headers=device.headers, query_string={"cursor": cursor})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_foreign_cursor_is_400(client, auth, device, world):
    device.pull()
    thief = Device(client, auth, world.outsider)
    response = client.get(
        "/api/sync/pull", headers=thief.headers, query_string={"cursor": device.cursor}
    )
    assert response.status_code == 400


def test_pull_limit_pages(device, world):
    for _ in range(5):
        device.push(mutation("visit", visit_data(world)))
    changes = device.pull(limit=2)
    assert len(of(changes, "visit")) == 5


def test_sync_needs_a_token(client):
    assert client.post("/api/sync/push", json={}).status_code == 401
    assert client.get("/api/sync/pull").status_code == 401


def test_photo_pushed_without_an_upload_stays_pending(device, world):
    finding = mutation("finding", finding_data(world))
    photo = mutation("photo", photo_data(finding["id"], b"abc"))
    device.push(finding, photo)
    assert db.session.get(Photo, UUID(photo["id"])).content_status.value == "pending"


# --- a push is applied in runs (sync/apply.py): refused mutations, duplicates, reads


def test_one_refused_in_the_middle_of_a_push_the_others_apply(device, world):
    """A run rolled back at the refused finding and applied again: the visit created
    before it is used by findings, an interview and a photo on both sides of it."""
    visit = mutation("visit", visit_data(world))
    first = mutation("finding", finding_data(world, visit_id=visit["id"], title="一"))
    refused = mutation("finding", finding_data(world, visit_id=visit["id"], category="nope"))
    second = mutation("finding", finding_data(world, visit_id=visit["id"], title="二"))
    interview = mutation(
        "interview", {"visit_id": visit["id"], "interviewee_kind": "resident", "summary": "群众"}
    )
    photo = mutation("photo", photo_data(second["id"], b"second's photo"))
    results = device.push(visit, first, refused, second, interview, photo)
    assert [r["status"] for r in results] == ["applied"] * 2 + ["rejected"] + ["applied"] * 3
    assert [r.get("version") for r in results] == [1, 1, None, 1, 1, 1]
    assert results[2]["errors"]["fields"] == {"category": ["问题类别不存在"]}
    assert db.session.get(Finding, UUID(refused["id"])) is None
    for m in (first, second):
        assert db.session.get(Finding, UUID(m["id"])).visit_id == UUID(visit["id"])
    assert db.session.get(Photo, UUID(photo["id"])).plan_id == world.plan.id
    changes = device.pull()
    assert set(of(changes, "finding")) == {first["id"], second["id"]}
    assert set(of(changes, "visit")) == {visit["id"]}
    assert set(of(changes, "photo")) == {photo["id"]}
    again = device.push(visit, first, refused, second, interview, photo)
    assert [r["status"] for r in again] == ["duplicate"] * 2 + ["rejected"] + ["duplicate"] * 3
    assert again[2] == results[2]


def test_duplicates_within_a_push_and_against_an_earlier_push(device, world):
    earlier = mutation("finding", finding_data(world, title="早"))
    device.push(earlier)
    new = mutation("finding", finding_data(world, title="新"))
    reused = {**earlier, "data": finding_data(world, title="改了内容")}
    results = device.push(new, earlier, new, reused, new)
    assert [r["status"] for r in results] == [
        "applied",
        "duplicate",
        "duplicate",
        "rejected",
        "duplicate",
    ]
    assert results[3]["errors"]["code"] == "reused_mutation_id"
    assert results[2] == {**results[0], "status": "duplicate"}
    titles = set(db.session.scalars(select(Finding.title)))
    assert titles == {"早", "新"}


def test_a_photo_sees_the_photos_pushed_before_it_in_the_same_push(device, world):
    """Photo checks read other photos with queries (duplicate content): each photo is
    flushed before the next, as when every mutation had its own savepoint."""
    finding = mutation("finding", finding_data(world))
    first = mutation("photo", photo_data(finding["id"], b"same bytes"))
    second = mutation("photo", photo_data(finding["id"], b"same bytes"))
    results = device.push(finding, first, second)
    assert [r["status"] for r in results] == ["applied"] * 3
    assert "duplicate_content" not in db.session.get(Photo, UUID(first["id"])).flags
    assert "duplicate_content" in db.session.get(Photo, UUID(second["id"])).flags


def test_lookup_cache_forgets_what_a_rolled_back_savepoint_made(world):
    from server.models import Unit, UnitKind
    from server.sync_api.cache import cached_get

    savepoint = db.session.begin_nested()
    unit = Unit(name="临时", code="TMP-1", kind=UnitKind.department, region_code="522730")
    db.session.add(unit)
    db.session.flush()
    assert cached_get(db.session, Unit, unit.id) is unit
    assert cached_get(db.session, Unit, world.target.id) is world.target
    savepoint.rollback()
    assert cached_get(db.session, Unit, unit.id) is None
    assert cached_get(db.session, Unit, world.target.id) is world.target
