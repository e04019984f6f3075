"""Who may see and act on a rectification item: the one place that decides it, for the
API, the console, the ledger's counts and the pull feed, in three forms that
tests/unit/test_access_agreement.py checks against each other: `can_see` (one item),
`visible_clause` (SQL, for lists and counts) and `audience` (the change log's tags).

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
from server.sync_api.principal import ADMINS, office_tag, unit_tag, user_tag

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


def can_see(user: User, item: Rectification, session=None) -> bool:
    """The Python form of `visible_clause`."""
    if user.role == Role.admin:
        return True
    if user.role == Role.supervisor:
        return item.office_unit_id == user.unit_id
    if item.status == RectificationStatus.draft:
        return False
    if user.role == Role.responder:
        return item.unit_id == user.unit_id
    if user.role == Role.leader:
        return item.lead_official_id == user.id
    return user.id in inspector_ids(session or db.session, item.id)


def audience(session, item: Rectification) -> frozenset[str]:
    """Whose devices hear of a change to the item (the pull checks `can_see` again)."""
    tags = {ADMINS, office_tag(item.office_unit_id)}
    if item.status != RectificationStatus.draft:
        tags.add(unit_tag(item.unit_id))
        if item.lead_official_id:
            tags.add(user_tag(item.lead_official_id))
        tags |= {user_tag(i) for i in inspector_ids(session, item.id)}
    return frozenset(tags)


def inspector_ids(session, item_id) -> set:
    """The inspectors sent back to verify the item, while their visit is open."""
    return set(
        session.scalars(
            select(Verification.inspector_id).where(
                Verification.rectification_id == item_id,
                Verification.status.in_(ACTIVE_VERIFICATION),
                Verification.inspector_id.is_not(None),
            )
        )
    )


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
