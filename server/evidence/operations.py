"""Turning an arrived original into evidence: EXIF, upright copies, the watermarked
evidence copy and the public copy, made by a pre-started decoder process (bounded time
and memory), then the field-truth checks again with EXIF as a second witness.

content_status: pending → (upload verified) processing → stored, invalid with a reason
(the content was refused), or failed with a reason (processing kept failing; the
original is kept and an admin can retry: `flask evidence retry`). The original is kept
byte for byte in every case.

The photo row is the truth, the queue a hint: an upload marks the photo `processing` and
enqueues a job after commit; `sweep_stranded` re-enqueues what a lost message, a killed
worker or a queue outage left behind. A job is idempotent (same files, same rows) and
holds no transaction while the decoder works."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from server import signals
from server.audit import record_event
from server.evidence.checks import evaluate_photo, photo_site
from server.evidence.imaging import Caption, ImageRefused, Processed
from server.evidence.storage import derived_prefix, evidence_storage
from server.evidence.worker import DecoderPool
from server.extensions import db
from server.models import ContentStatus, Photo, Plan, User, utcnow
from server.settings import get_setting
from server.timeutil import CHINA
from server.transaction import after_commit

log = logging.getLogger(__name__)
_pools: dict[tuple, DecoderPool] = {}
# Errors worth another attempt: the database busy, the disk, a decoder that died.
TRANSIENT = (OperationalError, OSError)


class RetryLater(Exception):
    """This attempt failed for a passing reason; `delay_s` until the next one."""

    def __init__(self, delay_s: float, reason: str):
        super().__init__(reason)
        self.delay_s = delay_s


def schedule_processing(photo_id: uuid.UUID) -> None:
    """The photo is `processing`: note when it was queued; enqueue its job after commit
    (a queue outage leaves it to the sweeper, never fails the upload)."""
    from server.evidence.jobs import process_photo_job
    from server.jobs import enqueue

    photo = db.session.get(Photo, photo_id)
    photo.processing_queued_at = utcnow()
    after_commit(lambda: enqueue(process_photo_job, str(photo_id)))


def decoder_pool() -> DecoderPool:
    """This process's decoders (pre-started by the worker; made on first use elsewhere)."""
    cfg = current_app.config
    key = (cfg["JOBS_WORKERS"], cfg["PHOTO_PROCESSING_MEMORY_BYTES"], cfg["PHOTO_DECODER_MAX_JOBS"])
    if key not in _pools:
        _pools[key] = DecoderPool(*key)
    return _pools[key]


def process_photo_content(photo_id: uuid.UUID) -> None:
    """One attempt at a photo in `processing`, in two short transactions around the
    decoding. Raises RetryLater when a passing failure leaves attempts to spare."""
    work = _claim(photo_id)
    if work is None:
        return
    original, out_dir, caption = work
    cfg, storage = current_app.config, evidence_storage()
    try:
        result = decoder_pool().process(
            storage.local_path(original),
            storage.derived_dir(out_dir),
            caption,
            get_setting("photo_max_megapixels") * 1_000_000,
            cfg["PHOTO_PROCESSING_TIMEOUT_S"],
        )
    except ImageRefused as refused:
        if refused.code == "worker_failed":  # the decoder died: not the photo's fault
            _retry_or_fail(photo_id, f"图片处理进程异常退出({refused.reason})")
        else:
            _record(photo_id, out_dir, None, refused)
    except TRANSIENT as error:
        _retry_or_fail(photo_id, f"读写照片文件出错({error.__class__.__name__})")
    else:
        _record(photo_id, out_dir, result, None)


def consumer_id() -> str:
    """Who is working on a photo: this process on this host."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def _claimer_dead(claimed_by: str) -> bool:
    """True for a process of this host that no longer exists; others are not known."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _claimed_elsewhere(photo: Photo) -> bool:
    """Another live consumer claimed the photo within its lease (a doubled message)."""
    claimed_by = photo.processing_claimed_by
    if not claimed_by or claimed_by == consumer_id() or _claimer_dead(claimed_by):
        return False
    queued_at = photo.processing_queued_at
    return queued_at is not None and queued_at > utcnow() - _lease()


def _lease() -> timedelta:
    """How long a claim holds: the decode timeout and a minute to record the outcome."""
    return timedelta(seconds=current_app.config["PHOTO_PROCESSING_TIMEOUT_S"] + 60)


def _claim(photo_id: uuid.UUID) -> tuple[str, str, Caption] | None:
    """Count the attempt, claim the photo for this consumer and read what the decoder
    needs; None if there is nothing to do (done, claimed by another live consumer, or out
    of attempts: then the photo is `failed`)."""
    photo = db.session.get(Photo, photo_id, with_for_update=True)  # PostgreSQL: one claim
    if (
        photo is None
        or photo.content_status != ContentStatus.processing
        or _claimed_elsewhere(photo)
    ):
        db.session.rollback()
        return None
    if photo.processing_attempts >= current_app.config["PHOTO_PROCESSING_MAX_ATTEMPTS"]:
        _fail(photo, photo.content_error or "多次尝试均未完成")
        db.session.commit()
        return None
    photo.processing_attempts += 1
    photo.processing_queued_at = utcnow()
    photo.processing_claimed_by = consumer_id()
    work = photo.storage_path, derived_prefix(photo.id, photo.captured_at), caption_for(photo)
    db.session.commit()
    return work


def _retry_or_fail(photo_id: uuid.UUID, reason: str) -> None:
    """Keep the reason; raise RetryLater while attempts remain, else mark `failed`."""
    db.session.rollback()
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.content_status != ContentStatus.processing:
        db.session.rollback()
        return
    cfg = current_app.config
    attempts = photo.processing_attempts
    if attempts < cfg["PHOTO_PROCESSING_MAX_ATTEMPTS"]:
        photo.content_error = reason[:300]
        photo.processing_claimed_by = None  # the retry may run anywhere
        db.session.commit()
        log.warning("photo %s attempt %d failed (%s); retrying", photo_id, attempts, reason)
        raise RetryLater(cfg["PHOTO_PROCESSING_RETRY_S"] * 2 ** (attempts - 1), reason)
    _fail(photo, reason)
    db.session.commit()


def _fail(photo: Photo, reason: str) -> None:
    photo.content_status = ContentStatus.failed
    photo.processing_claimed_by = None
    photo.content_error = f"已尝试 {photo.processing_attempts} 次:{reason}"[:300]
    photo.processed_at = utcnow()
    record_event("photo.failed", "photo", photo.id, reason=reason[:200])


def _record(
    photo_id: uuid.UUID, out_dir: str, result: Processed | None, refused: ImageRefused | None
) -> None:
    """Write the outcome of a decoding (one short transaction)."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.content_status != ContentStatus.processing:
        db.session.rollback()  # another attempt got there first: same files, nothing to do
        return
    exif_time = None
    if refused is not None:
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
            name: f"{out_dir}/{getattr(result, name)}"
            for name in ("thumbnail", "display", "evidence", "public")
        }
        photo.content_status = ContentStatus.stored
        photo.content_error = None
        record_event("photo.processed", "photo", photo.id, flags=photo.flags)
    photo.processed_at = utcnow()
    photo.processing_claimed_by = None
    evaluate_photo(db.session, photo, exif_time)  # neighbours' flags too: the flush notes them
    if photo.content_status == ContentStatus.stored:
        signals.photo_stored.send(photo)
    db.session.commit()


def stranded(limit: int) -> list[uuid.UUID]:
    """Photos in `processing` queued longer ago than the setting (or never): their
    message was lost (a wiped queue, an outage when enqueuing, a consumer on another host
    that died)."""
    now, cfg = utcnow(), current_app.config
    since = now - timedelta(seconds=cfg["PHOTO_REQUEUE_AFTER_S"])
    lease_since = now - _lease()
    return list(
        db.session.scalars(
            select(Photo.id)
            .where(
                Photo.content_status == ContentStatus.processing,
                or_(Photo.processing_queued_at.is_(None), Photo.processing_queued_at < since),
                # one a consumer claimed is its own until the lease ends
                or_(
                    Photo.processing_claimed_by.is_(None),
                    Photo.processing_queued_at < lease_since,
                ),
            )
            .order_by(Photo.processing_queued_at)
            .limit(limit)
        )
    )


def orphaned(limit: int) -> list[uuid.UUID]:
    """Photos claimed by a consumer of this host that has died (killed mid-job): their
    job went with it. Re-enqueued at once, not after the stranded delay."""
    mine = f"{socket.gethostname()}:%"
    rows = db.session.execute(
        select(Photo.id, Photo.processing_claimed_by)
        .where(
            Photo.content_status == ContentStatus.processing,
            Photo.processing_claimed_by.like(mine),
        )
        .limit(limit)
    ).all()
    return [photo_id for photo_id, claimed_by in rows if _claimer_dead(claimed_by)]


def requeue(photo_ids: list[uuid.UUID]) -> int:
    """Enqueue these photos again (noting when, releasing their claim); returns how many."""
    from server.evidence.jobs import process_photo_job
    from server.jobs import enqueue

    if not photo_ids:
        db.session.rollback()
        return 0
    db.session.execute(
        update(Photo)
        .where(Photo.id.in_(photo_ids), Photo.content_status == ContentStatus.processing)
        .values(processing_queued_at=utcnow(), processing_claimed_by=None)
    )
    db.session.commit()
    return sum(enqueue(process_photo_job, str(photo_id)) for photo_id in photo_ids)


def retry_failed(limit: int) -> list[uuid.UUID]:
    """Failed photos back to `processing` with fresh attempts (an admin's retry)."""
    ids = _ids_in(ContentStatus.failed, limit)
    for photo_id in ids:
        photo = db.session.get(Photo, photo_id)
        photo.content_status = ContentStatus.processing
        photo.processing_attempts = 0
        photo.content_error = None
        record_event("photo.retry", "photo", photo.id)
    return ids


def process_pending(limit: int = 100) -> int:
    """Process photos left in `processing` here and now (`flask evidence process`)."""
    ids = _ids_in(ContentStatus.processing, limit)
    db.session.rollback()
    for photo_id in ids:
        # RetryLater: the reason is kept on the photo; the sweeper tries again later
        with contextlib.suppress(RetryLater):
            process_photo_content(photo_id)
    return len(ids)


def _ids_in(status: ContentStatus, limit: int) -> list[uuid.UUID]:
    query = select(Photo.id).where(Photo.content_status == status).limit(limit)
    return list(db.session.scalars(query))


def caption_for(photo: Photo) -> Caption:
    plan = db.session.get(Plan, photo.plan_id) if photo.plan_id else None
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
