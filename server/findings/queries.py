"""What the triage page reads besides the queue itself (findings/operations.triage_queue)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from server.extensions import db
from server.findings.operations import OPEN_TRIAGE, office_findings
from server.models import Finding, Plan, Rectification, User, rectification_finding


def office_plans(user: User) -> list[Plan]:
    query = select(Plan).where(Plan.office_unit_id == user.unit_id).order_by(Plan.code.desc())
    return list(db.session.scalars(query))


def merge_targets(user: User, limit: int = 200) -> list[Finding]:
    """Findings a duplicate may be merged into: the office's pending or itemized ones."""
    query = (
        office_findings(user)
        .where(Finding.triage_status.in_(OPEN_TRIAGE))
        .order_by(Finding.observed_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def queue_context(findings: list[Finding]) -> dict:
    """Names the queue shows beside each finding: the items it went into and the finding a
    duplicate was merged into."""
    linked = defaultdict(list)
    rows = db.session.execute(
        select(rectification_finding.c.finding_id, Rectification.id, Rectification.code)
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(rectification_finding.c.finding_id.in_([f.id for f in findings]))
        .order_by(Rectification.code)
    )
    for finding_id, item_id, code in rows:
        linked[finding_id].append((item_id, code))
    into_ids = {f.merged_into_id for f in findings if f.merged_into_id}
    titles = db.session.execute(select(Finding.id, Finding.title).where(Finding.id.in_(into_ids)))
    return {"linked": linked, "merged_titles": dict(titles.all())}
