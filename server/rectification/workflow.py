"""The unit's side of an item and the supervisor's answers: 签收, progress reports,
extension requests, applying for closure, returns and closing (销号).

    draft → issued → acknowledged → in_progress → closure_requested → closed
                                         ↑______ returned (reason) ___|

An item is closed only by a passed verification made after the closure request
(`close_item` checks it, whoever calls it)."""

from __future__ import annotations

from server.audit import record_event
from server.errors import ApiError, conflict, field_error
from server.extensions import db
from server.glossary import AUDIT_ACTIONS, EXTENSION_STATUSES, RECTIFICATION_STATUSES
from server.models import (
    ExtensionRequest,
    ExtensionStatus,
    ProgressReport,
    Rectification,
    RectificationStatus,
    User,
    Verification,
    VerificationStatus,
    utcnow,
)
from server.rectification.colour import refresh_red_from
from server.rectification.notify import notify, responders_of, supervisors_of
from server.timeutil import local_today

S = RectificationStatus
# Which statuses each action starts from; anything else is refused with 409.
ALLOWED = {
    "acknowledge": {S.issued},
    "report_progress": {S.acknowledged, S.in_progress},
    "request_extension": {S.issued, S.acknowledged, S.in_progress},
    "request_closure": {S.in_progress},
    "return": {S.closure_requested},
    "close": {S.closure_requested},
}
# The audit event each action records: its label names the action in a refusal.
EVENTS = {
    "acknowledge": "acknowledged",
    "report_progress": "progress_reported",
    "request_extension": "extension_requested",
    "request_closure": "closure_requested",
    "return": "returned",
    "close": "closed",
}


def require(item: Rectification, action: str) -> None:
    if item.status not in ALLOWED[action]:
        current = RECTIFICATION_STATUSES[item.status]
        doing = AUDIT_ACTIONS[f"rectification.{EVENTS[action]}"]
        raise conflict(f"事项当前为“{current}”,不能{doing}")


def _moved(item: Rectification, actor: User, action: str, to: S | None, **details) -> None:
    """Audit and log one transition (or action without a status change)."""
    before = item.status
    if to is not None:
        item.status = to
    refresh_red_from(item)
    db.session.flush()
    record_event(
        f"rectification.{action}",
        "rectification",
        item.id,
        actor.id,
        from_status=str(before),
        to_status=str(item.status),
        **details,
    )


def acknowledge(item: Rectification, actor: User) -> Rectification:
    require(item, "acknowledge")
    item.acknowledged_at = utcnow()
    _moved(item, actor, "acknowledged", S.acknowledged)
    return item


def report_progress(item: Rectification, data: dict, actor: User) -> ProgressReport:
    require(item, "report_progress")
    report = ProgressReport(
        rectification_id=item.id, author_id=actor.id, body=data["body"], percent=data["percent"]
    )
    db.session.add(report)
    item.progress_percent = data["percent"]
    item.last_progress_at = utcnow()
    db.session.flush()
    _moved(
        item,
        actor,
        "progress_reported",
        S.in_progress,
        report_id=str(report.id),
        percent=report.percent,
    )
    return report


def request_extension(item: Rectification, data: dict, actor: User) -> ExtensionRequest:
    require(item, "request_extension")
    if any(e.status == ExtensionStatus.pending for e in extensions_of(item)):
        raise conflict("已有待审批的延期申请", "extension_pending")
    wanted = data["requested_deadline"]
    if item.deadline is not None and wanted <= item.deadline:
        raise field_error("requested_deadline", "申请的新时限须晚于现有时限")
    if wanted <= local_today():
        raise field_error("requested_deadline", "申请的新时限须晚于今天")
    request = ExtensionRequest(
        rectification_id=item.id,
        requested_by_id=actor.id,
        reason=data["reason"],
        previous_deadline=item.deadline,
        requested_deadline=wanted,
    )
    db.session.add(request)
    db.session.flush()
    _moved(
        item,
        actor,
        "extension_requested",
        None,
        extension_id=str(request.id),
        requested_deadline=wanted.isoformat(),
        reason=request.reason,
    )
    notify(
        supervisors_of(item.office_unit_id),
        "extension_requested",
        item,
        f"{item.code} 申请延期至 {wanted.isoformat()}",
        request.reason,
    )
    return request


def extensions_of(item: Rectification) -> list[ExtensionRequest]:
    return list(
        db.session.scalars(
            db.select(ExtensionRequest)
            .where(ExtensionRequest.rectification_id == item.id)
            .order_by(ExtensionRequest.created_at)
        )
    )


def decide_extension(
    item: Rectification, request: ExtensionRequest, data: dict, actor: User
) -> ExtensionRequest:
    if request.rectification_id != item.id:
        raise ApiError(404, "not_found", "延期申请不存在")
    if request.status != ExtensionStatus.pending:
        raise conflict("该延期申请已处理")
    if item.status == S.closed:
        raise conflict("事项已销号")
    approved = data["approve"]
    if not approved and not data.get("reason", "").strip():
        raise field_error("reason", "不同意延期须说明理由")
    if approved and request.requested_deadline < local_today():
        raise conflict("申请延至的日期已过,不能同意;可不同意并请单位重新申请")
    request.status = ExtensionStatus.approved if approved else ExtensionStatus.refused
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.decision_reason = data.get("reason", "")
    details = {
        "extension_id": str(request.id),
        "approved": approved,
        "reason": request.decision_reason,
    }
    if approved:
        details["deadline"] = [_iso(item.deadline), request.requested_deadline.isoformat()]
        item.deadline = request.requested_deadline
        item.deadline_working_days = None
        item.deadline_confirmed = True
    _moved(item, actor, "extension_decided", None, **details)
    notify(
        responders_of(item.unit_id),
        "extension_decided",
        item,
        f"{item.code} 延期申请:{EXTENSION_STATUSES[request.status]}",
        request.decision_reason,
    )
    return request


def _iso(value):
    return value.isoformat() if value else None


def request_closure(item: Rectification, data: dict, actor: User) -> ProgressReport:
    """申请销号, with the unit's account of the finished work."""
    require(item, "request_closure")
    report = ProgressReport(
        rectification_id=item.id, author_id=actor.id, body=data["body"], percent=100, closure=True
    )
    db.session.add(report)
    now = utcnow()
    item.progress_percent, item.last_progress_at, item.closure_requested_at = 100, now, now
    db.session.flush()
    _moved(item, actor, "closure_requested", S.closure_requested, report_id=str(report.id))
    notify(
        supervisors_of(item.office_unit_id),
        "closure_requested",
        item,
        f"{item.code} 申请销号,待复查",
        report.body[:200],
    )
    return report


def return_item(item: Rectification, reason: str, actor: User, **details) -> Rectification:
    """退回: the closure request is refused; the unit goes on with the work."""
    require(item, "return")
    if not reason.strip():
        raise field_error("reason", "退回须说明理由")
    item.return_count += 1
    item.closure_requested_at = None
    _moved(
        item,
        actor,
        "returned",
        S.in_progress,
        reason=reason,
        return_count=item.return_count,
        **details,
    )
    notify(responders_of(item.unit_id), "returned", item, f"{item.code} 被退回,请继续整改", reason)
    return item


def close_item(item: Rectification, verification: Verification, actor: User) -> Rectification:
    """销号. Refused unless `verification` is this item's, passed, and decided after the
    unit applied for closure: nothing else closes an item."""
    require(item, "close")
    if (
        verification is None
        or verification.rectification_id != item.id
        or verification.status != VerificationStatus.passed
        or verification.decided_at is None
        or item.closure_requested_at is None
        or verification.decided_at < item.closure_requested_at
    ):
        raise conflict("未经复查通过,不能销号", "verification_required")
    item.closed_at = utcnow()
    _moved(item, actor, "closed", S.closed, verification_id=str(verification.id))
    notify(responders_of(item.unit_id), "closed", item, f"{item.code} 已销号")
    return item
