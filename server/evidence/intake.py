"""Photos that arrive in one request (a unit's progress report from the portal or the
API) rather than over tus: kept byte for byte like a tus upload, then the same pipeline
(server/evidence/operations.py) makes the derived copies and runs the checks."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, request

from server.errors import ApiError
from server.evidence.checks import clock_offset, evaluate_photo
from server.evidence.imaging import format_of
from server.evidence.operations import schedule_processing
from server.evidence.storage import evidence_storage, keep_original, original_key
from server.extensions import db
from server.models import ContentStatus, LocationSource, Photo, PhotoParent, User, utcnow
from server.transaction import before_first_statement, on_teardown

# The MIME type a photo is kept as, by its format sniffed from the content (the same
# check as the decoder's: an `ftyp` box only with a HEIF brand, never an MP4 or AVIF).
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
HEAD_BYTES = 64  # enough for format_of (the compatible brands of a HEIF's ftyp box)


def _mime(head: bytes, declared: str | None) -> str:
    fmt = format_of(head)
    if fmt is not None:
        return MIME_TYPES[fmt]
    raise ApiError(
        422,
        "validation_error",
        "只能上传 JPEG、PNG、WebP 或 HEIC 照片",
        {"fields": {"photos": [f"不支持的文件类型:{declared or '未知'}"]}},
    )


@dataclass
class Received:
    """A file of the request, hashed and written to the staging directory before the
    request's first database statement (so no write lock is held meanwhile)."""

    path: Path | None
    filename: str | None
    sha256: str = ""
    size: int = 0
    mime: str = ""
    refusal: ApiError | None = None  # raised when the photo is accepted


def receives_photos(field: str):
    """Mark a view whose form field `field` carries photos: they are received (hashed,
    written, sniffed) after the body is read and before the first database statement;
    the view finds them with `received_photos()`."""

    def prepare() -> None:
        files = [f for f in request.files.getlist(field) if f and f.filename]
        g.received_photos = [receive_photo(f.stream, f.filename) for f in files]
        on_teardown(_discard_unused)

    return before_first_statement(prepare)


def received_photos() -> list[Received]:
    return g.get("received_photos", [])


def _discard_unused() -> None:
    for received in g.pop("received_photos", []):
        if received.path is not None:
            received.path.unlink(missing_ok=True)  # gone already when it was accepted


def receive_photo(stream, filename: str | None) -> Received:
    """Hash and keep one file (no database); a refusal is kept to raise later."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    tmp = evidence_storage().staging_dir() / f"intake-{uuid.uuid4()}"
    digest, size, head = hashlib.sha256(), 0, b""
    received = Received(tmp, filename)
    try:
        with open(tmp, "wb") as out:
            while chunk := stream.read(1 << 20):
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, "too_large", f"照片超过上限 {limit // (1024 * 1024)} MB")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        received.sha256, received.size = digest.hexdigest(), size
        if size == 0:
            raise ApiError(
                422, "validation_error", "照片文件为空", {"fields": {"photos": ["文件为空"]}}
            )
        received.mime = _mime(head, filename)
    except ApiError as refusal:
        tmp.unlink(missing_ok=True)
        received.path, received.refusal = None, refusal
    return received


def accept_photo(
    received: Received,
    parent_type: PhotoParent,
    parent_id: uuid.UUID,
    author: User,
    lat=None,
    lon=None,
    accuracy_m=None,
) -> Photo:
    """Keep one received file as a photo of `parent_id`; processing runs after commit."""
    if received.refusal is not None:
        raise received.refusal
    photo_id, now, mime = uuid.uuid4(), utcnow(), received.mime
    key = original_key(photo_id, now, mime)
    keep_original(received.path, key)  # removed again if the request rolls back
    has_place = lat is not None and lon is not None
    photo = Photo(
        id=photo_id,
        created_by_id=author.id,
        parent_type=parent_type,
        parent_id=parent_id,
        plan_id=None,
        sha256=received.sha256,
        size_bytes=received.size,
        mime_type=mime,
        captured_at=now,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
        location_source=LocationSource.geolocation if has_place else LocationSource.none,
        capture_source="upload",
        received_at=now,
        device_clock_offset_s=clock_offset(None, now),
        storage_path=key,
        content_status=ContentStatus.processing,
    )
    db.session.add(photo)
    evaluate_photo(db.session, photo)
    db.session.flush()
    schedule_processing(photo.id)
    return photo
