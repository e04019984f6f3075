"""The responsible unit sees the problem photos of its own issued items (the photos of the
findings behind them) as the copies without the inspector's identity: the thumbnail and
the public copy, never the evidence copy (its caption names the inspector and the plan),
the original or the photo's record; never another unit's, never before the item is
issued (server/rectification/access.py, UNIT_COPIES)."""

from __future__ import annotations

from server.evidence.storage import evidence_storage
from server.extensions import db
from server.models import ContentStatus, PhotoParent
from tests.api.test_console_portal import login, text
from tests.factories import Factory

COPIES = ("thumbnail", "display", "evidence", "public")


def stored_photo(finding):
    """A processed finding photo whose copies are files saying which copy they are."""
    photo = Factory().photo(
        finding.created_by,
        PhotoParent.finding,
        finding.id,
        finding.plan_id,
        content_status=ContentStatus.stored,
    )
    photo.storage_path = f"originals/{photo.id}.jpg"
    photo.derived = {name: f"derived/t/{photo.id}/{name}.jpg" for name in COPIES}
    storage = evidence_storage()
    for key in (photo.storage_path, *photo.derived.values()):
        path = storage.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.encode())
    db.session.commit()
    return photo


def get(client, url, headers=None):
    return client.get(url, headers=headers or {})


def test_the_unit_gets_the_copies_without_identity_of_its_issued_items(client, auth, rw):
    photo = stored_photo(rw.findings[0])
    draft = rw.create()  # made from findings[0], not issued yet
    mine = auth.headers(rw.responder_a)
    for variant in ("", "/thumbnail", "/public", "/original"):
        assert get(client, f"/api/photos/{photo.id}{variant}", mine).status_code == 404
    login(client, auth, rw.responder_a)
    assert get(client, f"/console/unit/photos/{photo.id}/public").status_code == 404
    assert "问题照片" not in text(client, f"/console/unit/items/{draft['id']}", expect=404)

    rw.post(rw.supervisor, f"/api/rectifications/{draft['id']}/issue")
    public = get(client, f"/api/photos/{photo.id}/public", mine)
    assert public.status_code == 200 and public.data == photo.derived["public"].encode()
    assert get(client, f"/api/photos/{photo.id}/thumbnail", mine).status_code == 200
    # The record (who took it, in which plan), the evidence copy's caption and the
    # original's EXIF stay with the office.
    for variant in ("", "/evidence", "/original", "/display"):
        assert get(client, f"/api/photos/{photo.id}{variant}", mine).status_code == 404
    portal = f"/console/unit/photos/{photo.id}"
    assert get(client, f"{portal}/public").data == photo.derived["public"].encode()
    assert get(client, f"{portal}/thumbnail").data == photo.derived["thumbnail"].encode()
    assert get(client, f"{portal}/display").status_code == 404
    page = text(client, f"/console/unit/items/{draft['id']}")
    assert "问题照片(1)" in page and f"{portal}/public" in page
    assert "/evidence" not in page and rw.inspector.display_name not in page


def test_another_unit_and_the_leader_do_not(client, auth, rw):
    photo = stored_photo(rw.findings[0])
    item = rw.issued()
    other = auth.headers(rw.responder_b)
    for variant in ("/thumbnail", "/public"):
        assert get(client, f"/api/photos/{photo.id}{variant}", other).status_code == 404
    login(client, auth, rw.responder_b)
    assert get(client, f"/console/unit/photos/{photo.id}/public").status_code == 404
    login(client, auth, rw.leader)
    assert get(client, f"/console/unit/photos/{photo.id}/public").status_code == 404
    assert "问题照片" not in text(client, f"/console/unit/items/{item['id']}")
