"""The bulletin's rules: create a draft for a month, edit it and its typical problems,
review (freezes figures, ranking and typical problems), publish, reopen a reviewed draft,
correct a published one (a new version). Each step is on the audit trail; operations
flush, the request commits."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select

from server.audit import changes_between, record_event
from server.bulletins import figures
from server.bulletins.access import refuse_unless_draft
from server.errors import ApiError, conflict, not_found
from server.extensions import db
from server.models import (
    Bulletin,
    BulletinStatus,
    Photo,
    PhotoParent,
    Rectification,
    RectificationStatus,
    Unit,
    User,
    rectification_finding,
    utcnow,
)
from server.rectification import queries as items
from server.timeutil import local_today

TYPICAL_MAX = 10  # typical problems in one bulletin: a page, not a policy number
PHOTOS_MAX = 4  # photos per typical problem
EDITABLE = ("doc_number", "title", "summary")


def refused(field: str, message: str, status: int = 422) -> ApiError:
    """A refusal shown next to the form's field."""
    code = "validation_error" if status == 422 else "bulletin_exists"
    return ApiError(status, code, message, {"fields": {field: [message]}})


def proposed_number(year: int, month: int, version: int = 1) -> str:
    """The office's usual 文号 for the month; a correction says so."""
    number = f"督通〔{year}〕{month}号"
    return number if version == 1 else f"{number}(更正{version - 1})"


def default_title(office: Unit, year: int, month: int) -> str:
    return f"{office.name}关于{year}年{month}月督查整改情况的通报"


def create(user: User, year: int, month: int, doc_number: str = "", title: str = "") -> Bulletin:
    """A draft for the month; a month already begun is refused (a correction is the way to
    change a published one)."""
    taken = db.session.scalar(
        select(func.count()).where(
            Bulletin.office_unit_id == user.unit_id,
            Bulletin.year == year,
            Bulletin.month == month,
        )
    )
    if taken:
        raise ApiError(
            409,
            "bulletin_exists",
            f"{year}年{month}月的通报已存在",
            {"fields": {"month": ["该月通报已存在"]}},
        )
    office = db.session.get(Unit, user.unit_id)
    bulletin = Bulletin(
        office_unit_id=office.id,
        year=year,
        month=month,
        doc_number=doc_number or proposed_number(year, month),
        title=title or default_title(office, year, month),
        summary="",
        typical=[],
        created_by_id=user.id,
    )
    db.session.add(bulletin)
    db.session.flush()
    record_event("bulletin.created", "bulletin", bulletin.id, user.id, year=year, month=month)
    return bulletin


def edit(user: User, bulletin: Bulletin, values: dict) -> None:
    refuse_unless_draft(bulletin)
    before = {k: getattr(bulletin, k) for k in EDITABLE}
    for key in EDITABLE:
        if key in values:
            setattr(bulletin, key, values[key])
    changed = changes_between(before, {k: getattr(bulletin, k) for k in EDITABLE})
    if changed:
        db.session.flush()
        record_event("bulletin.edited", "bulletin", bulletin.id, user.id, changes=changed)


def candidate_items(user: User, bulletin: Bulletin) -> list[Rectification]:
    """The items a typical problem may be chosen from: the office's issued items that were
    issued in the month or were still open at its end (never a draft)."""
    start, end = figures.month_span(bulletin.year, bulletin.month)
    in_month = items.between_days(Rectification.issued_at, start, end)
    query = (
        select(Rectification)
        .where(
            Rectification.office_unit_id == bulletin.office_unit_id,
            Rectification.status != RectificationStatus.draft,
            or_(Rectification.status != RectificationStatus.closed, and_(*in_month)),
            *items.between_days(Rectification.issued_at, None, end),
        )
        .order_by(Rectification.code)
    )
    return list(db.session.scalars(query))


def public_photos(user: User, item: Rectification) -> list[Photo]:
    """The problem photos (of the findings behind the office's item) that have a public
    copy: no metadata, no inspector, no caption (server/evidence/imaging)."""
    if item.office_unit_id != user.unit_id:
        return []
    link = rectification_finding
    photos = db.session.scalars(
        select(Photo)
        .join(link, link.c.finding_id == Photo.parent_id)
        .where(
            link.c.rectification_id == item.id,
            Photo.parent_type == PhotoParent.finding,
            Photo.deleted_at.is_(None),
        )
        .order_by(Photo.captured_at)
    )
    return [p for p in photos if (p.derived or {}).get("public")]


def add_typical(user: User, bulletin: Bulletin, item_id: uuid.UUID, text: str, photo_ids) -> None:
    refuse_unless_draft(bulletin)
    item = next((i for i in candidate_items(user, bulletin) if i.id == item_id), None)
    if item is None:
        raise ApiError(
            422,
            "validation_error",
            "请选择本月的整改事项",
            {"fields": {"item_id": ["请选择本月的整改事项"]}},
        )
    if len(bulletin.typical) >= TYPICAL_MAX:
        raise conflict(f"典型问题最多 {TYPICAL_MAX} 个", "too_many")
    allowed = {str(p.id) for p in public_photos(user, item)}
    chosen = [str(p) for p in photo_ids if str(p) in allowed][:PHOTOS_MAX]
    if len(chosen) != len({str(p) for p in photo_ids}):
        raise refused("photo_ids", f"请从该事项的照片中选择,最多 {PHOTOS_MAX} 张")
    entry = {"item_id": str(item.id), "text": text, "photo_ids": chosen}
    bulletin.typical = [*bulletin.typical, entry]
    db.session.flush()
    record_event(
        "bulletin.edited", "bulletin", bulletin.id, user.id, typical_added=entry["item_id"]
    )


def remove_typical(user: User, bulletin: Bulletin, index: int) -> None:
    refuse_unless_draft(bulletin)
    if not 0 <= index < len(bulletin.typical):
        raise not_found("典型问题不存在")
    removed = bulletin.typical[index]
    bulletin.typical = [t for n, t in enumerate(bulletin.typical) if n != index]
    db.session.flush()
    record_event(
        "bulletin.edited", "bulletin", bulletin.id, user.id, typical_removed=removed["item_id"]
    )


def resolved_typical(bulletin: Bulletin) -> list[dict]:
    """The typical problems with what a reader needs (code, title, unit), as frozen."""
    ids = [uuid.UUID(t["item_id"]) for t in bulletin.typical]
    found = {
        i.id: i for i in db.session.scalars(select(Rectification).where(Rectification.id.in_(ids)))
    }
    out = []
    for entry in bulletin.typical:
        item = found.get(uuid.UUID(entry["item_id"]))
        if item is None or item.status == RectificationStatus.draft:
            continue
        out.append(
            {
                **entry,
                "code": item.code,
                "title": item.title,
                "unit": item.unit.name,
                "problem": item.problem,
            }
        )
    return out


def review(user: User, bulletin: Bulletin) -> None:
    """Freeze the figures, ranking, lists and typical problems as they are today."""
    refuse_unless_draft(bulletin)
    office = db.session.get(Unit, bulletin.office_unit_id)
    frozen = figures.compute(user, bulletin.year, bulletin.month, local_today())
    frozen.update(office=office.name, typical=resolved_typical(bulletin))
    bulletin.frozen = frozen
    bulletin.status = BulletinStatus.reviewed
    bulletin.reviewed_by_id, bulletin.reviewed_at = user.id, utcnow()
    db.session.flush()
    record_event("bulletin.reviewed", "bulletin", bulletin.id, user.id, as_of=frozen["as_of"])


def reopen(user: User, bulletin: Bulletin) -> None:
    """A reviewed bulletin back to a draft (its frozen figures dropped)."""
    if bulletin.status != BulletinStatus.reviewed:
        raise conflict("只有已审核、未发布的通报可以退回草稿")
    bulletin.status, bulletin.frozen = BulletinStatus.draft, None
    bulletin.reviewed_by_id = bulletin.reviewed_at = None
    db.session.flush()
    record_event("bulletin.reopened", "bulletin", bulletin.id, user.id)


def publish(user: User, bulletin: Bulletin) -> None:
    if bulletin.status != BulletinStatus.reviewed:
        raise conflict("通报须先审核再发布")
    bulletin.status = BulletinStatus.published
    bulletin.published_by_id, bulletin.published_at = user.id, utcnow()
    db.session.flush()
    record_event(
        "bulletin.published", "bulletin", bulletin.id, user.id, doc_number=bulletin.doc_number
    )


def correct(user: User, bulletin: Bulletin) -> Bulletin:
    """A correction of a published bulletin: the next version, a draft with its texts."""
    if bulletin.status != BulletinStatus.published:
        raise conflict("只有已发布的通报可以更正")
    latest = db.session.scalar(
        select(func.max(Bulletin.version)).where(
            Bulletin.office_unit_id == bulletin.office_unit_id,
            Bulletin.year == bulletin.year,
            Bulletin.month == bulletin.month,
        )
    )
    if latest != bulletin.version:
        raise conflict("该通报已有更正版")
    version = bulletin.version + 1
    new = Bulletin(
        office_unit_id=bulletin.office_unit_id,
        year=bulletin.year,
        month=bulletin.month,
        version=version,
        previous_id=bulletin.id,
        doc_number=proposed_number(bulletin.year, bulletin.month, version),
        title=bulletin.title,
        summary=bulletin.summary,
        typical=list(bulletin.typical),
        created_by_id=user.id,
    )
    db.session.add(new)
    db.session.flush()
    record_event(
        "bulletin.created", "bulletin", new.id, user.id, corrects=str(bulletin.id), version=version
    )
    return new


def successor(bulletin: Bulletin) -> Bulletin | None:
    return db.session.scalar(select(Bulletin).where(Bulletin.previous_id == bulletin.id))
