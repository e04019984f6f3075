"""tus 1.0.0 uploads of photo content: creation, resume, checksums, termination, limits,
and an independent tus client (tuspy) against a live server."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from pathlib import Path
from uuid import UUID

import pytest

from server.extensions import db
from server.models import Photo
from sync.models import Upload
from tests.api.sync_helpers import (
    Device,
    finding_data,
    mutation,
    photo_data,
)
from tests.conftest import PHOTOS
from tests.processes import take_sqlite_write_lock

TUS = {"Tus-Resumable": "1.0.0"}
JPEG = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def device(client, auth, world):
    return Device(client, auth, world.inspector)


@pytest.fixture
def photo(device, world):
    """A finding with one photo record pushed; returns the photo's id."""
    finding = mutation("finding", finding_data(world))
    record = mutation("photo", photo_data(finding["id"], JPEG))
    results = device.push(finding, record)
    assert [r["status"] for r in results] == ["applied", "applied"]
    return record["id"]


def create(client, device, photo_id, length=len(JPEG), sha=None, headers=None):
    sha = sha or hashlib.sha256(JPEG).hexdigest()
    metadata = f"photo_id {b64(photo_id)},sha256 {b64(sha)},filename {b64('现场.jpg')}"
    return client.post(
        "/api/uploads",
        headers={
            **device.headers,
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata,
            **(headers or {}),
        },
    )


def patch(client, device, location, offset, body, checksum=None, headers=None):
    extra = {"Upload-Checksum": checksum} if checksum else {}
    return client.patch(
        location,
        data=body,
        headers={
            **device.headers,
            **TUS,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            **extra,
            **(headers or {}),
        },
    )


def head_offset(client, device, location) -> int:
    response = client.head(location, headers={**device.headers, **TUS})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return int(response.headers["Upload-Offset"])


def sha1_header(chunk: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(chunk).digest()).decode()


def stored_photo(photo_id) -> Photo:
    db.session.expire_all()
    return db.session.get(Photo, UUID(photo_id))


def test_options_lists_capabilities(client):
    response = client.options("/api/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation",
        "checksum",
        "termination",
    }
    assert "sha1" in response.headers["Tus-Checksum-Algorithm"]


def test_chunked_upload_with_resume(app, client, device, photo):
    created = create(client, device, photo)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert head_offset(client, device, location) == 0
    chunk = 50_000
    first = patch(client, device, location, 0, JPEG[:chunk], sha1_header(JPEG[:chunk]))
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(chunk)
    # The device restarts: it asks for its upload again and resumes at the offset.
    again = create(client, device, photo)
    assert again.status_code == 201 and again.headers["Location"] == location
    offset = head_offset(client, device, location)
    assert offset == chunk
    while offset < len(JPEG):
        part = JPEG[offset : offset + chunk]
        response = patch(client, device, location, offset, part, sha1_header(part))
        assert response.status_code == 204
        offset = int(response.headers["Upload-Offset"])
    stored = stored_photo(photo)
    assert stored.content_status.value == "stored"
    original = Path(app.config["STORAGE_DIR"]) / stored.storage_path
    assert original.read_bytes() == JPEG
    assert head_offset(client, device, location) == len(JPEG)
    changes = device.pull()
    pulled = [c for c in changes if c["entity"] == "photo" and c["id"] == photo]
    assert pulled[-1]["data"]["content_status"] == "stored"


def test_chunk_checksum_mismatch_is_460_and_dropped(client, device, photo):
    location = create(client, device, photo).headers["Location"]
    response = patch(client, device, location, 0, JPEG[:1000], sha1_header(b"other bytes"))
    assert response.status_code == 460
    assert response.get_json()["error"]["code"] == "checksum_mismatch"
    assert head_offset(client, device, location) == 0
    sha256 = "sha256 " + base64.b64encode(hashlib.sha256(JPEG[:1000]).digest()).decode()
    assert patch(client, device, location, 0, JPEG[:1000], sha256).status_code == 204


def test_whole_file_sha256_mismatch_discards_the_upload(client, device, photo):
    location = create(client, device, photo).headers["Location"]
    tampered = bytearray(JPEG)
    tampered[-100] ^= 0xFF
    response = patch(client, device, location, 0, bytes(tampered))
    assert response.status_code == 460
    assert response.get_json()["error"]["code"] == "sha256_mismatch"
    assert stored_photo(photo).content_status.value == "pending"
    assert db.session.scalars(db.select(Upload)).all() == []
    fresh = create(client, device, photo)
    assert fresh.status_code == 201 and fresh.headers["Location"] != location
    ok = patch(client, device, fresh.headers["Location"], 0, JPEG)
    assert ok.status_code == 204 and stored_photo(photo).content_status.value == "stored"


def test_wrong_offset_is_409(client, device, photo):
    location = create(client, device, photo).headers["Location"]
    assert patch(client, device, location, 10, JPEG[10:20]).status_code == 409
    patch(client, device, location, 0, JPEG[:100])
    assert patch(client, device, location, 0, JPEG[:100]).status_code == 409


def test_length_or_sha256_differing_from_the_record_is_422(client, device, photo):
    assert create(client, device, photo, length=len(JPEG) + 1).status_code == 422
    assert create(client, device, photo, sha="0" * 64).status_code == 422


def test_only_the_author_may_upload(client, auth, device, photo, world):
    thief = Device(client, auth, world.outsider)
    response = create(client, thief, photo)
    assert response.status_code == 404
    location = create(client, device, photo).headers["Location"]
    assert client.head(location, headers={**thief.headers, **TUS}).status_code == 404
    assert patch(client, thief, location, 0, JPEG).status_code == 404
    assert client.delete(location, headers={**thief.headers, **TUS}).status_code == 404


def test_upload_limit(app, client, device, photo):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    response = create(client, device, photo)
    assert response.status_code == 413


def test_body_longer_than_upload_length_is_refused(client, device, photo):
    location = create(client, device, photo).headers["Location"]
    response = patch(client, device, location, 0, JPEG + b"extra")
    assert response.status_code == 413
    assert head_offset(client, device, location) == 0


def test_termination(client, device, photo):
    location = create(client, device, photo).headers["Location"]
    patch(client, device, location, 0, JPEG[:100])
    response = client.delete(location, headers={**device.headers, **TUS})
    assert response.status_code == 204
    assert client.head(location, headers={**device.headers, **TUS}).status_code == 404
    done = create(client, device, photo).headers["Location"]
    patch(client, device, done, 0, JPEG)
    refused = client.delete(done, headers={**device.headers, **TUS})
    assert refused.status_code == 403  # finished content is evidence


def test_protocol_errors(client, device, photo):
    no_version = client.post("/api/uploads", headers=device.headers)
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    bad_meta = client.post(
        "/api/uploads",
        headers={**device.headers, **TUS, "Upload-Length": "10", "Upload-Metadata": "photo_id !!!"},
    )
    assert bad_meta.status_code == 400
    location = create(client, device, photo).headers["Location"]
    wrong_type = patch(
        client, device, location, 0, JPEG[:10], headers={"Content-Type": "application/octet-stream"}
    )
    assert wrong_type.status_code == 415
    bad_algo = patch(client, device, location, 0, JPEG[:10], "md5 AAAA")
    assert bad_algo.status_code == 400
    assert client.post("/api/uploads", headers=TUS).status_code == 401


def test_tuspy_uploads_a_photo(live_server, device, photo):
    """An independent tus client, written from the tus spec, not from this server."""
    from tusclient import client as tus_client

    tus = tus_client.TusClient(f"{live_server}/api/uploads", headers=device.headers)
    uploader = tus.uploader(
        file_stream=__import__("io").BytesIO(JPEG),
        chunk_size=40_000,
        upload_checksum=True,
        metadata={"photo_id": photo, "sha256": hashlib.sha256(JPEG).hexdigest()},
    )
    uploader.upload()
    assert stored_photo(photo).content_status.value == "stored"


def test_uploads_are_not_limited_by_the_json_body_limit(app, client, device, photo):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    location = create(client, device, photo).headers["Location"]
    assert patch(client, device, location, 0, JPEG).status_code == 204


class PushingBody(io.RawIOBase):
    """A request body that, half-way through, has another device push: the upload must
    not hold a database lock while its bytes arrive."""

    def __init__(self, data: bytes, during):
        self.data, self.pos, self.during, self.done = data, 0, during, False

    def readable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, pos, whence=0):
        self.pos = len(self.data) + pos if whence == 2 else pos
        return self.pos

    def readinto(self, buffer):
        if self.pos >= len(self.data) // 2 and not self.done:
            self.done = True
            self.during()
        size = min(len(buffer), 16_384, len(self.data) - self.pos)
        buffer[:size] = self.data[self.pos : self.pos + size]
        self.pos += size
        return size


def test_a_slow_upload_does_not_block_pushes(app, client, auth, device, photo, world):
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 500
    location = create(client, device, photo).headers["Location"]
    other = Device(app.test_client(), auth, world.inspector)
    outcome = {}
    pushed = {"device_id": other.device_id, "mutations": [mutation("finding", finding_data(world))]}

    def push_from_another_thread():
        # Its own thread: its own app context, session and database connection.
        response = other.client.post("/api/sync/push", headers=other.headers, json=pushed)
        outcome["status"] = response.status_code

    def push_meanwhile():
        thread = threading.Thread(target=push_from_another_thread)
        thread.start()
        thread.join(timeout=30)

    body = PushingBody(JPEG, push_meanwhile)
    response = client.patch(
        location,
        input_stream=body,
        headers={
            **device.headers,
            **TUS,
            "Upload-Offset": "0",
            "Content-Length": str(len(JPEG)),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert response.status_code == 204
    assert outcome == {"status": 200}
    assert stored_photo(photo).content_status.value == "stored"


def test_the_whole_file_is_hashed_before_the_write_lock_is_taken(
    app, client, device, photo, monkeypatch
):
    """The last PATCH checks the whole file's sha256 with no write lock held: on SQLite
    another writer gets the lock at once meanwhile."""
    import sync.tus

    probed, real = [], sync.tus.sha256_of

    def hashing(path):
        probed.append(path.name)
        take_sqlite_write_lock(app)  # "database is locked" if the PATCH held it
        return real(path)

    monkeypatch.setattr(sync.tus, "sha256_of", hashing)
    location = create(client, device, photo).headers["Location"]
    db.session.commit()
    assert patch(client, device, location, 0, JPEG).status_code == 204
    assert len(probed) == 1
    assert stored_photo(photo).content_status.value == "stored"


def test_a_full_upload_whose_finishing_request_died_is_finished_by_head(
    app, client, device, photo, monkeypatch
):
    """All bytes reached the disk, then the PATCH died before its finishing transaction
    committed (a killed worker): HEAD says the upload is whole, so the device stops; the
    server finishes it then, and the photo is processed."""
    import sync.tus

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    location = create(client, device, photo).headers["Location"]
    monkeypatch.setattr(sync.tus, "_finish", killed)
    assert patch(client, device, location, 0, JPEG).status_code == 500
    monkeypatch.undo()
    assert stored_photo(photo).content_status.value == "pending"
    assert head_offset(client, device, location) == len(JPEG)
    assert stored_photo(photo).content_status.value == "stored"
    assert head_offset(client, device, location) == len(JPEG)  # and stays finished


def test_a_full_upload_with_other_bytes_is_emptied_for_the_device_to_send_again(
    app, client, device, photo
):
    location = create(client, device, photo).headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    from server.evidence.uploads import upload_store

    upload_store().partial(UUID(upload_id)).write_bytes(b"x" * len(JPEG))  # not the photo
    assert head_offset(client, device, location) == 0
    assert stored_photo(photo).content_status.value == "pending"
    assert patch(client, device, location, 0, JPEG).status_code == 204
    assert stored_photo(photo).content_status.value == "stored"


def test_a_finish_that_rolls_back_leaves_no_original(app, client, device, photo, monkeypatch):
    """The original is moved into storage inside the finishing transaction; when that
    transaction rolls back (here: enqueueing fails), the original is removed again, the
    photo stays pending and the device sends its content again."""
    import server.evidence.uploads

    def queue_gone(photo_id):
        raise RuntimeError("queue gone")

    originals = Path(app.config["STORAGE_DIR"]) / "originals"
    location = create(client, device, photo).headers["Location"]
    monkeypatch.setattr(server.evidence.uploads, "schedule_processing", queue_gone)
    assert patch(client, device, location, 0, JPEG).status_code == 500
    monkeypatch.undo()
    assert [p for p in originals.rglob("*") if p.is_file()] == []
    assert stored_photo(photo).content_status.value == "pending"
    assert head_offset(client, device, location) == 0  # the bytes went with the rollback
    assert patch(client, device, location, 0, JPEG).status_code == 204
    stored = stored_photo(photo)
    assert stored.content_status.value == "stored"
    assert (Path(app.config["STORAGE_DIR"]) / stored.storage_path).read_bytes() == JPEG


def test_a_finished_upload_goes_through_the_evidence_storage(client, device, photo, monkeypatch):
    """The tus finish keeps its original with the storage's put (fsync, read-only)."""
    from server.evidence.storage import LocalStorage

    kept, real_put = [], LocalStorage.put

    def put(self, source, key):
        kept.append(key)
        real_put(self, source, key)

    monkeypatch.setattr(LocalStorage, "put", put)
    location = create(client, device, photo).headers["Location"]
    assert patch(client, device, location, 0, JPEG).status_code == 204
    assert kept == [stored_photo(photo).storage_path]


def test_a_second_finish_of_the_same_photo_keeps_the_first_original(
    app, client, device, photo, world, tmp_path
):
    """Two requests finishing one upload at once: the one that comes second (after the
    first committed) finds the photo no longer pending and neither replaces nor removes
    the original it kept."""
    from server.evidence.uploads import PhotoGate
    from sync.registry import Principal

    location = create(client, device, photo).headers["Location"]
    assert patch(client, device, location, 0, JPEG).status_code == 204
    stored = stored_photo(photo)
    original = Path(app.config["STORAGE_DIR"]) / stored.storage_path
    late = tmp_path / "late-partial"
    late.write_bytes(b"other bytes that arrived late")
    with app.test_request_context(method="PATCH"):
        principal = Principal(world.inspector.id, frozenset(), world.inspector)
        PhotoGate().content_arrived(db.session, principal, UUID(photo), late)
        db.session.rollback()  # even a rollback of the late request removes nothing
    assert original.read_bytes() == JPEG
    assert not late.exists()
    assert stored_photo(photo).content_status.value == "stored"
