"""Verification (复查 / 回头看). A supervisor checks at the desk, or sends an inspector back
to the site unannounced: the visit reaches the inspector's field app with the item's
problem, site and original photos; the inspector reports (with "after" photos) and a
supervisor decides. Pass → closed (销号); fail → returned with the reason.

The inspected unit never sees a verification: it learns only the decision."""

from __future__ import annotations

from sqlalchemy import select

from server.audit import record_event
from server.errors import ApiError, conflict, field_error
from server.extensions import db
from server.models import (
    OPEN_FOR_RECHECK,
    Rectification,
    RectificationStatus,
    Role,
    User,
    Verification,
    VerificationMethod,
    VerificationStatus,
    utcnow,
)
from server.rectification.access import ACTIVE_VERIFICATION
from server.rectification.workflow import close_item, return_item
from server.sync_api.registry import audience_of, note_changed

V = VerificationStatus


def verifications_of(item: Rectification) -> list[Verification]:
    return list(
        db.session.scalars(
            select(Verification)
            .where(Verification.rectification_id == item.id)
            .order_by(Verification.created_at)
        )
    )


def _active(item: Rectification) -> Verification | None:
    return next((v for v in verifications_of(item) if v.status in ACTIVE_VERIFICATION), None)


def assign_field_verification(item: Rectification, data: dict, actor: User) -> Verification:
    if item.status not in OPEN_FOR_RECHECK:  # issued and not closed
        raise conflict("只有已交办且未销号的事项可以安排复查")
    if _active(item) is not None:
        raise conflict("该事项已有进行中的复查", "verification_open")
    inspector = db.session.get(User, data["inspector_id"])
    if inspector is None or not inspector.active or inspector.role != Role.inspector:
        raise field_error("inspector_id", "复查人员须为在用的督查人员账号")
    if inspector.unit_id == item.unit_id:
        raise field_error("inspector_id", "复查人员不能来自被督查的责任单位")
    before = audience_of("rectification", item)  # read before the visit exists
    verification = Verification(
        rectification_id=item.id,
        method=VerificationMethod.field,
        status=V.assigned,
        assigned_by_id=actor.id,
        inspector_id=inspector.id,
        instructions=data.get("instructions", ""),
    )
    db.session.add(verification)
    db.session.flush()
    _audit("assigned", verification, actor, inspector_id=str(inspector.id))
    # The inspector can now see the item: it reaches their device with the visit. Only
    # who sees it changed: the unit and its leader must not hear that anything moved.
    note_changed("rectification", item, before, sight_only=True)
    return verification


def cancel_verification(item: Rectification, verification: Verification, actor: User) -> None:
    _own(item, verification)
    if verification.status not in ACTIVE_VERIFICATION:
        raise conflict("该复查已结束")
    before = audience_of("rectification", item)
    verification.status = V.cancelled
    db.session.flush()
    _audit("cancelled", verification, actor)
    note_changed("rectification", item, before, sight_only=True)


def record_desk_verification(item: Rectification, data: dict, actor: User) -> Verification:
    """书面核查: the supervisor decides from the unit's reports."""
    if item.status != RectificationStatus.closure_requested:
        raise conflict("单位申请销号后才能书面核查")
    if _active(item) is not None:
        raise conflict("该事项已有进行中的实地复查,请先处理或撤销", "verification_open")
    verification = Verification(
        rectification_id=item.id,
        method=VerificationMethod.desk,
        status=V.reported,
        assigned_by_id=actor.id,
        report=data.get("reason", ""),
        reported_at=utcnow(),
    )
    db.session.add(verification)
    db.session.flush()
    return decide(item, verification, data, actor)


def decide(item: Rectification, verification: Verification, data: dict, actor: User):
    """Pass → closed; fail → returned with the reason."""
    _own(item, verification)
    if verification.status != V.reported:
        raise conflict("复查人员尚未报告,不能作出复查结论")
    passed = data["passed"]
    reason = data.get("reason", "").strip()
    if not passed and not reason:
        raise field_error("reason", "复查未通过须说明理由")
    if passed and item.status != RectificationStatus.closure_requested:
        raise conflict("单位尚未申请销号;复查报告已保存,待单位申请销号后再确认", "not_requested")
    if not passed and item.status != RectificationStatus.closure_requested:
        raise conflict("单位尚未申请销号;复查报告已保存,可在单位申请销号后退回", "not_requested")
    before = audience_of("rectification", item)
    verification.status = V.passed if passed else V.failed
    verification.decided_by_id, verification.decided_at = actor.id, utcnow()
    verification.decision_reason = reason
    db.session.flush()
    _audit(
        "decided",
        verification,
        actor,
        method=str(verification.method),
        passed=passed,
        reason=reason,
    )
    if passed:
        close_item(item, verification, actor)
    else:
        return_item(item, reason, actor, verification_id=str(verification.id))
    # The inspector's sight of the item ends with the visit.
    note_changed("rectification", item, before)
    return verification


def report_field_visit(verification: Verification, values: dict, inspector: User) -> None:
    """The inspector's report, pushed from the field app (server/rectification/sync.py)."""
    if verification.inspector_id != inspector.id:
        raise ApiError(403, "forbidden", "只能报告分配给自己的复查")
    if verification.status not in ACTIVE_VERIFICATION:
        raise conflict("该复查已结束,不能再修改")
    changed = {
        name: values[name]
        for name in ("report", "opinion", "lat", "lon", "accuracy_m")
        if name in values and getattr(verification, name) != values[name]
    }
    for name, value in changed.items():
        setattr(verification, name, value)
    if verification.report.strip():
        verification.status = V.reported
        verification.reported_at = verification.reported_at or utcnow()
    if changed:  # the office decides on this report: who wrote what, and when
        _audit(
            "reported",
            verification,
            inspector,
            fields=sorted(changed),
            opinion=verification.opinion,
        )


def _audit(action: str, verification: Verification, actor: User, **details) -> None:
    """A step of a verification, in its item's history (办理记录)."""
    record_event(
        f"verification.{action}",
        "rectification",
        verification.rectification_id,
        actor.id,
        verification_id=str(verification.id),
        **details,
    )


def _own(item: Rectification, verification: Verification) -> None:
    if verification is None or verification.rectification_id != item.id:
        raise ApiError(404, "not_found", "复查记录不存在")
