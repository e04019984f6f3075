"""Exposure copies (曝光台) through the console: a draft of a problem photo behind an
issued item, the face found and blurred by the job, manual boxes added and removed,
published to the office's units, withdrawn; the photo's original and copies untouched;
nothing before the item is issued, nothing for anyone outside the office's units."""

from __future__ import annotations

import hashlib
import io
import uuid

import numpy as np
import pytest
from PIL import Image

from server.bulletins.documents import photo_file
from server.evidence.storage import evidence_storage
from server.exposure import operations
from server.exposure.queries import published_copy_url
from server.extensions import db
from server.models import (
    AuditEvent,
    ContentStatus,
    ExposureCopy,
    ExposureStatus,
    PhotoParent,
    RenderState,
)
from tests.api.test_console_portal import login
from tests.conftest import PHOTOS
from tests.factories import Factory
from tests.unit.test_exposure_blur import edge_energy

ASTRONAUT = PHOTOS.parent / "astronaut.png"
COPIES = ("thumbnail", "display", "evidence", "public")


def astronaut_photo(finding):
    """A processed finding photo: the portrait as its original and copies. The public copy
    carries EXIF naming someone, which no exposure copy may keep."""
    photo = Factory().photo(
        finding.created_by, PhotoParent.finding, finding.id, finding.plan_id,
        content_status=ContentStatus.stored,
    )  # fmt: skip
    photo.storage_path = f"originals/{photo.id}.png"
    photo.derived = {name: f"derived/t/{photo.id}/{name}.jpg" for name in COPIES}
    storage = evidence_storage()
    exif = Image.Exif()
    exif[0x013B] = "Inspector Zhang"  # Artist
    for key in (photo.storage_path, *photo.derived.values()):
        path = storage.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if key == photo.storage_path:
            path.write_bytes(ASTRONAUT.read_bytes())
        else:
            Image.open(ASTRONAUT).convert("RGB").save(path, "JPEG", quality=92, exif=exif)
    db.session.commit()
    return photo


def hashes(photo) -> dict:
    storage = evidence_storage()
    keys = (photo.storage_path, *photo.derived.values())
    return {k: hashlib.sha256(storage.local_path(k).read_bytes()).hexdigest() for k in keys}


def post(client, url, csrf, expect=303, **form):
    response = client.post(url, data={"csrf_token": csrf, **form})
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response


def the_copy(copy_id) -> ExposureCopy:
    db.session.rollback()  # a fresh read: the job committed in its own session
    return db.session.get(ExposureCopy, uuid.UUID(str(copy_id)))


def image_of(response) -> Image.Image:
    return Image.open(io.BytesIO(response.data))


def region(box) -> tuple:
    return box["x"], box["y"], box["w"], box["h"]


@pytest.fixture
def issued(rw):
    """The portrait on findings[0], and the item made from it, issued to unit_a."""
    photo = astronaut_photo(rw.findings[0])
    item = rw.create()
    return photo, item


def test_a_draft_is_only_for_photos_of_issued_items(client, auth, rw, issued):
    photo, item = issued
    csrf = login(client, auth, rw.supervisor)
    assert str(photo.id) not in client.get("/console/exposure").get_data(as_text=True)
    post(client, "/console/exposure", csrf, expect=404, photo_id=str(photo.id))
    assert db.session.query(ExposureCopy).count() == 0

    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    login(client, auth, rw.supervisor)
    assert str(photo.id) in client.get("/console/exposure").get_data(as_text=True)
    # Another office may not make one, even knowing the photo.
    other = login(client, auth, rw.other_supervisor)
    post(client, "/console/exposure", other, expect=404, photo_id=str(photo.id))
    assert str(photo.id) not in client.get("/console/exposure").get_data(as_text=True)
    # Nor a responder or the inspector who took it.
    for user in (rw.responder_a, rw.inspector):
        token = login(client, auth, user)
        response = client.post(
            "/console/exposure", data={"csrf_token": token, "photo_id": str(photo.id)}
        )
        assert response.status_code in (403, 404)
    assert db.session.query(ExposureCopy).count() == 0


def test_detect_edit_publish_withdraw(client, auth, rw, issued):
    photo, item = issued
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    before = hashes(photo)
    csrf = login(client, auth, rw.supervisor)
    created = post(client, "/console/exposure", csrf, photo_id=str(photo.id))
    copy_id = created.headers["Location"].rsplit("/", 1)[1]
    copy = the_copy(copy_id)
    # The job ran after the commit: the face was found and the copy rendered.
    assert copy.status == ExposureStatus.draft and copy.render_state == RenderState.done
    assert copy.rendered and (copy.width, copy.height) == (512, 512)
    assert "haarcascade_frontalface_default" in copy.detector_version
    [face] = copy.boxes
    assert face["source"] == "auto" and face["kind"] == "face"
    assert face["x"] <= 177 and face["x"] + face["w"] >= 272
    # Posting the same photo again gives the same draft.
    again = post(client, "/console/exposure", csrf, photo_id=str(photo.id))
    assert again.headers["Location"].endswith(copy_id)

    url = f"/console/exposure/{copy_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'data-box="{face["id"]}"' in page and "自动识别:人脸" in page
    assert rw.inspector.display_name not in page

    original = Image.open(ASTRONAUT).convert("RGB")
    rendered = image_of(client.get(f"{url}/image"))
    assert not rendered.getexif()
    assert edge_energy(rendered, region(face)) < edge_energy(original, region(face)) / 10

    # A manual box (the astronaut's name badge, say) is added and rendered.
    badge = {"x": 300, "y": 330, "w": 120, "h": 60}
    assert edge_energy(rendered, region(badge)) > 50
    post(client, f"{url}/boxes", csrf, **{k: str(v) for k, v in badge.items()})
    copy = the_copy(copy_id)
    assert len(copy.boxes) == 2 and copy.rendered and copy.revision == 2
    manual = next(b for b in copy.boxes if b["source"] == "manual")
    rendered = image_of(client.get(f"{url}/image"))
    assert edge_energy(rendered, region(manual)) < edge_energy(original, region(manual)) / 10
    # Outside the picture or too small: refused next to the form, nothing kept.
    refused = post(client, f"{url}/boxes", csrf, expect=422, x="600", y="0", w="30", h="30")
    assert "遮挡区域须在照片内" in refused.get_data(as_text=True)
    post(client, f"{url}/boxes", csrf, expect=422, x="1", y="1", w="2", h="40")
    assert len(the_copy(copy_id).boxes) == 2

    # The face box is removed (a supervisor may judge it a public figure): rendered again.
    post(client, f"{url}/boxes/{face['id']}/delete", csrf)
    copy = the_copy(copy_id)
    assert [b["id"] for b in copy.boxes] == [manual["id"]] and copy.rendered
    rendered = image_of(client.get(f"{url}/image"))
    assert edge_energy(rendered, region(face)) > edge_energy(original, region(face)) / 2
    post(client, f"{url}/boxes/{face['id']}/delete", csrf, expect=422)
    # Put a face box back by hand before publishing.
    post(
        client,
        f"{url}/boxes",
        csrf,
        **{k: str(v) for k, v in zip("xywh", region(face), strict=True)},
    )

    # Until published, nobody but the office sees it.
    assert published_copy_url(photo.id) is None
    for user in (rw.responder_a, rw.leader, rw.inspector, rw.other_supervisor):
        login(client, auth, user)
        assert client.get(f"{url}/image").status_code == 404
        assert copy_id not in client.get("/console/exposure/public").get_data(as_text=True)
    csrf = login(client, auth, rw.supervisor)

    asked = post(client, f"{url}/publish", csrf, expect=200)
    assert "发布后所有相关单位均可看到" in asked.get_data(as_text=True)
    assert the_copy(copy_id).status == ExposureStatus.draft
    post(client, f"{url}/publish", csrf, confirm="1")
    copy = the_copy(copy_id)
    assert copy.status == ExposureStatus.published and copy.published_by_id == rw.supervisor.id
    published = client.get(f"{url}/image").data
    # A published copy never changes.
    post(client, f"{url}/boxes", csrf, expect=409, x="0", y="0", w="50", h="50")
    post(client, f"{url}/boxes/{manual['id']}/delete", csrf, expect=409)
    assert the_copy(copy_id).revision == copy.revision

    with client.application.test_request_context():
        assert published_copy_url(photo.id) == f"/console/exposure/{copy_id}/image"
    # A bulletin's typical problem shows the blurred copy, not the public one.
    assert photo_file(photo.id).read_bytes() == published
    # The unit of the item and the office's leader see it; another unit and office do not.
    for user, status in ((rw.responder_a, 200), (rw.leader, 200), (rw.responder_b, 404),
                         (rw.other_supervisor, 404)):  # fmt: skip
        login(client, auth, user)
        answer = client.get(f"{url}/image")
        assert answer.status_code == status, user.role
        gallery = client.get("/console/exposure/public").get_data(as_text=True)
        assert (copy_id in gallery) == (status == 200)
        assert rw.inspector.display_name not in gallery
        if status == 200:
            assert answer.data == published
        assert client.get(url).status_code in (403, 404)  # the editing page is the office's

    csrf = login(client, auth, rw.supervisor)
    post(client, f"{url}/withdraw", csrf)
    assert the_copy(copy_id).status == ExposureStatus.withdrawn
    public = photo_file(photo.id)  # withdrawn: the bulletin falls back to the public copy
    assert public is not None and public.read_bytes() != published
    login(client, auth, rw.responder_a)
    assert client.get(f"{url}/image").status_code == 404
    assert published_copy_url(photo.id) is None

    actions = [e.action for e in db.session.query(AuditEvent).filter_by(entity_id=copy_id)]
    for action in ("created", "detected", "box_added", "box_removed", "published", "withdrawn"):
        assert f"exposure.{action}" in actions
    # The evidence was never written.
    assert hashes(photo) == before


def test_the_job_is_idempotent_and_the_sweeper_picks_up_lost_ones(app, rw, issued):
    photo, item = issued
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    with app.test_request_context():
        copy = operations.create_copy(rw.supervisor, photo.id)
        db.session.commit()  # no request wrapper: the job was not enqueued
    copy = the_copy(copy.id)
    assert copy.render_state == RenderState.queued and copy.file_path is None
    from server.exposure.jobs import sweep_stranded_exposure_copies

    app.config["PHOTO_REQUEUE_AFTER_S"] = 0
    try:
        assert sweep_stranded_exposure_copies.call_local() == 1
    finally:
        app.config["PHOTO_REQUEUE_AFTER_S"] = 60
    copy = the_copy(copy.id)
    assert copy.render_state == RenderState.done and len(copy.boxes) == 1
    first = copy.file_path
    # A doubled message changes nothing: no new file, no second detection.
    assert operations.render_copy(copy.id) is True
    copy = the_copy(copy.id)
    assert copy.file_path == first and len(copy.boxes) == 1
    assert np.asarray(Image.open(evidence_storage().local_path(first))).shape == (512, 512, 3)


def test_the_demo_photo_goes_through_processing_to_an_exposure_copy(app, rw):
    """flask seed-demo's problem photo (server/demo_photos.py): processed like an upload,
    then a draft copy finds its face."""
    from server.demo_photos import seed_demo_photo
    from server.evidence import operations as evidence

    photo = seed_demo_photo(rw.findings[0], rw.site.lat, rw.site.lon)
    db.session.commit()
    item = rw.create()
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    db.session.rollback()
    evidence.process_photo_content(photo.id)  # the photo job's body
    assert db.session.get(type(photo), photo.id).content_status == ContentStatus.stored
    with app.test_request_context():
        copy = operations.create_copy(rw.supervisor, photo.id)
        db.session.commit()
    assert operations.render_copy(copy.id) is True
    copy = the_copy(copy.id)
    assert [b["kind"] for b in copy.boxes] == ["face"] and copy.rendered


def test_a_box_added_while_the_job_renders_is_rendered_too(app, rw, issued, monkeypatch):
    """The file belongs to the revision it was rendered from: boxes changed meanwhile make
    the job render again, and the copy can be published only once the file caught up."""
    from server.exposure import blur
    from server.exposure.jobs import render_exposure_job

    photo, item = issued
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/issue")
    with app.test_request_context():
        copy = operations.create_copy(rw.supervisor, photo.id)
        db.session.commit()
    assert operations.render_copy(copy.id) is True  # detected and rendered: revision 1
    copy = the_copy(copy.id)
    assert copy.revision == 1 and copy.rendered
    with app.test_request_context():
        operations.add_box(rw.supervisor, copy, 10, 10, 40, 40)  # revision 2
        db.session.commit()

    real_render, calls = blur.render, []

    def render_and_edit(source, boxes, target, blocks):
        calls.append(len(boxes))
        if len(calls) == 1:  # the office adds a box while the first rendering runs
            with app.test_request_context():
                operations.add_box(rw.supervisor, the_copy(copy.id), 400, 400, 50, 50)
                db.session.commit()
        return real_render(source, boxes, target, blocks)

    monkeypatch.setattr(blur, "render", render_and_edit)
    render_exposure_job.call_local(str(copy.id))
    copy = the_copy(copy.id)
    assert calls == [2, 3]  # rendered again with the box added meanwhile
    assert copy.revision == 3 and copy.rendered_revision == 3 and copy.rendered
    assert copy.render_state == RenderState.done and len(copy.boxes) == 3
    with app.test_request_context():
        operations.publish(rw.supervisor, copy)
        db.session.commit()
    assert the_copy(copy.id).status == ExposureStatus.published
