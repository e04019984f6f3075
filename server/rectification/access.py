"""Who may see and act on a rectification item: the one place that decides it.

- admins see every item; supervisors see their office's items (drafts included);
- a responder sees the issued items of their own unit, nothing of any other unit;
- a leader sees the issued items they lead (牵头领导);
- an inspector sees the items they are sent back to verify, while that visit is open.

Verifications (回头看) are unannounced: the inspected unit never sees them, nor the plans
behind an item. Anyone else is told the item does not exist, as for an unknown id."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from server.errors import ApiError, not_found
from server.extensions import db
from server.models import (
    Rectification,
    RectificationStatus,
    Role,
    User,
    Verification,
    VerificationStatus,
)
from server.search import unindexed

NOT_FOUND = "整改事项不存在"
ACTIVE_VERIFICATION = (VerificationStatus.assigned, VerificationStatus.reported)


def visible_clause(user: User, scanning: bool = False):
    """What `user` may see. `scanning`: the query reads every row anyway (a text search),
    so the office's equality must not pull SQLite onto an index (server/search.py)."""
    issued = Rectification.status != RectificationStatus.draft
    if user.role == Role.admin:
        return Rectification.id.is_not(None)
    if user.role == Role.supervisor:
        office = (
            unindexed(Rectification.office_unit_id) if scanning else Rectification.office_unit_id
        )
        return office == user.unit_id
    if user.role == Role.responder:
        return issued & (Rectification.unit_id == user.unit_id)
    if user.role == Role.leader:
        return issued & (Rectification.lead_official_id == user.id)
    sent_back = exists().where(
        Verification.rectification_id == Rectification.id,
        Verification.inspector_id == user.id,
        Verification.status.in_(ACTIVE_VERIFICATION),
    )
    return issued & sent_back


def can_see(user: User, item: Rectification) -> bool:
    return db.session.scalar(select(visible_clause(user)).where(Rectification.id == item.id))


def manages(user: User, item: Rectification) -> bool:
    return user.role == Role.supervisor and item.office_unit_id == user.unit_id


def responds(user: User, item: Rectification) -> bool:
    return (
        user.role == Role.responder
        and item.unit_id == user.unit_id
        and item.status != RectificationStatus.draft
    )


def sees_office_view(user: User, item: Rectification) -> bool:
    """The full item: source findings and plan, verifications. Never the unit's view."""
    return user.role == Role.admin or manages(user, item)


def get_visible_item(user: User, item_id: uuid.UUID) -> Rectification:
    query = (
        select(Rectification)
        .where(Rectification.id == item_id, visible_clause(user))
        .options(selectinload(Rectification.supporting_units))
    )
    item = db.session.scalar(query)
    if item is None:
        raise not_found(NOT_FOUND)
    return item


def get_managed_item(user: User, item_id: uuid.UUID) -> Rectification:
    item = get_visible_item(user, item_id)
    if not manages(user, item):
        raise ApiError(403, "forbidden", "只有本督查室的督查人员可以办理此事项")
    return item


def get_responded_item(user: User, item_id: uuid.UUID) -> Rectification:
    item = get_visible_item(user, item_id)
    if not responds(user, item):
        raise ApiError(403, "forbidden", "只有责任单位的联络员可以办理此事项")
    return item
