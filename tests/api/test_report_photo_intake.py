"""Photos of a unit's progress report (API and portal): how many a report may carry is the
setting max_photos_per_report; the content is sniffed (HEIF only with a HEIF brand); the
original is kept through the evidence storage."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from server.evidence.storage import LocalStorage, storage_root
from server.extensions import db
from server.models import Photo, ProgressReport, Role
from tests.api.test_console_portal import acknowledged, item_url, login, post_form, upload
from tests.conftest import PHOTOS

JPEG = PHOTOS / "jpg_Canon_40D.jpg"
HEIC = PHOTOS / "heic_mobile_iphone_13_pro_max.HEIC"
# An MP4 video's first box: `ftyp` with the brands isom, iso2, avc1, mp41.
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 4000


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def originals() -> list:
    return [p for p in (storage_root() / "originals").rglob("*") if p.is_file()]


def report_of(rw) -> tuple[str, str]:
    item = acknowledged(rw)
    url = f"/api/rectifications/{item['id']}"
    report = rw.post(rw.responder_a, f"{url}/progress", {"body": "整改中", "percent": 20}, 201)
    return url, report["id"]


def send(rw, url, report_id, content: bytes, name: str):
    return rw.call(
        "POST",
        rw.responder_a,
        f"{url}/progress/{report_id}/photos",
        data={"photo": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def set_limit(rw, value: int) -> None:
    admin = rw.user(Role.admin)
    url = "/api/settings/max_photos_per_report"
    rw.call("PUT", admin, url, 200, json={"value": value})


def test_the_api_limit_follows_the_setting(rw):
    set_limit(rw, 2)
    url, report_id = report_of(rw)
    for n in range(2):
        assert send(rw, url, report_id, JPEG.read_bytes(), f"{n}.jpg").status_code == 201
    refused = send(rw, url, report_id, JPEG.read_bytes(), "2.jpg")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "每次报送最多 2 张照片"
    assert count(Photo) == 2


def test_the_portal_limit_follows_the_setting(client, auth, rw):
    set_limit(rw, 1)
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    page = client.get(item_url(item)).get_data(as_text=True)
    assert "现场照片(最多 1 张)" in page and 'data-max="1"' in page
    assert "var max = 1;" in client.get("/console/unit/portal.js").get_data(as_text=True)
    files = [upload(JPEG, "a.jpg"), upload(JPEG, "b.jpg")]
    response = post_form(
        client, f"{item_url(item)}/progress", csrf, files, body="进展", percent="10"
    )
    assert response.status_code == 422
    assert "每次最多上传 1 张照片,本次选择了 2 张" in response.get_data(as_text=True)
    assert count(ProgressReport) == 0 and count(Photo) == 0 and originals() == []
    response = post_form(
        client, f"{item_url(item)}/progress", csrf, [upload(JPEG)], body="进展", percent="10"
    )
    assert response.status_code == 303 and count(Photo) == 1


def test_an_mp4_is_not_taken_for_a_heic(rw):
    url, report_id = report_of(rw)
    response = send(rw, url, report_id, MP4, "IMG_0002.HEIC")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "只能上传 JPEG、PNG、WebP 或 HEIC 照片"
    assert error["details"]["fields"]["photos"] == ["不支持的文件类型:IMG_0002.HEIC"]
    assert count(Photo) == 0 and originals() == []
    assert not list((storage_root() / "uploads").glob("intake-*"))


@pytest.mark.parametrize(
    "head",
    [
        HEIC.read_bytes()[:64],  # major brand heic
        b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic",  # generic HEIF, HEVC-coded
    ],
)
def test_heif_brands_are_taken_as_heic(rw, head):
    url, report_id = report_of(rw)
    response = send(rw, url, report_id, head + b"\x00" * 1000, "a.heic")
    assert response.status_code == 201, response.get_json()
    assert db.session.scalars(select(Photo)).one().mime_type == "image/heic"


def test_a_report_photo_is_kept_through_the_evidence_storage(rw, monkeypatch):
    kept, real_put = [], LocalStorage.put

    def put(self, source, key):
        kept.append(key)
        real_put(self, source, key)

    monkeypatch.setattr(LocalStorage, "put", put)
    url, report_id = report_of(rw)
    assert send(rw, url, report_id, JPEG.read_bytes(), "a.jpg").status_code == 201
    assert kept == [db.session.scalars(select(Photo)).one().storage_path]
