"""Reading evidence for a user: only what they may see; a photo they may not see is 'not
found'. Shared by the JSON API and the console pages."""

from __future__ import annotations

import uuid
from collections import defaultdict

from flask import send_file
from sqlalchemy import select

from server.clues.access import clue_photo_visible
from server.errors import ApiError, not_found
from server.evidence.storage import EXTENSIONS, evidence_storage
from server.extensions import db
from server.models import Photo, PhotoParent, User
from server.rectification.access import UNIT_COPIES, item_photo_visible
from server.sync_api.principal import principal_for
from server.sync_api.registry import registry

VARIANTS = ("thumbnail", "display", "evidence", "public")


def _visible(user: User, photo: Photo) -> bool:
    """The device rule (a photo record a device may hold), or a clue's attachment, which
    its office's supervisors see on the desk and no device ever holds."""
    if photo.parent_type == PhotoParent.clue:
        return clue_photo_visible(user, photo)
    return registry["photo"].visible(db.session, principal_for(user), photo)


def visible_photo(user: User, photo_id: uuid.UUID) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.deleted_at or not _visible(user, photo):
        raise not_found("照片不存在")
    return photo


def visible_copy(user: User, photo_id: uuid.UUID, variant: str) -> Photo:
    """A photo whose `variant` the user may have: any copy of a photo they may see, or
    one of UNIT_COPIES of a problem photo behind the responder's own issued item (whose
    record stays hidden: server/rectification/access.py says why)."""
    photo = db.session.get(Photo, photo_id)
    if photo is not None and not photo.deleted_at:
        if _visible(user, photo):
            return photo
        if variant in UNIT_COPIES and item_photo_visible(db.session, user, photo, copies=True):
            return photo
    raise not_found("照片不存在")


def inspector_names(user_ids) -> dict:
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def photo_file(photo: Photo, variant: str):
    """The original (as a download with a server-made name) or a derived JPEG copy."""
    relative = photo.storage_path if variant == "original" else (photo.derived or {}).get(variant)
    if not relative:
        raise ApiError(409, "content_pending", "照片内容尚未上传或尚未处理完成")
    path = evidence_storage().local_path(relative)
    if variant == "original":
        name = f"zhicha-photo-{photo.id}.{EXTENSIONS.get(photo.mime_type, 'bin')}"
        response = send_file(
            path, mimetype=photo.mime_type, as_attachment=True, download_name=name, max_age=0
        )
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response = send_file(path, mimetype="image/jpeg", max_age=0)
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def photos_of(parent_type: PhotoParent, parent_ids) -> dict:
    """Photo rows per parent (for thumbnails: a photo whose content is stored has them)."""
    ids = list(parent_ids)
    by_parent = defaultdict(list)
    if not ids:
        return by_parent
    query = (
        select(Photo)
        .where(
            Photo.parent_type == parent_type, Photo.parent_id.in_(ids), Photo.deleted_at.is_(None)
        )
        .order_by(Photo.captured_at)
    )
    for photo in db.session.scalars(query):
        by_parent[photo.parent_id].append(photo)
    return by_parent
