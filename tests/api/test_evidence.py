"""Evidence that holds up: processing after upload, field-truth flags recomputed on the
server, originals only for those who may see them, derived copies without metadata."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from PIL import Image

from server.extensions import db
from server.models import Photo, Visit
from tests.api.sync_helpers import Device, finding_data, mutation, photo_data, visit_data
from tests.conftest import PHOTOS

TUS = {"Tus-Resumable": "1.0.0"}
GPS_JPEG = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()
SITE = (26.4532, 106.9768)  # the world fixture's site


@pytest.fixture
def device(client, auth, world):
    return Device(client, auth, world.inspector)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def upload(client, device, photo_id: str, content: bytes):
    created = client.post(
        "/api/uploads",
        headers={
            **device.headers,
            **TUS,
            "Upload-Length": str(len(content)),
            "Upload-Metadata": f"photo_id {b64(photo_id)},sha256 "
            f"{b64(hashlib.sha256(content).hexdigest())}",
        },
    )
    assert created.status_code == 201
    response = client.patch(
        created.headers["Location"],
        data=content,
        headers={
            **device.headers,
            **TUS,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert response.status_code == 204


def push_photo(device, world, content=GPS_JPEG, finding=None, **photo_fields):
    """A finding (unless given) and one photo; returns the photo mutation."""
    mutations = []
    if finding is None:
        finding = mutation("finding", finding_data(world))
        mutations.append(finding)
    photo = mutation("photo", photo_data(finding["id"], content, **photo_fields))
    mutations.append(photo)
    results = device.push(*mutations)
    assert all(r["status"] == "applied" for r in results), results
    return photo, finding


def record(photo) -> Photo:
    db.session.expire_all()
    return db.session.get(Photo, UUID(photo["id"]))


def test_upload_is_processed_with_exif_and_copies(app, client, device, world):
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    stored = record(photo)
    assert stored.content_status.value == "stored"
    assert stored.exif_lat == pytest.approx(43.4674483333333, abs=1e-6)
    assert stored.exif_lon == pytest.approx(11.8851266666639, abs=1e-6)
    assert stored.exif_taken_at.startswith("2008-10-22T16:28:39")
    assert (stored.width, stored.height) == (640, 480)
    # EXIF puts the file in Tuscany, the device at the site: a second witness disagrees.
    assert "exif_location_mismatch" in stored.flags
    assert stored.distance_to_site_m < 20
    root = Path(app.config["STORAGE_DIR"])
    for name, limit in (
        ("thumbnail", 400),
        ("display", 2048),
        ("evidence", 2048),
        ("public", 2048),
    ):
        with Image.open(root / stored.derived[name]) as image:
            assert max(image.size) <= limit
            assert not image.getexif() and "exif" not in image.info
    assert (root / stored.storage_path).read_bytes() == GPS_JPEG


def test_original_is_a_download_for_those_who_may_see_it(client, auth, device, world):
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    response = client.get(f"/api/photos/{photo['id']}/original", headers=device.headers)
    assert response.status_code == 200 and response.data == GPS_JPEG
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"zhicha-photo-{photo['id']}.jpg" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    supervisor = Device(client, auth, world.supervisor)
    assert (
        client.get(f"/api/photos/{photo['id']}/original", headers=supervisor.headers).status_code
        == 200
    )
    for outsider in (world.outsider, world.responder):
        headers = Device(client, auth, outsider).headers
        for path in ("", "/original", "/thumbnail", "/public"):
            assert (
                client.get(f"/api/photos/{photo['id']}{path}", headers=headers).status_code == 404
            )


def test_record_and_copies_over_the_api(client, device, world):
    photo, _ = push_photo(device, world)
    body = client.get(f"/api/photos/{photo['id']}", headers=device.headers).get_json()
    assert body["data"]["content_status"] == "pending"
    pending = client.get(f"/api/photos/{photo['id']}/thumbnail", headers=device.headers)
    assert pending.status_code == 409
    upload(client, device, photo["id"], GPS_JPEG)
    body = client.get(f"/api/photos/{photo['id']}", headers=device.headers).get_json()["data"]
    assert body["content_status"] == "stored" and "exif_location_mismatch" in body["flags"]
    assert body["exif_lat"] == pytest.approx(43.46745, abs=1e-4)
    thumb = client.get(f"/api/photos/{photo['id']}/thumbnail", headers=device.headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 400


def test_content_that_is_not_an_image_becomes_invalid_not_an_error(client, device, world):
    text = b"<script>alert(1)</script> this is not a photo"
    photo, _ = push_photo(device, world, content=text)
    upload(client, device, photo["id"], text)
    stored = record(photo)
    assert stored.content_status.value == "invalid"
    assert stored.content_error  # a reason for supervisors
    body = client.get(f"/api/photos/{photo['id']}", headers=device.headers).get_json()
    assert body["data"]["content_status"] == "invalid"


def flags_of(device, world, **fields) -> list[str]:
    photo, _ = push_photo(device, world, content=fields.pop("content", GPS_JPEG), **fields)
    return record(photo).flags


def test_inside_the_geofence_with_good_accuracy_has_no_place_flags(device, world):
    flags = flags_of(
        device, world, lat=SITE[0] + 0.0005, lon=SITE[1], accuracy_m=10, capture_source="camera"
    )
    assert flags == []


def test_outside_the_geofence(device, world):
    # 0.003° of latitude is about 333 m: beyond the 200 m radius; 0.001° (111 m) is inside.
    assert "outside_geofence" in flags_of(device, world, lat=SITE[0] + 0.003, lon=SITE[1])
    assert "outside_geofence" not in flags_of(
        device, world, lat=SITE[0] + 0.001, lon=SITE[1], content=b"other"
    )


def test_low_accuracy_on_both_sides_of_the_setting(device, world):
    assert "low_accuracy" in flags_of(device, world, accuracy_m=101)
    assert "low_accuracy" not in flags_of(device, world, accuracy_m=100, content=b"x2")


def test_outside_the_plan_window(device, world):
    late = (
        datetime.combine(world.plan.window_end, datetime.min.time(), UTC) + timedelta(days=2)
    ).isoformat()
    assert "outside_plan_window" in flags_of(device, world, captured_at=late)


def test_clock_skew_from_device_time(client, device, world):
    finding = mutation("finding", finding_data(world))
    photo = mutation("photo", photo_data(finding["id"], b"skew"))
    for offset, expected in ((timedelta(hours=1), True), (timedelta(minutes=5), False)):
        photo = mutation("photo", photo_data(finding["id"], f"skew{offset}".encode()))
        body = {
            "device_id": device.device_id,
            "mutations": [finding, photo],
            "device_time": (datetime.now(UTC) + offset).isoformat(),
        }
        response = client.post("/api/sync/push", headers=device.headers, json=body)
        assert response.status_code == 200
        assert ("clock_skew" in record(photo).flags) is expected


def test_from_gallery(device, world):
    assert "from_gallery" in flags_of(device, world, capture_source="gallery")


def test_duplicate_content(device, world):
    assert "duplicate_content" not in flags_of(device, world, content=b"same bytes")
    assert "duplicate_content" in flags_of(device, world, content=b"same bytes")


def test_impossible_speed_between_consecutive_captures(device, world):
    t0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    first, finding = push_photo(device, world, content=b"a", captured_at=t0.isoformat())
    # About 111 km north one minute later: far beyond 150 km/h.
    second, _ = push_photo(
        device,
        world,
        content=b"b",
        finding=finding,
        captured_at=(t0 + timedelta(minutes=1)).isoformat(),
        lat=SITE[0] + 1.0,
        lon=SITE[1],
    )
    assert "impossible_speed" in record(second).flags
    assert "impossible_speed" in record(first).flags
    # Two hours later the same distance is 55 km/h: fine.
    third, _ = push_photo(
        device,
        world,
        content=b"c",
        finding=finding,
        captured_at=(t0 + timedelta(hours=3)).isoformat(),
        lat=SITE[0] + 1.0,
        lon=SITE[1] + 0.001,
    )
    assert "impossible_speed" not in record(third).flags


def test_visit_checks(device, world):
    far = mutation("visit", visit_data(world, lat=SITE[0] + 0.01, lon=SITE[1], accuracy_m=500))
    near = mutation("visit", visit_data(world, lat=SITE[0], lon=SITE[1], accuracy_m=5))
    results = device.push(far, near)
    assert [r["version"] for r in results] == [1, 1]
    db.session.expire_all()
    far_visit = db.session.get(Visit, UUID(far["id"]))
    assert far_visit.distance_to_site_m == pytest.approx(1109, abs=5)
    assert set(far_visit.flags) >= {"outside_geofence", "low_accuracy"}
    assert db.session.get(Visit, UUID(near["id"])).flags == []


def test_processing_is_audited_and_pulled(client, device, world):
    from server.models import AuditEvent

    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert "photo.processed" in actions
    pulled = [c for c in device.pull() if c["entity"] == "photo" and c["id"] == photo["id"]]
    assert pulled[-1]["data"]["content_status"] == "stored"
    assert "exif_location_mismatch" in pulled[-1]["data"]["flags"]


def console_session(client, auth, user):
    token = auth.login(user)["access_token"]
    assert (
        client.post("/console/session", headers={"Authorization": f"Bearer {token}"}).status_code
        == 204
    )


def test_supervisors_see_evidence_next_to_its_checks(client, auth, device, world):
    photo, _ = push_photo(device, world, lat=SITE[0] + 0.003, lon=SITE[1])
    upload(client, device, photo["id"], GPS_JPEG)
    console_session(client, auth, world.supervisor)
    page = client.get("/console/evidence").get_data(as_text=True)
    assert "超出点位范围" in page and "照片EXIF位置与设备位置不符" in page
    assert world.inspector.display_name in page and world.plan.code in page
    thumb = client.get(f"/console/photos/{photo['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    original = client.get(f"/console/photos/{photo['id']}/original")
    assert original.data == GPS_JPEG


def test_evidence_page_is_for_desk_roles_of_the_office(client, auth, device, world):
    photo, _ = push_photo(device, world)
    console_session(client, auth, world.responder)
    assert client.get("/console/evidence").status_code == 403
    assert client.get(f"/console/photos/{photo['id']}/thumbnail").status_code == 403


def test_another_offices_supervisor_gets_not_found(client, auth, factory, device, world):
    from server.models import Role, UnitKind

    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    other = factory.user(Role.supervisor, factory.unit("另一督查室", kind=UnitKind.office))
    console_session(client, auth, other)
    assert client.get(f"/console/photos/{photo['id']}/thumbnail").status_code == 404
    assert photo["id"] not in client.get("/console/evidence").get_data(as_text=True)
    headers = auth.headers(other)
    assert client.get(f"/api/photos/{photo['id']}", headers=headers).status_code == 404


def test_a_processing_failure_keeps_the_upload_and_can_be_retried(
    app, client, device, world, monkeypatch
):
    import server.evidence.operations as operations

    class BrokenDisk:
        def process(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    real = operations.decoder_pool
    monkeypatch.setattr(operations, "decoder_pool", BrokenDisk)
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)  # still 204: the content is safe
    kept = record(photo)
    assert kept.content_status.value == "processing"
    assert kept.processing_attempts == 1 and "读写照片文件出错" in kept.content_error
    monkeypatch.setattr(operations, "decoder_pool", real)
    result = app.test_cli_runner().invoke(args=["evidence", "process"])
    assert result.exit_code == 0 and "processed 1 photos" in result.output
    done = record(photo)
    assert done.content_status.value == "stored" and done.content_error is None
    assert done.processing_attempts == 2
