"""Who may make, see and act on exposure copies: the one place that decides it.

- Only a problem photo (a finding's photo, its content processed) behind an item of the
  office that is already ISSUED can get a copy: before that the plan is secret, and a
  copy must not tell anyone that the finding exists.
- The office's supervisors make, edit, publish and withdraw its copies and see them in
  every state; a draft or a withdrawn copy is seen by nobody else.
- A published copy is seen by the office's units: the office itself, its government
  (the leaders), and every unit the office has issued an item to. Admins see all.
Anyone else is told the copy does not exist, as for an unknown id."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select

from server.errors import not_found
from server.extensions import db
from server.models import (
    ContentStatus,
    ExposureCopy,
    ExposureStatus,
    Photo,
    PhotoParent,
    Rectification,
    RectificationStatus,
    Role,
    Unit,
    User,
    rectification_finding,
)

NOT_FOUND = "曝光副本不存在"
PHOTO_NOT_FOUND = "照片不存在"


def issued_for_office(office_id: uuid.UUID):
    """SQL: the photo's finding is behind an issued item of the office."""
    return exists().where(
        rectification_finding.c.finding_id == Photo.parent_id,
        Rectification.id == rectification_finding.c.rectification_id,
        Rectification.office_unit_id == office_id,
        Rectification.status != RectificationStatus.draft,
    )


def eligible_clause(user: User):
    """Photos the supervisor may make an exposure copy of."""
    return (
        (Photo.parent_type == PhotoParent.finding)
        & Photo.deleted_at.is_(None)
        & (Photo.content_status == ContentStatus.stored)
        & issued_for_office(user.unit_id)
    )


def eligible_photo(user: User, photo_id: uuid.UUID) -> Photo:
    photo = None
    if user.role == Role.supervisor:
        photo = db.session.scalar(select(Photo).where(Photo.id == photo_id, eligible_clause(user)))
    if photo is None or not (photo.derived or {}).get("public"):
        raise not_found(PHOTO_NOT_FOUND)
    return photo


def manages(user: User, copy: ExposureCopy) -> bool:
    return user.role == Role.supervisor and copy.office_unit_id == user.unit_id


def published_clause(user: User):
    """SQL: the published copies `user` may see."""
    published = ExposureCopy.status == ExposureStatus.published
    if user.role == Role.admin:
        return published
    government = select(Unit.parent_id).where(Unit.id == ExposureCopy.office_unit_id)
    issued_to = exists().where(
        Rectification.office_unit_id == ExposureCopy.office_unit_id,
        Rectification.unit_id == user.unit_id,
        Rectification.status != RectificationStatus.draft,
    )
    return published & or_(
        ExposureCopy.office_unit_id == user.unit_id,
        government.scalar_subquery() == user.unit_id,
        issued_to,
    )


def get_managed_copy(user: User, copy_id: uuid.UUID) -> ExposureCopy:
    copy = db.session.get(ExposureCopy, copy_id)
    if copy is None or not manages(user, copy):
        raise not_found(NOT_FOUND)
    return copy


def get_visible_copy(user: User, copy_id: uuid.UUID) -> ExposureCopy:
    """Managed copies in any state; published ones in the user's scope."""
    copy = db.session.get(ExposureCopy, copy_id)
    if copy is not None and manages(user, copy):
        return copy
    found = db.session.scalar(
        select(ExposureCopy).where(ExposureCopy.id == copy_id, published_clause(user))
    )
    if found is None:
        raise not_found(NOT_FOUND)
    return found
