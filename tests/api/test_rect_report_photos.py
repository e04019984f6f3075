"""Progress-report photos over the API: a real phone photo larger than the general request
limit goes through (uploads have their own limit), and a refused one leaves nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from server.evidence.storage import storage_root
from server.extensions import db
from server.models import Photo, PhotoParent
from tests.conftest import PHOTOS
from tests.processes import take_sqlite_write_lock

HEIC = PHOTOS / "heic_mobile_iphone_13_pro_max.HEIC"  # 2.2 MB, over MAX_BODY_BYTES


def originals() -> list:
    return [p for p in (storage_root() / "originals").rglob("*") if p.is_file()]


def report_of(rw) -> tuple[str, str]:
    item = rw.issued()
    url = f"/api/rectifications/{item['id']}"
    rw.post(rw.responder_a, f"{url}/acknowledge")
    report = rw.post(rw.responder_a, f"{url}/progress", {"body": "整改中", "percent": 20}, 201)
    return url, report["id"]


def send(rw, url, report_id, path, name):
    with open(path, "rb") as f:
        return rw.call(
            "POST",
            rw.responder_a,
            f"{url}/progress/{report_id}/photos",
            data={"photo": (f, name)},
            content_type="multipart/form-data",
        )


def test_a_phone_photo_over_the_general_body_limit_is_accepted(rw, app):
    assert HEIC.stat().st_size > app.config["MAX_BODY_BYTES"]
    url, report_id = report_of(rw)
    response = send(rw, url, report_id, HEIC, "IMG_0001.HEIC")
    assert response.status_code == 201, response.get_json()
    photo = db.session.scalars(select(Photo)).one()
    assert photo.parent_type == PhotoParent.progress_report
    assert photo.mime_type == "image/heic" and photo.size_bytes == HEIC.stat().st_size
    assert [p.name for p in originals()] == [f"{photo.id}.heic"]


def test_a_photo_over_the_upload_limit_is_refused_and_nothing_is_kept(rw, app):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    url, report_id = report_of(rw)
    response = send(rw, url, report_id, HEIC, "IMG_0001.HEIC")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert originals() == []


def test_the_offices_checks_on_a_report_photo_stay_with_the_office(rw, client, auth):
    from tests.api.sync_helpers import Device, of

    url, report_id = report_of(rw)
    jpeg = PHOTOS / "jpg_gps_DSCN0010.jpg"
    assert send(rw, url, report_id, jpeg, "a.jpg").status_code == 201
    assert send(rw, url, report_id, jpeg, "again.jpg").status_code == 201  # the same bytes

    office = rw.get(rw.supervisor, url)["progress_reports"][0]["photos"]
    assert any("duplicate_content" in p["flags"] for p in office)  # the second one
    unit = rw.get(rw.responder_a, url)["progress_reports"][0]["photos"]
    assert [p["flags"] for p in unit] == [[], []]
    pulled = of(Device(client, auth, rw.responder_a).pull(), "photo")
    assert {p["id"] for p in office} == set(pulled)
    assert all(c["data"]["flags"] == [] for c in pulled.values())


def test_a_report_photo_is_hashed_before_the_request_takes_the_write_lock(rw, app, monkeypatch):
    """The file is received (hashed, written) before the first database statement: on
    SQLite another writer gets the write lock at once meanwhile."""
    import server.evidence.intake as intake

    seen, real = [], intake.receive_photo

    def receive(stream, filename):
        seen.append(filename)
        take_sqlite_write_lock(app)  # "database is locked" if the request held it
        return real(stream, filename)

    url, report_id = report_of(rw)
    db.session.commit()
    monkeypatch.setattr(intake, "receive_photo", receive)
    response = send(rw, url, report_id, PHOTOS / "jpg_gps_DSCN0010.jpg", "a.jpg")
    assert response.status_code == 201, response.get_json()
    assert seen == ["a.jpg"]
    assert [p.name.split(".")[0] for p in originals()] == [response.get_json()["photos"][0]["id"]]


def test_unused_received_files_are_removed(rw, app):
    """A file received for a request that is then refused (here: not logged in) is gone."""
    with open(PHOTOS / "jpg_gps_DSCN0010.jpg", "rb") as f:
        response = rw.client.post(
            "/api/rectifications/00000000-0000-0000-0000-000000000000/progress/"
            "00000000-0000-0000-0000-000000000000/photos",
            data={"photo": (f, "a.jpg")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 401
    assert not list((storage_root() / "uploads").glob("intake-*"))
