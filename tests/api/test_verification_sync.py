"""回头看 over sync: the inspector sent back to an item pulls the visit (with the item, its
site and the original photos) and pushes the report and "after" photos; nobody else does,
and the visit leaves the device once the office has decided or called it off."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest
from sqlalchemy import select

from server.evidence.operations import process_photo_content
from server.extensions import db
from server.models import ContentStatus, Photo, PhotoParent, Role, Verification
from tests.api.sync_helpers import Device, mutation, of, photo_data, tus_headers
from tests.conftest import PHOTOS

BEFORE_JPEG = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()
AFTER_JPEG = (PHOTOS / "jpg_gps_DSCN0021.jpg").read_bytes()


def upload(device: Device, photo_id: str, content: bytes) -> None:
    """The whole file in one tus PATCH."""
    creation, sending = tus_headers(photo_id, content)
    created = device.client.post("/api/uploads", headers={**device.headers, **creation})
    assert created.status_code == 201, created.get_json()
    location = created.headers["Location"]
    patched = device.client.patch(location, data=content, headers={**device.headers, **sending})
    assert patched.status_code == 204, patched.get_json()


def stored_photo(device: Device, parent_id, content: bytes, parent_type="finding") -> str:
    """A photo record pushed and its content uploaded (processed inline in tests)."""
    photo = mutation("photo", photo_data(str(parent_id), content, parent_type=parent_type))
    [result] = device.push(photo)
    assert result["status"] == "applied", result
    upload(device, photo["id"], content)
    return photo["id"]


def verification_of(item_id) -> Verification:
    db.session.expire_all()
    return db.session.scalars(
        select(Verification)
        .where(Verification.rectification_id == UUID(item_id))
        .order_by(Verification.created_at.desc())
    ).first()


class Scene:
    """rw's item, made from a finding with a stored photo, waiting for closure; `checker`
    is the inspector the office sends back, `other` an inspector who is not sent."""

    def __init__(self, rw, client, auth, factory):
        self.rw = rw
        self.checker = factory.user(Role.inspector, rw.office)
        self.other = factory.user(Role.inspector, rw.office)
        db.session.commit()
        author = Device(client, auth, rw.inspector)
        self.before_photo = stored_photo(author, rw.findings[0].id, BEFORE_JPEG)
        self.item = rw.closure_requested()
        self.url = f"/api/rectifications/{self.item['id']}"
        self.device = Device(client, auth, self.checker)
        self.other_device = Device(client, auth, self.other)
        self.responder = Device(client, auth, rw.responder_a)

    def assign(self, instructions="核实围挡是否已设置到位") -> Verification:
        self.rw.post(
            self.rw.supervisor,
            f"{self.url}/verifications",
            {"method": "field", "inspector_id": str(self.checker.id), "instructions": instructions},
        )
        return verification_of(self.item["id"])

    def report(self, verification, device=None, base_version=None, **data):
        data = {"report": "围挡已按标准设置,现场整洁", "opinion": "passed", **data}
        return (device or self.device).push(
            mutation(
                "verification",
                data,
                op="update",
                record_id=str(verification.id),
                base_version=verification.version if base_version is None else base_version,
            )
        )[0]

    def decide(self, verification, passed=True, reason=""):
        return self.rw.post(
            self.rw.supervisor,
            f"{self.url}/verifications/{verification.id}/decision",
            {"passed": passed, "reason": reason},
        )


@pytest.fixture
def scene(rw, client, auth, factory):
    return Scene(rw, client, auth, factory)


def test_the_visit_reaches_the_inspector_sent_and_no_one_else(scene, client, auth):
    item_id = scene.item["id"]
    assert of(scene.device.pull(), "verification") == {}
    assert item_id not in of(scene.device.pull(), "rectification")
    scene.other_device.pull()

    verification = scene.assign()
    changes = scene.device.pull()  # with the cursor: what changed since
    pulled = of(changes, "verification")
    assert list(pulled) == [str(verification.id)]
    assert item_id in of(changes, "rectification")
    data = pulled[str(verification.id)]["data"]
    assert pulled[str(verification.id)]["version"] == verification.version
    assert data["rectification_id"] == item_id
    assert data["status"] == "assigned" and data["method"] == "field"
    assert data["instructions"] == "核实围挡是否已设置到位"
    assert data["problem"] == scene.item["problem"] and data["code"] == scene.item["code"]
    assert data["measures"] and data["requirements"]
    assert data["site"]["id"] == str(scene.rw.site.id)
    assert data["site"]["radius_m"] == scene.rw.site.radius_m
    assert [p["id"] for p in data["original_photos"]] == [scene.before_photo]
    assert data["report"] == "" and data["opinion"] is None

    # A new device of the same inspector gets it in its first snapshot.
    fresh = Device(client, auth, scene.checker).pull()
    assert str(verification.id) in of(fresh, "verification")
    assert item_id in of(fresh, "rectification")

    # The original photo's copies are there for the inspector to keep offline.
    for variant in ("thumbnail", "display"):
        response = client.get(
            f"/api/photos/{scene.before_photo}/{variant}", headers=scene.device.headers
        )
        assert response.status_code == 200 and response.mimetype == "image/jpeg"

    # Another inspector of the same office: nothing, before or after, and no photo.
    for changes in (scene.other_device.pull(), Device(client, auth, scene.other).pull()):
        assert of(changes, "verification") == {}
        assert item_id not in of(changes, "rectification")
    response = client.get(
        f"/api/photos/{scene.before_photo}/thumbnail", headers=scene.other_device.headers
    )
    assert response.status_code == 404


def test_the_report_moves_the_visit_to_reported(scene):
    verification = scene.assign()
    scene.device.pull()

    # Only a position and an opinion: not a report yet.
    version = verification.version
    result = scene.report(verification, report="", opinion=None, lat=26.4533, lon=106.9769)
    assert result["status"] == "applied" and result["version"] == version + 1
    assert verification_of(scene.item["id"]).status.value == "assigned"

    # Invalid fields are refused, nothing changes.
    bad = scene.report(verification_of(scene.item["id"]), opinion="maybe")
    assert bad["status"] == "rejected" and bad["errors"]["code"] == "validation_error"

    current = verification_of(scene.item["id"])
    stale_version = current.version
    result = scene.report(current, accuracy_m=9.5)
    assert result["status"] == "applied"
    stored = verification_of(scene.item["id"])
    assert stored.status.value == "reported" and stored.reported_at is not None
    assert stored.report == "围挡已按标准设置,现场整洁" and stored.opinion == "passed"
    assert (stored.lat, stored.lon, stored.accuracy_m) == (26.4533, 106.9769, 9.5)

    # A stale base version is a conflict carrying the server's copy.
    stale = scene.report(current, report="再次修改", base_version=stale_version)
    assert stale["status"] == "conflict"
    assert stale["server"]["data"]["status"] == "reported"

    pulled = of(scene.device.pull(), "verification")[str(stored.id)]
    assert pulled["version"] == stored.version
    assert pulled["data"]["status"] == "reported" and pulled["data"]["opinion"] == "passed"
    assert pulled["data"]["reported_at"]


def test_only_the_inspector_sent_may_report(scene, client, auth):
    verification = scene.assign()
    for device in (scene.other_device, Device(client, auth, scene.rw.inspector)):
        result = scene.report(verification, device=device)
        assert result["status"] == "rejected", result
    result = scene.report(verification, device=scene.responder)
    assert result["status"] == "rejected"
    assert verification_of(scene.item["id"]).report == ""


def test_after_photos_for_the_inspector_sent_only(scene, client):
    verification = scene.assign()
    photo_id = stored_photo(scene.device, verification.id, AFTER_JPEG, parent_type="verification")
    db.session.expire_all()
    photo = db.session.get(Photo, UUID(photo_id))
    assert photo.parent_type == PhotoParent.verification and photo.plan_id is None
    assert photo.content_status.value == "stored"
    assert photo.sha256 == hashlib.sha256(AFTER_JPEG).hexdigest()

    for device in (scene.other_device, scene.responder):
        refused = mutation(
            "photo", photo_data(str(verification.id), AFTER_JPEG, parent_type="verification")
        )
        [result] = device.push(refused)
        assert result["status"] == "rejected", result
        assert "parent_id" in result["errors"]["fields"]

    # The office sees the after photo; the inspected unit never does.
    supervisor = scene.rw.h(scene.rw.supervisor)
    assert client.get(f"/api/photos/{photo_id}", headers=supervisor).status_code == 200
    assert client.get(f"/api/photos/{photo_id}", headers=scene.responder.headers).status_code == 404


def test_the_responder_pulls_the_item_but_never_the_visit(scene):
    seen = scene.responder.pull()
    verification = scene.assign()
    seen += scene.responder.pull()
    scene.report(verification)
    stored_photo(scene.device, verification.id, AFTER_JPEG, parent_type="verification")
    seen += scene.responder.pull()
    scene.decide(verification_of(scene.item["id"]))
    seen += scene.responder.pull()

    assert scene.item["id"] in of(seen, "rectification")
    entities = {c["entity"] for c in seen}
    assert "verification" not in entities and "plan" not in entities
    assert not [c for c in seen if c["entity"] == "photo"]
    assert of(seen, "rectification")[scene.item["id"]]["data"]["status"] == "closed"


def test_the_decision_ends_the_visit_on_the_device(scene, client, auth):
    verification = scene.assign()
    scene.device.pull()
    assert scene.report(verification)["status"] == "applied"
    scene.device.pull()

    item = scene.decide(verification_of(scene.item["id"]))
    assert item["status"] == "closed"

    changes = scene.device.pull()
    assert scene.item["id"] in of(changes, "rectification", op="delete")
    fresh = Device(client, auth, scene.checker).pull()
    assert of(fresh, "verification") == {} and scene.item["id"] not in of(fresh, "rectification")
    # The original photos are the office's again.
    response = client.get(
        f"/api/photos/{scene.before_photo}/thumbnail", headers=scene.device.headers
    )
    assert response.status_code == 404

    # Late pushes from the device are refused, never applied.
    late = scene.report(verification_of(scene.item["id"]), report="补充说明")
    assert late["status"] == "rejected", late
    assert late["errors"]["code"] == "verification_ended"  # their own visit: told it ended
    refused = mutation(
        "photo", photo_data(str(verification.id), AFTER_JPEG, parent_type="verification")
    )
    [result] = scene.device.push(refused)
    assert result["status"] == "rejected"
    assert result["errors"]["code"] == "verification_ended"
    # Anyone else learns nothing, not even that the visit existed.
    other = scene.report(verification_of(scene.item["id"]), device=scene.other_device)
    assert other["errors"]["code"] == "not_found", other
    assert verification_of(scene.item["id"]).report == "围挡已按标准设置,现场整洁"


def test_calling_the_visit_off_ends_it(scene, client, auth):
    verification = scene.assign()
    scene.device.pull()
    scene.rw.call(
        "DELETE", scene.rw.supervisor, f"{scene.url}/verifications/{verification.id}", expect=200
    )
    changes = scene.device.pull()
    assert scene.item["id"] in of(changes, "rectification", op="delete")
    assert of(Device(client, auth, scene.checker).pull(), "verification") == {}
    assert scene.report(verification_of(scene.item["id"]))["status"] == "rejected"


def end_visit(scene, verification, how):
    if how == "decided":
        assert scene.report(verification)["status"] == "applied"
        scene.decide(verification_of(scene.item["id"]))
    else:
        url = f"{scene.url}/verifications/{verification.id}"
        scene.rw.call("DELETE", scene.rw.supervisor, url, expect=200)


@pytest.mark.parametrize("how", ["decided", "cancelled"])
def test_a_visit_that_ended_is_a_delete_in_the_inspectors_feed(scene, how):
    verification = scene.assign()
    scene.device.pull()
    end_visit(scene, verification, how)
    changes = scene.device.pull()
    assert scene.item["id"] in of(changes, "rectification", op="delete")
    assert of(changes, "verification") == {}  # no upsert of it
    assert str(verification.id) in of(changes, "verification", op="delete")


def test_an_original_photo_processed_after_the_assignment_reaches_the_visit(scene):
    photo = db.session.get(Photo, UUID(scene.before_photo))
    photo.content_status = ContentStatus.processing  # its bytes still being processed
    db.session.commit()
    verification = scene.assign()
    pulled = of(scene.device.pull(), "verification")[str(verification.id)]
    assert pulled["data"]["original_photos"] == []

    process_photo_content(photo.id)
    changed = of(scene.device.pull(), "verification")
    assert [p["id"] for p in changed[str(verification.id)]["data"]["original_photos"]] == [
        scene.before_photo
    ]
    assert of(scene.responder.pull(), "verification") == {}  # the unit still hears nothing


def test_a_fresh_pull_holds_the_item_photos_the_change_feed_sends(scene, client, auth, factory):
    """Progress-report and after photos have no plan: the snapshot must still hold them for
    whoever the feed sends them to (docs/sync.md: a snapshot of everything you may see)."""
    rw = scene.rw
    verification = scene.assign()
    after = stored_photo(scene.device, verification.id, AFTER_JPEG, parent_type="verification")
    url = f"/api/rectifications/{scene.item['id']}"
    report_id = rw.get(rw.supervisor, url)["progress_reports"][0]["id"]
    with open(PHOTOS / "jpg_Canon_40D.jpg", "rb") as f:
        rw.call(
            "POST",
            rw.responder_a,
            f"{url}/progress/{report_id}/photos",
            data={"photo": (f, "p.jpg")},
            content_type="multipart/form-data",
            expect=201,
        )
    progress = rw.get(rw.supervisor, url)["progress_reports"][0]["photos"][0]["id"]

    colleague = factory.user(Role.responder, rw.unit_a)
    other_unit = factory.user(Role.responder, rw.unit_b)
    db.session.commit()
    office = set(of(Device(client, auth, rw.supervisor).pull(), "photo"))
    assert {progress, after} <= office
    unit = set(of(Device(client, auth, colleague).pull(), "photo"))
    assert progress in unit and after not in unit  # never the unannounced visit's photos
    assert not {progress, after} & set(of(Device(client, auth, other_unit).pull(), "photo"))


def test_the_inspectors_report_is_in_the_offices_history_only(scene):
    verification = scene.assign()
    assert scene.report(verification)["status"] == "applied"
    office = scene.rw.get(scene.rw.supervisor, scene.url)["history"]
    reported = [h for h in office if h["action"] == "verification.reported"]
    assert len(reported) == 1 and reported[0]["actor"] == scene.checker.display_name
    unit = scene.rw.get(scene.rw.responder_a, scene.url)["history"]
    assert not [h for h in unit if h["action"].startswith("verification.")]
