"""Who may read or edit a bulletin: the one answer for the pages, the downloads and the
photos of its typical problems.

- the office's supervisors: every version of their office's bulletins (they edit drafts);
  a draft is theirs alone (its figures are read live, in their sight);
- admins: every reviewed or published bulletin (read only);
- a leader: the reviewed and published bulletins of the offices of their government (the
  office's parent unit) and of the offices whose items they lead;
- a responder: the published bulletins of an office that has issued an item to their unit
  (月公示: the units the office supervises), never a draft or a reviewed one.
Anyone else is told it does not exist, as for an unknown id."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select

from server.errors import ApiError, not_found
from server.extensions import db
from server.models import (
    Bulletin,
    BulletinStatus,
    Rectification,
    RectificationStatus,
    Role,
    Unit,
    User,
)

NOT_FOUND = "通报不存在"
READERS = (Role.supervisor, Role.leader, Role.responder, Role.admin)


def readable_clause(user: User):
    frozen = Bulletin.status != BulletinStatus.draft
    if user.role == Role.admin:
        return frozen
    if user.role == Role.supervisor:
        return Bulletin.office_unit_id == user.unit_id
    if user.role == Role.leader:
        offices = select(Unit.id).where(Unit.parent_id == user.unit_id)
        led = exists().where(
            Rectification.office_unit_id == Bulletin.office_unit_id,
            Rectification.lead_official_id == user.id,
            Rectification.status != RectificationStatus.draft,
        )
        return frozen & (Bulletin.office_unit_id.in_(offices) | led)
    if user.role == Role.responder:
        supervised = exists().where(
            Rectification.office_unit_id == Bulletin.office_unit_id,
            Rectification.unit_id == user.unit_id,
            Rectification.status != RectificationStatus.draft,
        )
        return (Bulletin.status == BulletinStatus.published) & supervised
    return Bulletin.id.is_(None)


def get_readable(user: User, bulletin_id: uuid.UUID) -> Bulletin:
    found = db.session.scalar(
        select(Bulletin).where(Bulletin.id == bulletin_id, readable_clause(user))
    )
    if found is None:
        raise not_found(NOT_FOUND)
    return found


def get_managed(user: User, bulletin_id: uuid.UUID) -> Bulletin:
    """A bulletin of the supervisor's own office (404 for anyone else's)."""
    found = db.session.get(Bulletin, bulletin_id)
    if found is None or user.role != Role.supervisor or found.office_unit_id != user.unit_id:
        raise not_found(NOT_FOUND)
    return found


def manages(user: User, bulletin: Bulletin) -> bool:
    return user.role == Role.supervisor and bulletin.office_unit_id == user.unit_id


def refuse_unless_draft(bulletin: Bulletin) -> None:
    if bulletin.status != BulletinStatus.draft:
        raise ApiError(
            409, "bulletin_frozen", "通报已审核或已发布,不能再修改;请退回草稿或发布更正版"
        )
