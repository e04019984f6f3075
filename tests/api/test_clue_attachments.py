"""A clue's photos (/console/clues/<id>/attachments): kept as evidence through the
console's photo intake, shown as thumbnails on the clue's page, seen by the office's
supervisors only (another office, the unit, an inspector, an admin: not found), never in
any device's pull feed, and a device cannot push a photo onto a clue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.clues import operations as ops
from server.evidence import operations as evidence_ops
from server.extensions import db
from server.models import ContentStatus, Photo, PhotoParent, PlanStatus, Role, UnitKind
from tests.api.sync_helpers import Device, mutation, of, photo_data
from tests.api.test_console_rectifications import login
from tests.conftest import PHOTOS

JPEG = PHOTOS / "jpg_gps_DSCN0010.jpg"


@pytest.fixture
def desk(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    other_office = factory.unit("市委督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, office)
    clue = factory.clue(office, supervisor, reporter_contact="13912345678")
    db.session.commit()
    return {
        "office": office,
        "unit": unit,
        "supervisor": supervisor,
        "other": factory.user(Role.supervisor, other_office),
        "responder": factory.user(Role.responder, unit),
        "inspector": factory.user(Role.inspector, office),
        "admin": factory.user(Role.admin, office),
        "clue": clue,
    }


def upload(client, csrf, clue, *paths):
    files = [(open(p, "rb"), p.name) for p in paths]  # noqa: SIM115 - closed by the client
    return client.post(
        f"/console/clues/{clue.id}/attachments",
        data={"csrf_token": csrf, "photos": files},
        content_type="multipart/form-data",
    )


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


def test_a_photo_is_kept_processed_and_shown_on_the_clue(client, auth, desk):
    clue = desk["clue"]
    csrf = login(client, auth, desk["supervisor"])
    response = upload(client, csrf, clue, JPEG)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    photo = db.session.scalars(select(Photo)).one()
    assert (photo.parent_type, photo.parent_id) == (PhotoParent.clue, clue.id)
    assert photo.plan_id is None and photo.created_by_id == desk["supervisor"].id
    evidence_ops.process_photo_content(photo.id)
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).content_status == ContentStatus.stored
    page = client.get(f"/console/clues/{clue.id}").get_data(as_text=True)
    assert f"/console/photos/{photo.id}/thumbnail" in page and "上传附件" in page
    thumb = client.get(f"/console/photos/{photo.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    # The evidence page does not list clue attachments (they belong on the clue's page).
    evidence = client.get("/console/evidence").get_data(as_text=True)
    assert str(photo.id) not in evidence


def test_refused_uploads_keep_nothing(client, auth, desk):
    clue = desk["clue"]
    csrf = login(client, auth, desk["supervisor"])
    nothing = client.post(f"/console/clues/{clue.id}/attachments", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "请选择要上传的照片" in nothing.get_data(as_text=True)
    not_image = upload(client, csrf, clue, PHOTOS / "README.md")
    assert not_image.status_code == 422
    assert "不支持的文件类型" in not_image.get_data(as_text=True)
    assert count() == 0


def test_only_the_offices_supervisors_see_a_clue_photo(client, auth, desk, factory):
    photo = factory.photo(
        desk["supervisor"], PhotoParent.clue, desk["clue"].id, content_status=ContentStatus.stored
    )
    db.session.commit()
    login(client, auth, desk["supervisor"])
    assert (
        client.get(f"/api/photos/{photo.id}", headers=auth.headers(desk["supervisor"])).status_code
        == 200
    )
    for who in ("other", "responder", "inspector", "admin"):
        headers = auth.headers(desk[who])
        assert client.get(f"/api/photos/{photo.id}", headers=headers).status_code == 404, who
    for who in ("other", "admin"):  # the console's photo route (supervisors and admins)
        login(client, auth, desk[who])
        answer = client.get(f"/console/photos/{photo.id}/thumbnail")
        assert answer.status_code == 404, who
    login(client, auth, desk["responder"])
    assert client.get(f"/console/unit/photos/{photo.id}/thumbnail").status_code == 404
    # Another office's attachment upload route: the clue does not exist for them.
    csrf = login(client, auth, desk["other"])
    assert upload(client, csrf, desk["clue"], JPEG).status_code == 404


def test_no_device_ever_pulls_a_clue_photo(client, auth, desk, factory):
    """Not its author's device, not an admin's, not the office's inspectors' (their plan's
    photos come through), whether the photo was there before the first pull or added
    between pulls."""
    plan = factory.plan(
        desk["office"], desk["supervisor"], status=PlanStatus.active, team=[desk["inspector"]]
    )
    devices = [Device(client, auth, desk[who]) for who in ("supervisor", "admin", "inspector")]
    before = factory.photo(desk["supervisor"], PhotoParent.clue, desk["clue"].id)
    db.session.commit()
    first = [of(d.pull(), "photo") for d in devices]
    finding = factory.finding(plan, desk["inspector"])
    after = factory.photo(desk["supervisor"], PhotoParent.clue, desk["clue"].id)
    field = factory.photo(desk["inspector"], PhotoParent.finding, finding.id, plan.id)
    db.session.commit()
    later = [of(d.pull(), "photo") for d in devices]
    for pulled in first + later:
        assert str(before.id) not in pulled and str(after.id) not in pulled
    assert str(field.id) in later[2]  # the feed works: the inspector's own photo arrives


def test_a_device_cannot_push_a_photo_onto_a_clue(client, auth, desk):
    device = Device(client, auth, desk["supervisor"])
    [result] = device.push(
        mutation("photo", photo_data(str(desk["clue"].id), b"jpeg bytes", parent_type="clue"))
    )
    assert result["status"] == "rejected"
    assert result["errors"]["code"] == "validation_error"
    assert result["errors"]["fields"]["parent_type"] == ["线索附件不能从设备提交"]
    assert count() == 0


def test_the_clue_operations_never_see_the_photo_on_the_unit_side(client, auth, desk, factory):
    """Forwarding a clue with attachments tells the unit nothing of them."""
    factory.photo(desk["supervisor"], PhotoParent.clue, desk["clue"].id)
    ops.forward_clue(desk["clue"], {"unit_id": desk["unit"].id}, desk["supervisor"])
    db.session.commit()
    pulled = of(Device(client, auth, desk["responder"]).pull(), "photo")
    assert pulled == {}
