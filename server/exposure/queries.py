"""Reads of exposure copies for pages and for other domains.

`published_copy_url(photo_id)` and `published_copy_file(photo_id)` are what other domains
use (bulletins show the typical problems' photos with them): the console URL, or the file,
of the photo's published exposure copy, or None when it has none. The URL is served only
to those who may see the copy (server/exposure/access.py): the office, its government's
leaders and the units it issued items to; never the photo itself, which stays evidence."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from server.evidence.storage import evidence_storage
from server.exposure.access import eligible_clause, published_clause
from server.extensions import db
from server.models import (
    ExposureCopy,
    ExposureStatus,
    Photo,
    Rectification,
    RectificationStatus,
    User,
    rectification_finding,
)

LIST_LIMIT = 100


def published_copy_id(photo_id: uuid.UUID) -> uuid.UUID | None:
    return db.session.scalar(
        select(ExposureCopy.id)
        .where(ExposureCopy.photo_id == photo_id, ExposureCopy.status == ExposureStatus.published)
        .order_by(ExposureCopy.published_at.desc())
        .limit(1)
    )


def published_copy_file(photo_id: uuid.UUID) -> Path | None:
    """The file of `photo_id`'s published exposure copy (blurred, no metadata), or None."""
    copy_id = published_copy_id(photo_id)
    copy = db.session.get(ExposureCopy, copy_id) if copy_id else None
    if copy is None or not copy.file_path:
        return None
    path = evidence_storage().local_path(copy.file_path)
    return Path(path) if os.path.isfile(path) else None


def published_copy_url(photo_id: uuid.UUID) -> str | None:
    """The console URL of `photo_id`'s published exposure copy (a JPEG), or None."""
    copy_id = published_copy_id(photo_id)
    return url_for("exposure_pages.copy_image", copy_id=copy_id) if copy_id else None


def office_copies(user: User) -> list[ExposureCopy]:
    return list(
        db.session.scalars(
            select(ExposureCopy)
            .where(ExposureCopy.office_unit_id == user.unit_id)
            .order_by(ExposureCopy.created_at.desc())
            .limit(LIST_LIMIT)
        )
    )


def candidate_photos(user: User) -> list[Photo]:
    """Problem photos behind the office's issued items that have no active copy yet."""
    active = select(ExposureCopy.photo_id).where(
        ExposureCopy.office_unit_id == user.unit_id,
        ExposureCopy.status.in_((ExposureStatus.draft, ExposureStatus.published)),
    )
    return list(
        db.session.scalars(
            select(Photo)
            .where(eligible_clause(user), Photo.id.not_in(active))
            .order_by(Photo.captured_at.desc())
            .limit(LIST_LIMIT)
        )
    )


def published_copies(user: User) -> list[ExposureCopy]:
    return list(
        db.session.scalars(
            select(ExposureCopy)
            .where(published_clause(user))
            .order_by(ExposureCopy.published_at.desc())
            .limit(LIST_LIMIT)
        )
    )


def item_labels(photo_ids) -> dict:
    """photo id -> "code title" of an issued item made from its finding (the public label:
    no inspector, no plan)."""
    ids = list(photo_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Photo.id, Rectification.code, Rectification.title)
        .join(rectification_finding, rectification_finding.c.finding_id == Photo.parent_id)
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(Photo.id.in_(ids), Rectification.status != RectificationStatus.draft)
        .order_by(Rectification.code)
    )
    labels: dict = {}
    for photo_id, code, title in rows:
        labels.setdefault(photo_id, f"{code} {title}")
    return labels
