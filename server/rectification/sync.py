"""Rectification items and verifications (回头看) as devices pull them.

A responder's device receives its unit's issued items; an inspector's receives the
verifications they are sent on, with the item, its site and the original photos, so the
visit can be made offline. The only push is the inspector's report on a verification.
No payload names a plan, a finding or a verification to anyone the unit could be."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

from server.errors import ApiError
from server.models import (
    ContentStatus,
    Photo,
    PhotoParent,
    Rectification,
    Role,
    Verification,
    rectification_finding,
)
from server.rectification import access
from server.rectification.access import ACTIVE_VERIFICATION, ENDED, ENDED_MESSAGE
from server.rectification.device_schemas import (
    ItemDeviceSchema,
    OriginalPhotoSchema,
    VerificationDeviceSchema,
    VerificationReportData,
)
from server.rectification.verification import report_field_visit
from server.sync_api.cache import cached_get
from server.sync_api.handlers import load_data
from server.sync_api.principal import ADMINS, office_tag, user_tag
from server.sync_api.reference import SimpleHandler
from server.sync_api.registry import note_changed
from sync import Rejected

ORIGINAL_PHOTOS = OriginalPhotoSchema(many=True)


class RectificationHandler(SimpleHandler):
    name, model, pulled = "rectification", Rectification, ItemDeviceSchema

    def visible(self, session, principal, record):
        return access.can_see(principal.user, record, session)

    def audience(self, session, record):
        return access.audience(session, record)

    def snapshot(self, session, principal, after, limit):
        query = select(Rectification).where(access.visible_clause(principal.user))
        return self._page(session, query, after, limit)


def original_photos(session, item_id) -> list[Photo]:
    """The photos of the findings an item was made from: what the inspector compares."""
    return list(
        session.scalars(
            select(Photo)
            .join(rectification_finding, rectification_finding.c.finding_id == Photo.parent_id)
            .where(
                rectification_finding.c.rectification_id == item_id,
                Photo.parent_type == PhotoParent.finding,
                Photo.deleted_at.is_(None),
                Photo.content_status == ContentStatus.stored,
            )
            .order_by(Photo.captured_at)
        )
    )


class VerificationHandler(SimpleHandler):
    name, model, pulled = "verification", Verification, VerificationDeviceSchema
    pushable = True

    def visible(self, session, principal, record):
        user = principal.user
        if user.role == Role.admin:
            return True
        if user.role == Role.supervisor:
            item = cached_get(session, Rectification, record.rectification_id)
            return item is not None and item.office_unit_id == user.unit_id
        # An inspector sees a visit only while it is theirs to make (as the snapshot does),
        # so one that was decided or cancelled leaves their device as a delete.
        return (
            user.role == Role.inspector
            and record.inspector_id == user.id
            and record.status in ACTIVE_VERIFICATION
        )

    def refusal(self, session, principal, record):
        if principal.user.role == Role.inspector and record.inspector_id == principal.id:
            return Rejected(ENDED, ENDED_MESSAGE)  # their own visit: no secret that it ended
        return super().refusal(session, principal, record)

    def audience(self, session, record):
        item = cached_get(session, Rectification, record.rectification_id)
        tags = {ADMINS, office_tag(item.office_unit_id)}
        if record.inspector_id:
            tags.add(user_tag(record.inspector_id))
        return frozenset(tags)

    def serialize(self, v):
        photos = original_photos(object_session(v), v.rectification_id)
        return {**super().serialize(v), "original_photos": ORIGINAL_PHOTOS.dump(photos)}

    def snapshot(self, session, principal, after, limit):
        user = principal.user
        query = select(Verification)
        if user.role == Role.supervisor:
            query = query.where(
                Verification.rectification_id.in_(
                    select(Rectification.id).where(Rectification.office_unit_id == user.unit_id)
                )
            )
        elif user.role == Role.inspector:
            query = query.where(
                Verification.inspector_id == user.id, Verification.status.in_(ACTIVE_VERIFICATION)
            )
        elif user.role != Role.admin:
            return []
        return self._page(session, query, after, limit)

    def create(self, ctx, record_id, data):
        raise Rejected("forbidden", "复查任务由督查室安排,不能在设备上新建")

    def delete(self, ctx, record):
        raise Rejected("forbidden", "复查任务不能删除")

    def update(self, ctx, record, data):
        values = load_data(VerificationReportData(), data, partial=True)
        try:
            report_field_visit(record, values, ctx.principal.user)
        except ApiError as error:
            raise Rejected(error.code, error.message) from None


def refresh_visits_showing(photo: Photo) -> None:
    """A finding's photo became viewable (signals.photo_stored): the open visits whose item
    was made from that finding list it among their original photos, so their devices hear
    of it."""
    if photo.parent_type != PhotoParent.finding:
        return
    visits = object_session(photo).scalars(
        select(Verification)
        .join(
            rectification_finding,
            rectification_finding.c.rectification_id == Verification.rectification_id,
        )
        .where(
            rectification_finding.c.finding_id == photo.parent_id,
            Verification.status.in_(ACTIVE_VERIFICATION),
            Verification.inspector_id.is_not(None),
        )
    )
    for visit in visits:
        note_changed("verification", visit)
