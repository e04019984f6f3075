"""Where uploaded photo content goes, and the gate the tus core asks about photos."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import current_app

from server.evidence.operations import schedule_processing
from server.extensions import db
from server.models import ContentStatus, Photo
from server.sync_api.registry import note_changed
from sync.registry import Principal
from sync.tus import PhotoInfo, UploadStore

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}


def storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def upload_store() -> UploadStore:
    return UploadStore(storage_root() / "uploads", current_app.config["UPLOAD_MAX_BYTES"])


class PhotoGate:
    def photo_for_upload(self, session, principal: Principal, photo_id: uuid.UUID):
        photo = session.get(Photo, photo_id)
        if photo is None or photo.deleted_at or photo.created_by_id != principal.id:
            return None
        return PhotoInfo(
            sha256=photo.sha256,
            size_bytes=photo.size_bytes,
            stored=photo.content_status != ContentStatus.pending,
        )

    def content_arrived(self, session, principal, photo_id, path: Path) -> None:
        """Keep the verified original (immutable, private); process it after commit."""
        photo = session.get(Photo, photo_id)
        relative = (
            Path("originals")
            / photo.captured_at.strftime("%Y/%m")
            / (f"{photo.id}.{EXTENSIONS.get(photo.mime_type, 'bin')}")
        )
        target = storage_root() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        os.chmod(target, 0o440)
        _fsync_dir(target.parent)
        photo.storage_path = str(relative)
        photo.content_status = ContentStatus.processing
        photo.content_error = None
        note_changed("photo", photo)
        db.session.flush()
        schedule_processing(photo.id)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
