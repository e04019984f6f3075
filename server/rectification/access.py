"""Who may see and act on a rectification item: the one place that decides it, for the
API, the console, the ledger's counts and the pull feed, in three forms that
tests/unit/test_access_agreement.py checks against each other: `can_see` (one item),
`visible_clause` (SQL, for lists and counts) and `audience` (the change log's tags).

- admins see every item; supervisors see their office's items (drafts included);
- a responder sees the issued items of their own unit, nothing of any other unit;
- a leader sees the issued items they lead (牵头领导) and the issued 挂牌督办 (listed)
  items of the offices of their government (the office's parent unit);
- an inspector sees the items they are sent back to verify, while that visit is open.

Verifications (回头看) are unannounced: the inspected unit never sees them, nor the plans
behind an item. Anyone else is told the item does not exist, as for an unknown id."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import selectinload

from server.errors import ApiError, not_found
from server.extensions import db
from server.models import (
    Photo,
    PhotoParent,
    ProgressReport,
    Rectification,
    RectificationStatus,
    Role,
    Unit,
    UnitKind,
    User,
    Verification,
    VerificationStatus,
    rectification_finding,
)
from server.search import unindexed
from server.sync_api.cache import cached_get
from server.sync_api.principal import ADMINS, government_tag, office_tag, unit_tag, user_tag

NOT_FOUND = "整改事项不存在"
ACTIVE_VERIFICATION = (VerificationStatus.assigned, VerificationStatus.reported)
DRAFT = RectificationStatus.draft
# A device's change to a visit that was decided or cancelled meanwhile.
ENDED = "verification_ended"
ENDED_MESSAGE = "该复查已结束(督查室已作出结论或已撤销)"


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
        return issued & _leader_clause(user)
    sent_back = exists().where(
        Verification.rectification_id == Rectification.id,
        Verification.inspector_id == user.id,
        Verification.status.in_(ACTIVE_VERIFICATION),
    )
    return issued & sent_back


def _leader_clause(user: User):
    """The offices are read first (a handful of ids): with a subquery in the OR, neither
    database reads the lead official's items from their index."""
    offices = db.session.scalars(
        select(Unit.id).where(Unit.parent_id == user.unit_id, Unit.kind == UnitKind.office)
    ).all()
    led = Rectification.lead_official_id == user.id
    if not offices:
        return led
    return led | (Rectification.listed & Rectification.office_unit_id.in_(offices))


def government_of(session, item: Rectification):
    """The government whose leaders follow the item's office's 挂牌督办 items."""
    office = cached_get(session, Unit, item.office_unit_id)
    return office.parent_id if office is not None and office.kind == UnitKind.office else None


def leader_follows(session, user: User, item: Rectification) -> bool:
    """An issued item the leader leads, or 挂牌督办 by an office of their government."""
    if item.status == DRAFT:
        return False
    if item.lead_official_id == user.id:
        return True
    return item.listed and government_of(session, item) == user.unit_id


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
        return leader_follows(session or db.session, user, item)
    return user.id in inspector_ids(session or db.session, item.id)


def audience(session, item: Rectification) -> frozenset[str]:
    """Whose devices hear of a change to the item (the pull checks `can_see` again)."""
    tags = {ADMINS, office_tag(item.office_unit_id)}
    if item.status != RectificationStatus.draft:
        tags.add(unit_tag(item.unit_id))
        if item.lead_official_id:
            tags.add(user_tag(item.lead_official_id))
        if item.listed and (government := government_of(session, item)):
            tags.add(government_tag(government))
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


# ---- photos attached to items: progress reports (the unit) and verifications (回头看) ----


def photo_item(session, photo: Photo) -> Rectification | None:
    if photo.parent_type == PhotoParent.verification:
        parent = cached_get(session, Verification, photo.parent_id)
    elif photo.parent_type == PhotoParent.progress_report:
        parent = cached_get(session, ProgressReport, photo.parent_id)
    else:
        return None
    return cached_get(session, Rectification, parent.rectification_id) if parent else None


# The copies of a finding's photo (the problem photos) a responsible unit is shown once
# the item made from it is issued: the thumbnail and the public copy, which carry neither
# caption nor metadata. The evidence copy's caption names the inspector and the plan, and
# the original keeps the camera's EXIF: the unit must not learn who came unannounced.
UNIT_COPIES = ("thumbnail", "public")


def item_photo_visible(session, user, photo: Photo, copies: bool = False) -> bool:
    """Who besides the author sees a photo attached to an item: the office; for progress
    reports, the unit too. Never the unit for a verification's photos. `copies`: the
    question is about UNIT_COPIES of a photo only (never its record), so the problem
    photos of the responder's own issued items count too."""
    if photo.parent_type == PhotoParent.finding:
        return copies and user.role == Role.responder and _own_problem(session, user, photo)
    item = photo_item(session, photo)
    if item is None:
        return False
    if user.role == Role.supervisor and item.office_unit_id == user.unit_id:
        return True
    if photo.parent_type != PhotoParent.progress_report or item.status == DRAFT:
        return False
    if user.role == Role.leader:  # the items they lead, and 挂牌督办 ones
        return leader_follows(session, user, item)
    return user.role == Role.responder and user.unit_id == item.unit_id


def _own_problem(session, user, photo: Photo) -> bool:
    """The finding behind one of the responder's issued items."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    rectification_finding.c.finding_id == photo.parent_id,
                    Rectification.id == rectification_finding.c.rectification_id,
                    Rectification.unit_id == user.unit_id,
                    Rectification.status != DRAFT,
                )
            )
        )
    )


def _own_problems_clause(user):
    findings = (
        select(rectification_finding.c.finding_id)
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(Rectification.unit_id == user.unit_id, Rectification.status != DRAFT)
    )
    return and_(Photo.parent_type == PhotoParent.finding, Photo.parent_id.in_(findings))


def item_photos_clause(user, copies: bool = False):
    """The SQL form of item_photo_visible, for a snapshot of photos (records: never
    `copies`) and for the problem photos an item page shows the unit (`copies`)."""
    if user.role == Role.supervisor:
        items = select(Rectification.id).where(Rectification.office_unit_id == user.unit_id)
        reports = select(ProgressReport.id).where(ProgressReport.rectification_id.in_(items))
        visits = select(Verification.id).where(Verification.rectification_id.in_(items))
        return or_(
            and_(Photo.parent_type == PhotoParent.progress_report, Photo.parent_id.in_(reports)),
            and_(Photo.parent_type == PhotoParent.verification, Photo.parent_id.in_(visits)),
        )
    if user.role == Role.responder:
        items = select(Rectification.id).where(
            Rectification.unit_id == user.unit_id, Rectification.status != DRAFT
        )
        reports = select(ProgressReport.id).where(ProgressReport.rectification_id.in_(items))
        own = and_(Photo.parent_type == PhotoParent.progress_report, Photo.parent_id.in_(reports))
        return or_(own, _own_problems_clause(user)) if copies else own
    if user.role == Role.leader:
        items = select(Rectification.id).where(_leader_clause(user), Rectification.status != DRAFT)
        reports = select(ProgressReport.id).where(ProgressReport.rectification_id.in_(items))
        return and_(Photo.parent_type == PhotoParent.progress_report, Photo.parent_id.in_(reports))
    return false()


def item_photo_audience(session, photo: Photo) -> set[str]:
    item = photo_item(session, photo)
    if item is None:
        return set()
    tags = {office_tag(item.office_unit_id)}
    if photo.parent_type == PhotoParent.progress_report:
        tags.add(unit_tag(item.unit_id))
        if item.lead_official_id:
            tags.add(user_tag(item.lead_official_id))
        if item.listed and (government := government_of(session, item)):
            tags.add(government_tag(government))
    return tags


def sent_to_verify(session, user, photo: Photo) -> bool:
    """An inspector sent back to an item sees the original photos of its findings."""
    if user.role != Role.inspector or photo.parent_type != PhotoParent.finding:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    rectification_finding.c.finding_id == photo.parent_id,
                    Verification.rectification_id == rectification_finding.c.rectification_id,
                    Verification.inspector_id == user.id,
                    Verification.status.in_(ACTIVE_VERIFICATION),
                )
            )
        )
    )
