"""The rules of the negative list: entries (by the job or a supervisor), the unit's one
objection per entry and the office's decision. Audited; the people concerned are told
through the notification outbox. Operations flush, the request (or job) commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import update

from server.audit import record_event
from server.errors import conflict, field_error, not_found
from server.extensions import db
from server.models import (
    MANUAL,
    ObjectionStatus,
    PointsEntry,
    Rectification,
    RectificationStatus,
    Role,
    Summons,
    Unit,
    UnitKind,
    User,
    utcnow,
)
from server.rectification.notify import notify, responders_of, supervisors_of
from server.settings import get_setting

NOT_FOUND = "扣分记录不存在"


def _points_text(points: float) -> str:
    return f"{points:g}"


def add_entry(
    office_unit_id: uuid.UUID,
    unit_id: uuid.UUID,
    points: float,
    rule: str,
    occurred_on: date,
    reason: str,
    item: Rectification | None = None,
    summons: Summons | None = None,
    dedupe_key: str | None = None,
    actor: User | None = None,
) -> PointsEntry:
    entry = PointsEntry(
        office_unit_id=office_unit_id,
        unit_id=unit_id,
        year=occurred_on.year,
        occurred_on=occurred_on,
        points=points,
        rule=rule,
        rectification_id=item.id if item else None,
        summons_id=summons.id if summons else None,
        reason=reason,
        dedupe_key=dedupe_key,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        "points.recorded",
        "points_entry",
        entry.id,
        actor.id if actor else None,
        rule=rule,
        unit_id=str(unit_id),
        points=points,
        occurred_on=occurred_on.isoformat(),
        rectification_id=str(item.id) if item else None,
    )
    notify(
        responders_of(unit_id),
        "points",
        item,
        f"负面清单扣 {_points_text(-points)} 分({occurred_on.isoformat()})",
        reason,
        occasion=str(entry.id),
    )
    return entry


def add_manual(data: dict, actor: User) -> PointsEntry:
    """A supervisor's deduction, with a reason; an item named must be the unit's, issued,
    and the office's own."""
    unit = db.session.get(Unit, data["unit_id"])
    if unit is None or not unit.active or unit.kind == UnitKind.office:
        raise field_error("unit_id", "单位不存在、已停用或为督查机构")
    most = get_setting("points_manual_max")
    if data["points"] > most:
        raise field_error("points", f"单次扣分不能超过 {most} 分")
    item = None
    if data.get("rectification_id"):
        item = db.session.get(Rectification, data["rectification_id"])
        if (
            item is None
            or item.office_unit_id != actor.unit_id
            or item.unit_id != unit.id
            or item.status == RectificationStatus.draft
        ):
            raise field_error("rectification_id", "整改事项不存在或不属于该单位")
    return add_entry(
        actor.unit_id, unit.id, -data["points"], MANUAL, data["occurred_on"],
        data["reason"], item=item, actor=actor,
    )  # fmt: skip


def get_managed_entry(user: User, entry_id: uuid.UUID) -> PointsEntry:
    entry = db.session.get(PointsEntry, entry_id)
    if entry is None or user.role != Role.supervisor or entry.office_unit_id != user.unit_id:
        raise not_found(NOT_FOUND)
    return entry


def get_own_entry(user: User, entry_id: uuid.UUID) -> PointsEntry:
    entry = db.session.get(PointsEntry, entry_id)
    if entry is None or user.role != Role.responder or entry.unit_id != user.unit_id:
        raise not_found(NOT_FOUND)
    return entry


def object_to(entry: PointsEntry, text: str, actor: User) -> PointsEntry:
    """异议: once per entry, with a reason; the office is told."""
    if not text.strip():
        raise field_error("objection", "请说明异议理由")
    # One conditional UPDATE: of two objections sent at once, only one is taken.
    taken = db.session.execute(
        update(PointsEntry)
        .where(
            PointsEntry.id == entry.id,
            PointsEntry.objection_status.is_(None),
            PointsEntry.cancelled_at.is_(None),
        )
        .values(
            objection=text.strip(),
            objection_status=ObjectionStatus.pending,
            objected_by_id=actor.id,
            objected_at=utcnow(),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(entry)
    if not taken:
        raise conflict("该扣分已提出过异议或已撤销,每条记录只能提出一次", "objection_exists")
    record_event("points.objected", "points_entry", entry.id, actor.id, objection=entry.objection)
    notify(
        supervisors_of(entry.office_unit_id),
        "points_objection",
        entry.rectification,
        f"{entry.unit.name} 对 {entry.occurred_on.isoformat()} 扣分提出异议",
        entry.objection,
        occasion=str(entry.id),
    )
    return entry


def decide(entry: PointsEntry, upheld: bool, reason: str, actor: User) -> PointsEntry:
    """Upheld: the entry is cancelled (kept, no longer counted); rejected: it stands."""
    if not reason.strip():
        raise field_error("decision_reason", "请说明处理理由")
    now = utcnow()
    decided = db.session.execute(
        update(PointsEntry)
        .where(PointsEntry.id == entry.id, PointsEntry.objection_status == ObjectionStatus.pending)
        .values(
            objection_status=ObjectionStatus.upheld if upheld else ObjectionStatus.rejected,
            decided_by_id=actor.id,
            decided_at=now,
            decision_reason=reason.strip(),
            cancelled_at=now if upheld else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(entry)
    if not decided:
        raise conflict("该扣分没有待处理的异议", "no_pending_objection")
    record_event(
        "points.objection_decided",
        "points_entry",
        entry.id,
        actor.id,
        upheld=upheld,
        reason=entry.decision_reason,
    )
    verdict = "异议成立,扣分已撤销" if upheld else "异议不成立,扣分维持"
    notify(
        responders_of(entry.unit_id),
        "points_decided",
        entry.rectification,
        f"{entry.occurred_on.isoformat()} 扣分:{verdict}",
        entry.decision_reason,
        occasion=f"{entry.id}:decided",
    )
    return entry
