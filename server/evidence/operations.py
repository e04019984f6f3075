"""Turning an arrived original into evidence: EXIF, upright copies, the watermarked
evidence copy and the public copy, made in a child process (bounded time and memory), then
the field-truth checks again with EXIF as a second witness.

content_status: pending → (upload verified) processing → stored, or invalid with a reason.
The original is kept byte for byte in every case."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from server.audit import record_event
from server.evidence.checks import evaluate_photo, photo_site
from server.evidence.imaging import Caption, ImageRefused
from server.evidence.worker import process_in_subprocess
from server.extensions import db
from server.field.cache import cached_get
from server.field.rectification import refresh_visits_showing
from server.field.registry import note_changed
from server.models import ContentStatus, Photo, Plan, User, utcnow
from server.settings import get_setting
from server.timeutil import CHINA
from server.transaction import after_commit

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None


def storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def schedule_processing(photo_id: uuid.UUID) -> None:
    """After this request commits, process the photo (inline, or on the worker pool)."""
    app = current_app._get_current_object()

    def run() -> None:
        # The upload is already committed: a failure here must neither turn its response
        # into a 500 nor vanish in a thread. The photo stays `processing` and
        # `flask evidence process` picks it up again.
        with app.app_context():
            try:
                process_photo_content(photo_id)
            except Exception:
                db.session.rollback()
                log.exception("processing photo %s failed; left in processing", photo_id)

    if app.config["PHOTO_PROCESSING"] == "inline":
        after_commit(run)
    else:
        after_commit(lambda: _executor().submit(run))


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="photo")
    return _pool


def process_photo_content(photo_id: uuid.UUID) -> None:
    """Process one photo in `processing`; commits its own transaction."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.content_status != ContentStatus.processing:
        return
    out_dir = Path("derived") / photo.captured_at.strftime("%Y/%m") / str(photo.id)
    (storage_root() / out_dir).mkdir(parents=True, exist_ok=True)
    exif_time = None
    try:
        result = process_in_subprocess(
            storage_root() / photo.storage_path,
            storage_root() / out_dir,
            caption_for(photo),
            max_pixels=get_setting("photo_max_megapixels") * 1_000_000,
            timeout_s=current_app.config["PHOTO_PROCESSING_TIMEOUT_S"],
            memory_bytes=current_app.config["PHOTO_PROCESSING_MEMORY_BYTES"],
        )
    except ImageRefused as refused:
        photo.content_status = ContentStatus.invalid
        photo.content_error = refused.message
        record_event("photo.invalid", "photo", photo.id, code=refused.code)
    else:
        exif = result.exif
        exif_time = _aware(exif.taken_at)
        photo.exif_lat, photo.exif_lon, photo.exif_altitude = exif.lat, exif.lon, exif.altitude
        photo.exif_taken_at = exif.taken_at.isoformat() if exif.taken_at else None
        photo.exif_make, photo.exif_model = _short(exif.make), _short(exif.model)
        photo.exif_orientation = exif.orientation
        photo.width, photo.height, photo.image_format = result.width, result.height, result.format
        photo.derived = {
            name: str(out_dir / getattr(result, name))
            for name in ("thumbnail", "display", "evidence", "public")
        }
        photo.content_status = ContentStatus.stored
        photo.content_error = None
        record_event("photo.processed", "photo", photo.id, flags=photo.flags)
    photo.processed_at = utcnow()
    for neighbour in evaluate_photo(db.session, photo, exif_time):
        note_changed("photo", neighbour)
    note_changed("photo", photo)
    if photo.content_status == ContentStatus.stored:
        refresh_visits_showing(db.session, photo)
    db.session.commit()


def process_pending(limit: int = 100) -> int:
    """Process photos left in `processing` (a crash, a restart): `flask evidence process`."""
    ids = list(
        db.session.scalars(
            select(Photo.id).where(Photo.content_status == ContentStatus.processing).limit(limit)
        )
    )
    for photo_id in ids:
        process_photo_content(photo_id)
    return len(ids)


def caption_for(photo: Photo) -> Caption:
    plan = cached_get(db.session, Plan, photo.plan_id) if photo.plan_id else None
    site = photo_site(db.session, photo)
    inspector = db.session.get(User, photo.created_by_id)
    return Caption(
        captured_at=photo.captured_at,
        lat=photo.lat,
        lon=photo.lon,
        accuracy_m=photo.accuracy_m,
        site_name=site.name if site else "(未关联点位)",
        plan_code=plan.code if plan else "",
        inspector_name=inspector.display_name,
        sha256=photo.sha256,
    )


def _aware(value: datetime | None) -> datetime | None:
    """EXIF times without an offset are the camera's local time: China Standard Time here."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


def _short(value: str | None) -> str | None:
    return value[:80] if value else value
