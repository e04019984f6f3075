"""Where uploaded photo content goes, and the gate the tus core asks about photos."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app

from server.evidence.operations import schedule_processing
from server.evidence.storage import evidence_storage, keep_original, original_key
from server.extensions import db
from server.models import ContentStatus, Photo
from sync.registry import Principal
from sync.tus import PhotoInfo, UploadStore


def upload_store() -> UploadStore:
    """tus partial files, in the evidence storage's staging directory."""
    return UploadStore(evidence_storage().staging_dir(), current_app.config["UPLOAD_MAX_BYTES"])


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
        """Keep the verified original (immutable, private; removed again if the request
        rolls back); process it after commit. The photo's row is locked first: of two
        requests finishing the same upload at once (a PATCH and a HEAD's settle), the
        second finds the original kept and leaves it alone; it must not replace it, nor
        remove it if its own transaction rolls back."""
        photo = session.get(Photo, photo_id, with_for_update=True, populate_existing=True)
        if photo.content_status != ContentStatus.pending:
            path.unlink(missing_ok=True)
            return
        key = original_key(photo.id, photo.captured_at, photo.mime_type)
        keep_original(path, key)
        photo.storage_path = key
        photo.content_status = ContentStatus.processing
        photo.content_error = None
        db.session.flush()
        schedule_processing(photo.id)
