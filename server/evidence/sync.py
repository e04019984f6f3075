"""Photo records as devices push and pull them (the content arrives by tus upload)."""

from __future__ import annotations

from sqlalchemy import and_, or_

from server.evidence.checks import clock_offset, evaluate_photo
from server.evidence.schemas import PhotoData, PhotoRecord
from server.models import (
    ContentStatus,
    Photo,
    PhotoParent,
    Verification,
)
from server.rectification.access import (
    ACTIVE_VERIFICATION,
    ENDED,
    ENDED_MESSAGE,
    item_photo_audience,
    item_photo_visible,
    item_photos_clause,
    sent_to_verify,
)
from server.sync_api.handlers import (
    PARENTS,
    FieldRecordHandler,
    invalid,
    load_data,
)
from sync import Rejected


def _photo_parent(ctx, values):
    """The record a new photo belongs to, if the pushing user may add photos to it."""
    model = PARENTS.get(values["parent_type"])
    if model is None:  # progress-report photos come through the unit portal
        raise invalid("parent_type", "此类照片不能从设备提交")
    parent = ctx.session.get(model, values["parent_id"])
    if model is Verification:
        own = parent is not None and parent.inspector_id == ctx.principal.id
        if own and parent.status not in ACTIVE_VERIFICATION:
            raise Rejected(ENDED, ENDED_MESSAGE, {"parent_id": ["照片所属的复查已结束"]})
        usable = own
    else:
        usable = (
            parent is not None
            and not parent.deleted_at
            and parent.created_by_id == ctx.principal.id
        )
    if not usable:
        raise invalid("parent_id", "照片所属的记录不存在")
    return parent


class PhotoHandler(FieldRecordHandler):
    name, model, schema, pulled = "photo", Photo, PhotoData, PhotoRecord
    # The job queue's bookkeeping (server/evidence/operations.py), not part of the record.
    quiet_fields = frozenset(
        {"processing_attempts", "processing_queued_at", "processing_claimed_by"}
    )

    def visible(self, session, principal, record):
        # A clue's attachment may show the reporter or their letter: never on a device,
        # not even its author's or an admin's (the desk: server/clues/access.py).
        if record.parent_type == PhotoParent.clue:
            return False
        if super().visible(session, principal, record):
            return True
        if record.plan_id is None:  # attached to a rectification item
            return item_photo_visible(session, principal.user, record)
        return sent_to_verify(session, principal.user, record)

    def audience(self, session, record):
        if record.parent_type == PhotoParent.clue:
            return frozenset()  # no device hears of it
        return super().audience(session, record) | item_photo_audience(session, record)

    def sight_clause(self, user):
        # Photos of items (progress reports, verifications) have no plan. The finding
        # photos an inspector is sent back to compare reach them inside the visit instead.
        return and_(
            Photo.parent_type != PhotoParent.clue,
            or_(super().sight_clause(user), item_photos_clause(user)),
        )

    def create(self, ctx, record_id, data):
        values = load_data(self.loader(), data, partial=False)
        max_bytes = ctx.session.info.get("upload_max_bytes")
        if max_bytes and values["size_bytes"] > max_bytes:
            raise invalid("size_bytes", f"照片超过上限 {max_bytes} 字节")
        parent = _photo_parent(ctx, values)
        photo = Photo(
            id=record_id,
            created_by_id=ctx.principal.id,
            plan_id=getattr(parent, "plan_id", None),
            client_time=ctx.client_time,
            received_at=ctx.received_at,
            device_clock_offset_s=clock_offset(ctx.device_time, ctx.received_at),
            **values,
        )
        ctx.session.add(photo)
        for neighbour in evaluate_photo(ctx.session, photo):
            ctx.changed("photo", neighbour)
        return photo

    def update(self, ctx, record, data):
        raise Rejected("immutable", "照片信息提交后不能修改")

    def delete(self, ctx, record):
        if record.content_status != ContentStatus.pending:
            raise Rejected("immutable", "照片内容已上传,作为证据不能删除")
        super().delete(ctx, record)
