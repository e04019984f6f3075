"""Exposure copies: made from a problem photo's public copy, edited (blur boxes) while a
draft, rendered by a job, published once, withdrawn. Operations flush, never commit
(the request commits), except `render_copy`, the job's body, which runs outside a
request in short transactions around the image work."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from server.audit import record_event
from server.errors import conflict, field_error
from server.evidence.storage import evidence_storage
from server.exposure import blur
from server.exposure.access import eligible_photo
from server.extensions import db
from server.models import ExposureCopy, ExposureStatus, Photo, RenderState, User, utcnow
from server.settings import get_setting
from server.transaction import after_commit

log = logging.getLogger(__name__)
ACTIVE = (ExposureStatus.draft, ExposureStatus.published)


def create_copy(user: User, photo_id: uuid.UUID) -> ExposureCopy:
    """A draft copy of an eligible photo; the photo's draft or published copy if it has
    one already (one at a time per photo)."""
    photo = eligible_photo(user, photo_id)
    existing = db.session.scalar(
        select(ExposureCopy).where(
            ExposureCopy.photo_id == photo.id,
            ExposureCopy.office_unit_id == user.unit_id,
            ExposureCopy.status.in_(ACTIVE),
        )
    )
    if existing is not None:
        return existing
    copy = ExposureCopy(photo_id=photo.id, office_unit_id=user.unit_id, created_by_id=user.id)
    copy.boxes = []
    copy.revision = 0
    db.session.add(copy)
    db.session.flush()
    record_event("exposure.created", "exposure_copy", copy.id, user.id, photo_id=str(photo.id))
    _queue(copy)
    return copy


def _draft(copy: ExposureCopy) -> None:
    if copy.status != ExposureStatus.draft:
        raise conflict("已发布或已撤回的曝光副本不能再修改")


def add_box(user: User, copy: ExposureCopy, x: int, y: int, w: int, h: int) -> dict:
    _draft(copy)
    if copy.width is None or copy.height is None:
        raise conflict("照片尚未处理完成,请稍后再添加遮挡区域", "render_pending")
    smallest = get_setting("exposure_min_box_px")
    box = blur.clamp(
        {"id": uuid.uuid4().hex[:8], "x": x, "y": y, "w": w, "h": h},
        copy.width,
        copy.height,
    )
    if box is None or box["w"] < smallest or box["h"] < smallest:
        raise field_error("w", f"遮挡区域须在照片内,且宽、高不小于 {smallest} 像素")
    box.update(source="manual", kind="manual")
    copy.boxes = [*copy.boxes, box]
    _changed(user, copy, "exposure.box_added", box=box)
    return box


def remove_box(user: User, copy: ExposureCopy, box_id: str) -> None:
    _draft(copy)
    kept = [b for b in copy.boxes if b["id"] != box_id]
    if len(kept) == len(copy.boxes):
        raise field_error("box_id", "遮挡区域不存在")
    removed = next(b for b in copy.boxes if b["id"] == box_id)
    copy.boxes = kept
    _changed(user, copy, "exposure.box_removed", box=removed)


def _changed(user: User, copy: ExposureCopy, action: str, **details) -> None:
    copy.revision += 1
    db.session.flush()
    record_event(action, "exposure_copy", copy.id, user.id, revision=copy.revision, **details)
    _queue(copy)


def publish(user: User, copy: ExposureCopy) -> None:
    _draft(copy)
    if copy.render_state != RenderState.done or not copy.rendered:
        raise conflict("曝光副本尚未按当前遮挡区域生成,请等待处理完成后再发布", "render_pending")
    copy.status = ExposureStatus.published
    copy.published_by_id, copy.published_at = user.id, utcnow()
    db.session.flush()
    record_event(
        "exposure.published", "exposure_copy", copy.id, user.id, revision=copy.revision,
        file_path=copy.file_path, boxes=len(copy.boxes),
    )  # fmt: skip


def withdraw(user: User, copy: ExposureCopy) -> None:
    if copy.status != ExposureStatus.published:
        raise conflict("只有已发布的曝光副本可以撤回")
    copy.status = ExposureStatus.withdrawn
    copy.withdrawn_by_id, copy.withdrawn_at = user.id, utcnow()
    db.session.flush()
    record_event("exposure.withdrawn", "exposure_copy", copy.id, user.id)


def _queue(copy: ExposureCopy) -> None:
    from server.exposure.jobs import render_exposure_job
    from server.jobs import enqueue

    copy.render_state, copy.render_error = RenderState.queued, None
    copy.render_queued_at = utcnow()
    db.session.flush()
    copy_id = str(copy.id)
    after_commit(lambda: enqueue(render_exposure_job, copy_id))


# ---- the job's body ----


def render_copy(copy_id: uuid.UUID) -> bool:
    """Detect (once) and render the copy's current boxes. True when the copy is up to
    date; False when the boxes changed meanwhile (the caller renders again)."""
    work = _claim(copy_id)
    if work is None:
        return True
    revision, boxes, source, detect = work
    storage = evidence_storage()
    staging = storage.staging_dir() / f".exposure-{copy_id}-{revision}.jpg"
    try:
        found = [vars(b) for b in blur.detect(source)] if detect else None
        if found is not None:
            boxes = [*boxes, *(_auto(b) for b in found)]
        size = blur.render(source, boxes, staging, get_setting("exposure_blur_blocks"))
        key = f"exposure/{copy_id}/r{revision}-{uuid.uuid4().hex[:6]}.jpg"
        storage.put(staging, key)
    except Exception as error:
        staging.unlink(missing_ok=True)
        log.exception("exposure copy %s: rendering failed", copy_id)
        _fail(copy_id, f"生成失败({error.__class__.__name__})")
        return True
    return _record(copy_id, revision, found, size, key)


def _auto(box: dict) -> dict:
    return {"id": uuid.uuid4().hex[:8], **box, "source": "auto"}


def _claim(copy_id):
    copy = db.session.get(ExposureCopy, copy_id, with_for_update=True)
    photo = db.session.get(Photo, copy.photo_id) if copy is not None else None
    public = (photo.derived or {}).get("public") if photo is not None else None
    if copy is None or copy.status != ExposureStatus.draft:
        db.session.rollback()
        return None
    if copy.rendered and copy.width:  # a doubled message: nothing left to do
        copy.render_state = RenderState.done
        db.session.commit()
        return None
    if public is None:
        db.session.rollback()
        _fail(copy_id, "照片的公开副本不存在")
        return None
    copy.render_state = RenderState.running
    work = (copy.revision, list(copy.boxes), evidence_storage().local_path(public))
    detect = copy.detector_version is None
    db.session.commit()  # no transaction is held during the image work
    return (*work, detect)


def _record(copy_id, revision, found, size, key) -> bool:
    copy = db.session.get(ExposureCopy, copy_id, with_for_update=True)
    if copy is None or copy.status != ExposureStatus.draft:
        db.session.rollback()
        evidence_storage().remove(key)
        return True
    if found is not None and copy.detector_version is None:
        # The detected boxes join whatever the office added meanwhile; the file shows
        # them all only if nothing was added during the rendering.
        unchanged = copy.revision == revision
        copy.detector_version = blur.detector_version()
        copy.boxes = [*copy.boxes, *(_auto(b) for b in found)]
        copy.revision += 1
        revision = copy.revision if unchanged else -1
        record_event(
            "exposure.detected", "exposure_copy", copy.id, None,
            detector=copy.detector_version, boxes=len(found),
        )  # fmt: skip
    copy.width, copy.height = size
    current = copy.revision == revision
    old = copy.file_path
    copy.file_path, copy.rendered_revision = key, revision
    copy.render_state = RenderState.done if current else RenderState.queued
    db.session.commit()
    if old and old != key:
        evidence_storage().remove(old)
    return current


def _fail(copy_id, reason: str) -> None:
    copy = db.session.get(ExposureCopy, copy_id)
    if copy is not None:
        copy.render_state, copy.render_error = RenderState.failed, reason[:300]
    db.session.commit()


def stranded(limit: int) -> list[uuid.UUID]:
    """Drafts whose rendering was queued or running too long ago (a lost message)."""
    before = utcnow() - timedelta(seconds=current_app.config["PHOTO_REQUEUE_AFTER_S"])
    return list(
        db.session.scalars(
            select(ExposureCopy.id)
            .where(
                ExposureCopy.status == ExposureStatus.draft,
                ExposureCopy.render_state.in_((RenderState.queued, RenderState.running)),
                ExposureCopy.render_queued_at < before,
            )
            .limit(limit)
        )
    )


def source_path(copy: ExposureCopy) -> Path | None:
    """The rendered copy's file."""
    return evidence_storage().local_path(copy.file_path) if copy.file_path else None
