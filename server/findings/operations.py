"""Triage (问题分办): the office's queue of synced findings. A supervisor merges
duplicates, rejects what is not a problem (with a reason), or turns findings into
rectification items (operations.create_item). Any of these locks the finding against
further edits from the device."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.audit import record_event
from server.errors import ApiError, conflict, field_error, not_found
from server.extensions import db
from server.findings.schemas import ANY_STATUS
from server.models import Finding, Plan, Site, TriageStatus, User, utcnow
from server.search import contains_text
from server.timeutil import CHINA

QUEUE_DEFAULT = TriageStatus.pending
# Findings still open to work: what a duplicate may be merged into, what an item is made of.
OPEN_TRIAGE = (TriageStatus.pending, TriageStatus.itemized)


def office_findings(user: User):
    return (
        select(Finding)
        .join(Plan, Plan.id == Finding.plan_id)
        .where(Plan.office_unit_id == user.unit_id, Finding.deleted_at.is_(None))
    )


def _day_start(day, later: int = 0) -> datetime:
    """The first moment (UTC) of the China day `later` days after `day`."""
    return datetime.combine(day + timedelta(days=later), time(), tzinfo=CHINA).astimezone(UTC)


def triage_queue(user: User, args: dict) -> dict:
    status = args.get("status") or QUEUE_DEFAULT
    query = office_findings(user)
    if status != ANY_STATUS:
        query = query.where(Finding.triage_status == status)
    if args.get("plan_id"):
        query = query.where(Finding.plan_id == args["plan_id"])
    if args.get("severity"):
        query = query.where(Finding.severity == args["severity"])
    if args.get("plan_kind"):
        query = query.where(Plan.kind == args["plan_kind"])  # office_findings joins Plan
    if args.get("observed_from"):
        query = query.where(Finding.observed_at >= _day_start(args["observed_from"]))
    if args.get("observed_to"):
        query = query.where(Finding.observed_at < _day_start(args["observed_to"], 1))
    if args.get("q"):
        texts = (Finding.title, Finding.description, Site.name, Plan.code, Plan.title)
        query = query.outerjoin(Site, Site.id == Finding.site_id).where(
            contains_text(texts, args["q"])
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    rows = db.session.scalars(
        query.options(
            selectinload(Finding.plan),
            selectinload(Finding.created_by),
            selectinload(Finding.site),
            selectinload(Finding.photos),
        )
        .order_by(Finding.observed_at.desc(), Finding.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


def get_office_finding(user: User, finding_id: uuid.UUID) -> Finding:
    finding = db.session.scalar(office_findings(user).where(Finding.id == finding_id))
    if finding is None:
        raise not_found("问题不存在")
    return finding


def _close(finding: Finding, status: TriageStatus, actor: User, reason: str) -> None:
    if finding.triage_status != TriageStatus.pending:
        raise conflict("该问题已分办")
    finding.triage_status = status
    finding.triage_reason = reason
    finding.triaged_at = utcnow()
    finding.triaged_by_id = actor.id


def reject_finding(finding: Finding, reason: str, actor: User) -> Finding:
    if len(reason.strip()) < 2:
        raise field_error("reason", "驳回须说明理由")
    _close(finding, TriageStatus.rejected, actor, reason.strip())
    db.session.flush()
    record_event("finding.rejected", "finding", finding.id, actor.id, reason=reason.strip())
    return finding


def merge_finding(finding: Finding, into: Finding, actor: User) -> Finding:
    """A duplicate: it stays as evidence, pointing at the finding it repeats."""
    if into.id == finding.id:
        raise field_error("into_id", "不能与自身合并")
    if into.triage_status not in OPEN_TRIAGE:
        raise field_error("into_id", "只能并入待分办或已转整改的问题")
    _close(finding, TriageStatus.merged, actor, f"与“{into.title}”重复")
    finding.merged_into_id = into.id
    db.session.flush()
    record_event("finding.merged", "finding", finding.id, actor.id, into_id=str(into.id))
    return finding


def reopen_finding(finding: Finding, actor: User) -> Finding:
    """Undo a merge or a rejection made by mistake."""
    if finding.triage_status not in (TriageStatus.merged, TriageStatus.rejected):
        raise ApiError(409, "invalid_transition", "只有已合并或已驳回的问题可以恢复")
    before = finding.triage_status
    finding.triage_status = TriageStatus.pending
    finding.triage_reason = ""
    finding.merged_into_id = None
    finding.triaged_at = None
    finding.triaged_by_id = None
    db.session.flush()
    record_event("finding.reopened", "finding", finding.id, actor.id, was=str(before))
    return finding
