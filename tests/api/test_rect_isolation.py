"""Unit isolation: a responder of unit A learns nothing of unit B's items — not through a
list with any filter, a detail, a count, the three lists, a photo, a sync pull, a
notification or a summons. The unit never sees the verifications (回头看 is unannounced),
the findings or the plans behind its items. A leader sees the items they lead and the
挂牌督办 items of the offices of their government; an
inspector an item only while sent back to verify it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Role, UnitKind, Verification
from tests.api.sync_helpers import Device, mutation, of
from tests.conftest import PHOTOS

JPEG = PHOTOS / "jpg_gps_DSCN0010.jpg"
VARIANTS = ("original", "thumbnail", "display", "evidence", "public")
OFFICE_ONLY = ("source_plan", "follow_up_plans", "finding_ids", "verifications")


@pytest.fixture
def two(rw):
    """An item of each unit, from the plan's findings; B's listed and led by another
    leader, with a progress report and a photo."""
    leader_b = rw.user(Role.leader)
    a = rw.in_progress()
    b = rw.issued(
        finding_ids=[str(rw.findings[1].id)],
        unit_id=str(rw.unit_b.id),
        lead_official_id=str(leader_b.id),
        listed=True,
        problem="林区防火通道堵塞",
    )
    url_b = f"/api/rectifications/{b['id']}"
    rw.post(rw.responder_b, f"{url_b}/acknowledge")
    report = rw.post(rw.responder_b, f"{url_b}/progress", {"body": "清理中", "percent": 50}, 201)
    with open(JPEG, "rb") as f:
        response = rw.call(
            "POST",
            rw.responder_b,
            f"{url_b}/progress/{report['id']}/photos",
            data={"photo": (f, "scene.jpg")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 201, response.get_json()
    photo_id = response.get_json()["photos"][0]["id"]
    return rw, a, b, photo_id, leader_b


def error_of(response):
    return response.status_code, response.get_json()


def lists_with_every_filter(two):
    rw, a, b, _, leader_b = two
    filters = [
        {},
        {"unit_id": str(rw.unit_b.id)},
        {"unit_id": str(rw.unit_a.id)},
        {"region_code": rw.unit_b.region_code},
        {"lead_official_id": str(leader_b.id)},
        {"listed": "true"},
        {"listed": "false"},
        {"q": b["code"]},
        {"q": "防火"},
        {"include_drafts": "true"},
        *({"status": s} for s in ("issued", "acknowledged", "in_progress", "closure_requested")),
        *({"colour": c} for c in ("red", "yellow", "green")),
    ]
    seen = set()
    for query in filters:
        page = rw.get(rw.responder_a, "/api/rectifications", query_string=query)
        ids = {i["id"] for i in page["items"]}
        assert b["id"] not in ids and page["total"] == len(ids), query
        seen |= ids
        counts = rw.get(rw.responder_a, "/api/rectifications/colours", query_string=query)
        assert sum(counts.values()) <= 1, (query, counts)
    assert seen == {a["id"]}
    # The office sees both with the same filters: the filters do find B's item.
    assert rw.get(rw.supervisor, "/api/rectifications", query_string={"q": b["code"]})["total"] == 1
    # Filtering by plan is the office's: refused alike for any plan id.
    real = rw.call("GET", rw.responder_a, f"/api/rectifications?plan_id={rw.plan.id}")
    fake = rw.call("GET", rw.responder_a, f"/api/rectifications?plan_id={uuid.uuid4()}")
    assert error_of(real) == error_of(fake) and real.status_code == 403


def detail_is_an_unknown_id(two):
    rw, a, b, _, _ = two
    theirs = rw.call("GET", rw.responder_a, f"/api/rectifications/{b['id']}")
    unknown = rw.call("GET", rw.responder_a, f"/api/rectifications/{uuid.uuid4()}")
    assert theirs.status_code == 404 and error_of(theirs) == error_of(unknown)
    # And an action on it answers the same.
    act = rw.call(
        "POST",
        rw.responder_a,
        f"/api/rectifications/{b['id']}/progress",
        json={"body": "xx", "percent": 1},
    )
    act_unknown = rw.call(
        "POST",
        rw.responder_a,
        f"/api/rectifications/{uuid.uuid4()}/progress",
        json={"body": "xx", "percent": 1},
    )
    assert error_of(act) == error_of(act_unknown)


def colour_counts_and_three_lists(two):
    rw, a, b, _, _ = two
    counts = rw.get(rw.responder_a, "/api/rectifications/colours")
    assert counts == {"red": 0, "yellow": 1, "green": 0}
    lists = rw.get(rw.responder_a, "/api/rectifications/three-lists")
    assert [p["code"] for p in lists["problems"]] == [a["code"]]
    assert [m["code"] for m in lists["measures"]] == [a["code"]]
    assert [r["code"] for r in lists["responsibility"]] == [a["code"]]
    assert lists["total"] == 1
    other = rw.get(
        rw.responder_a,
        "/api/rectifications/three-lists",
        query_string={"unit_id": str(rw.unit_b.id)},
    )
    assert other["total"] == 0 and other["problems"] == []
    planned = rw.call(
        "GET", rw.responder_a, f"/api/rectifications/three-lists?plan_id={rw.plan.id}"
    )
    assert planned.status_code == 403
    assert rw.get(rw.supervisor, "/api/rectifications/three-lists")["total"] == 2


def test_another_units_progress_photo_is_not_found(two):
    rw, a, b, photo_id, _ = two
    unknown = str(uuid.uuid4())
    assert rw.get(rw.responder_b, f"/api/photos/{photo_id}")["id"] == photo_id
    assert rw.get(rw.supervisor, f"/api/photos/{photo_id}")["id"] == photo_id
    for suffix in ("", *(f"/{v}" for v in VARIANTS)):
        theirs = rw.call("GET", rw.responder_a, f"/api/photos/{photo_id}{suffix}")
        nothing = rw.call("GET", rw.responder_a, f"/api/photos/{unknown}{suffix}")
        assert theirs.status_code == 404, suffix
        assert error_of(theirs) == error_of(nothing), suffix
        assert rw.call("GET", rw.responder_b, f"/api/photos/{photo_id}{suffix}").status_code == 200
    # Nor may A attach photos to B's report.
    report_id = rw.get(rw.responder_b, f"/api/rectifications/{b['id']}")["progress_reports"][-1][
        "id"
    ]
    with open(JPEG, "rb") as f:
        response = rw.call(
            "POST",
            rw.responder_a,
            f"/api/rectifications/{b['id']}/progress/{report_id}/photos",
            data={"photo": (f, "scene.jpg")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 404


def entities(changes) -> set:
    return {c["entity"] for c in changes}


def pull_from_scratch_and_after_changes(two, client, auth):
    rw, a, b, photo_id, _ = two
    device = Device(client, auth, rw.responder_a)
    first = device.pull()
    assert set(of(first, "rectification")) == {a["id"]}
    assert "verification" not in entities(first)
    assert "plan" not in entities(first) and "finding" not in entities(first)
    assert photo_id not in of(first, "photo")
    payload = of(first, "rectification")[a["id"]]["data"]
    assert not set(payload) & {"source_plan_id", "finding_ids", "verifications", "plan_id"}
    # Changes to B's item, and a 回头看 of A's own item.
    url_b = f"/api/rectifications/{b['id']}"
    rw.post(rw.responder_b, f"{url_b}/progress", {"body": "已清理完毕", "percent": 90}, 201)
    rw.post(rw.responder_b, f"{url_b}/closure-request", {"body": "完成"})
    rw.post(rw.supervisor, f"{url_b}/return", {"reason": "未见照片"})
    for item in (a, b):
        rw.post(
            rw.supervisor,
            f"/api/rectifications/{item['id']}/verifications",
            {"method": "field", "inspector_id": str(rw.inspector.id)},
        )
    later = device.pull()
    assert later == [], later  # nothing of B; not even a hint that A's item is being checked
    # A change to A's own item does arrive, still without verifications.
    rw.post(
        rw.responder_a,
        f"/api/rectifications/{a['id']}/progress",
        {"body": "继续", "percent": 70},
        201,
    )
    last = device.pull()
    assert set(of(last, "rectification")) == {a["id"]}
    assert entities(last) <= {"rectification"}
    # From scratch again, after all of it.
    fresh = Device(client, auth, rw.responder_a).pull()
    assert set(of(fresh, "rectification")) == {a["id"]}
    assert not entities(fresh) & {"verification", "plan", "finding"}


def never_reads_verifications_findings_or_plans(two):
    rw = two[0]
    a = rw.issued()  # made from the plan's first finding
    rw.post(rw.responder_a, f"/api/rectifications/{a['id']}/acknowledge")
    url = f"/api/rectifications/{a['id']}"
    office = rw.get(rw.supervisor, url)
    assert office["finding_ids"] == [str(rw.findings[0].id)]
    assert office["source_plan"]["id"] == str(rw.plan.id)
    before = rw.get(rw.responder_a, url)
    notes_before = rw.get(rw.responder_a, "/api/notifications")
    leader_before = rw.get(rw.leader, url)
    rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "field", "inspector_id": str(rw.inspector.id), "instructions": "暗访复查围挡"},
    )
    after = rw.get(rw.responder_a, url)
    for view in (before, after):
        assert not set(view) & set(OFFICE_ONLY), set(view) & set(OFFICE_ONLY)
        assert not [h for h in view["history"] if not h["action"].startswith("rectification.")]
        assert "暗访复查围挡" not in str(view)
    assert after == before  # nothing in the unit's view tells of the visit
    notes = rw.get(rw.responder_a, "/api/notifications")
    assert notes == notes_before
    assert {n["kind"] for n in notes["items"]} <= {"issued", "returned", "extension_decided"}
    # Nor the leader's.
    leader_view = rw.get(rw.leader, url)
    assert not set(leader_view) & set(OFFICE_ONLY) and leader_view == leader_before
    # The office reads the verification.
    assert rw.get(rw.supervisor, url)["verifications"][0]["instructions"] == "暗访复查围挡"


def test_a_leader_sees_only_the_items_they_lead(two, client, auth):
    rw, a, b, _, leader_b = two
    draft = rw.create()  # led by rw.leader, but not issued
    assert {i["id"] for i in rw.get(rw.leader, "/api/rectifications")["items"]} == {a["id"]}
    assert {i["id"] for i in rw.get(leader_b, "/api/rectifications")["items"]} == {b["id"]}
    rw.get(rw.leader, f"/api/rectifications/{b['id']}", expect=404)
    rw.get(rw.leader, f"/api/rectifications/{draft['id']}", expect=404)
    device = Device(client, auth, rw.leader)
    assert set(of(device.pull(), "rectification")) == {a["id"]}
    # Handing the item to another lead official takes it off the first one's device.
    version = rw.get(rw.supervisor, f"/api/rectifications/{a['id']}")["version"]
    rw.call(
        "PATCH",
        rw.supervisor,
        f"/api/rectifications/{a['id']}",
        200,
        json={"version": version, "lead_official_id": str(leader_b.id)},
    )
    rw.get(rw.leader, f"/api/rectifications/{a['id']}", expect=404)
    changes = device.pull()
    assert [(c["id"], c["op"]) for c in changes] == [(a["id"], "delete")]
    assert {i["id"] for i in rw.get(leader_b, "/api/rectifications")["items"]} == {a["id"], b["id"]}


def test_a_leader_of_the_offices_government_sees_its_listed_items(two, client, auth, factory):
    """挂牌督办 items are followed by the leaders of the office's government, not by the
    leaders of another government, and never before they are issued."""
    rw, a, b, photo_id, _ = two
    government = factory.unit("县人民政府", kind=UnitKind.government)
    rw.office.parent = government
    db.session.commit()
    leader = rw.user(Role.leader, government)
    elsewhere = rw.user(Role.leader, factory.unit("州人民政府", kind=UnitKind.government))
    listed_draft = rw.create(finding_ids=[str(rw.findings[2].id)], listed=True)
    assert {i["id"] for i in rw.get(leader, "/api/rectifications")["items"]} == {b["id"]}
    assert rw.get(leader, "/api/rectifications?listed=true")["total"] == 1
    rw.get(leader, f"/api/rectifications/{listed_draft['id']}", expect=404)
    rw.get(leader, f"/api/rectifications/{a['id']}", expect=404)  # not listed, not his
    assert rw.get(elsewhere, "/api/rectifications")["items"] == []
    rw.get(elsewhere, f"/api/rectifications/{b['id']}", expect=404)
    device = Device(client, auth, leader)
    first = device.pull()
    assert set(of(first, "rectification")) == {b["id"]}
    assert photo_id in of(first, "photo")  # the unit's progress photo, as for its lead
    assert rw.call("GET", leader, f"/api/photos/{photo_id}/thumbnail").status_code == 200
    # Taken off the list (摘牌), it leaves his sight and his device.
    version = rw.get(rw.supervisor, f"/api/rectifications/{b['id']}")["version"]
    body = {"version": version, "listed": False}
    rw.call("PATCH", rw.supervisor, f"/api/rectifications/{b['id']}", 200, json=body)
    rw.get(leader, f"/api/rectifications/{b['id']}", expect=404)
    assert [(c["id"], c["op"]) for c in device.pull()] == [(b["id"], "delete")]


def test_an_inspector_sees_an_item_only_while_sent_to_verify_it(two, client, auth):
    rw, a, b, _, _ = two
    url = f"/api/rectifications/{a['id']}"
    device = Device(client, auth, rw.inspector)
    start = device.pull()
    assert "rectification" not in entities(start) and "verification" not in entities(start)
    rw.get(rw.inspector, url, expect=404)
    rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "field", "inspector_id": str(rw.inspector.id)},
    )
    verification = db.session.scalar(select(Verification))
    assert rw.get(rw.inspector, url)["id"] == a["id"]
    assert rw.get(rw.inspector, "/api/rectifications")["total"] == 1
    rw.get(rw.inspector, f"/api/rectifications/{b['id']}", expect=404)
    sent = device.pull()
    assert set(of(sent, "rectification")) == {a["id"]}
    assert set(of(sent, "verification")) == {str(verification.id)}
    # The inspector's view of the item is not the office's either.
    assert not set(rw.get(rw.inspector, url)) & set(OFFICE_ONLY)
    (result,) = device.push(
        mutation(
            "verification",
            {"report": "围挡仍有缺口"},
            op="update",
            record_id=str(verification.id),
            base_version=verification.version,
        )
    )
    assert result["status"] == "applied"
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "完成"})
    rw.post(
        rw.supervisor,
        f"{url}/verifications/{verification.id}/decision",
        {"passed": False, "reason": "围挡仍有缺口"},
    )
    # The visit is over: the item and the visit leave the inspector's device.
    rw.get(rw.inspector, url, expect=404)
    assert rw.get(rw.inspector, "/api/rectifications")["total"] == 0
    gone = device.pull()
    # (The ended visit itself still reaches the feed as an upsert with its new status;
    # tests/api/test_verification_sync.py records that as a known gap.)
    assert [c["op"] for c in gone if c["entity"] == "rectification"] == ["delete"]
    assert all(
        c["data"]["status"] == "failed"
        for c in gone
        if c["entity"] == "verification" and c["op"] == "upsert"
    )
    fresh = Device(client, auth, rw.inspector).pull()
    assert not entities(fresh) & {"rectification", "verification"}


def test_a_cancelled_visit_ends_the_inspectors_sight_and_the_unit_hears_nothing(rw, client, auth):
    a = rw.in_progress()
    url = f"/api/rectifications/{a['id']}"
    unit = Device(client, auth, rw.responder_a)
    inspector = Device(client, auth, rw.inspector)
    unit.pull()
    inspector.pull()
    rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "field", "inspector_id": str(rw.inspector.id)},
    )
    assert set(of(inspector.pull(), "rectification")) == {a["id"]}
    verification = db.session.scalar(select(Verification))
    rw.call("DELETE", rw.supervisor, f"{url}/verifications/{verification.id}", 200)
    rw.get(rw.inspector, url, expect=404)
    ended = inspector.pull()
    assert [c["op"] for c in ended if c["entity"] == "rectification"] == ["delete"]
    assert unit.pull() == []


def test_a_responder_finds_nothing_of_another_unit_in_lists_details_counts(two):
    lists_with_every_filter(two)
    detail_is_an_unknown_id(two)
    colour_counts_and_three_lists(two)
    # Notifications and summons: B's are B's.
    rw, a, b, _, _ = two
    rw.post(
        rw.supervisor,
        "/api/rectifications/summons",
        {
            "unit_id": str(rw.unit_b.id),
            "rectification_id": b["id"],
            "held_on": "2026-03-02",
            "person": "林业局局长",
            "reason": "防火通道整改不力",
        },
        expect=201,
    )
    about = {n["rectification_id"] for n in rw.get(rw.responder_b, "/api/notifications")["items"]}
    assert b["id"] in about
    mine = rw.get(rw.responder_a, "/api/notifications")["items"]
    assert mine and {n["rectification_id"] for n in mine} == {a["id"]}
    assert rw.get(rw.responder_a, "/api/rectifications/summons") == []
    assert len(rw.get(rw.responder_b, "/api/rectifications/summons")) == 1


def test_a_responder_pulls_nothing_of_another_unit_nor_any_verification(two, client, auth):
    pull_from_scratch_and_after_changes(two, client, auth)
    never_reads_verifications_findings_or_plans(two)
