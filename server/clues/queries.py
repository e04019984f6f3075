"""Reads of clues: the register's rows, the duplicates a clue may repeat, and what came
of the plans it stands behind (their findings, and the items issued from them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from server.clues.access import office_clause
from server.clues.operations import ENDED
from server.extensions import db
from server.models import (
    AuditEvent,
    Clue,
    ClueStatus,
    Finding,
    PlanClue,
    PlanStatus,
    Rectification,
    RectificationStatus,
    User,
    rectification_finding,
)
from server.search import contains_text, unindexed
from server.settings import get_setting
from server.timeutil import local_today

DUPLICATES_MAX = 20
PER_PAGE = 30
HISTORY_MAX = 200


def _contains(text: str):
    return contains_text((Clue.code, Clue.source_ref, Clue.summary, Clue.place), text)


def _filtered(user: User, args: dict, with_status: bool = True):
    query = select(Clue).where(office_clause(user))
    if args.get("q"):
        query = query.where(_contains(args["q"]))
    for name in ("source", "topic_id", "unit_id"):
        if args.get(name):
            query = query.where(getattr(Clue, name) == args[name])
    if args.get("region_code"):  # a county or township holds its villages' codes
        query = query.where(Clue.region_code.startswith(args["region_code"], autoescape=True))
    if args.get("received_from"):
        query = query.where(Clue.received_on >= args["received_from"])
    if args.get("received_to"):
        query = query.where(Clue.received_on <= args["received_to"])
    status = args.get("status") if with_status else None
    if status == "open":
        query = query.where(Clue.status.not_in(ENDED))
    elif status == "overdue":
        query = query.where(overdue_clause())
    elif status == "counted":
        query = query.where(Clue.status != ClueStatus.merged)
    elif status:
        query = query.where(Clue.status == status)
    return query


def register(user: User, args: dict) -> dict:
    """The register's page of clues, newest first, and the counts by status of the
    clues the other filters leave. The total comes from those counts (one read of the
    clues fewer: with `q` each read is a scan), except for `overdue`."""
    query = _filtered(user, args)
    page = args.get("page", 1)
    items = db.session.scalars(
        query.options(selectinload(Clue.topic), selectinload(Clue.unit))
        .order_by(Clue.received_on.desc(), Clue.code.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    counted = _filtered(user, args, with_status=False).subquery()
    # A substring search reads every row anyway: SQLite then scans the table once rather
    # than walking the (office, status) index with a row lookup per clue (twice as slow).
    status = unindexed(counted.c.status) if args.get("q") else counted.c.status
    by_status = select(status, func.count()).select_from(counted).group_by(status)
    counts = dict(db.session.execute(by_status).all())
    counts = {str(k): v for k, v in counts.items()}
    total = sum(counts.values())
    counts["open"] = sum(v for k, v in counts.items() if k not in ENDED)
    wanted = args.get("status")
    if wanted == "overdue":
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    elif wanted == "counted":
        total -= counts.get(ClueStatus.merged.value, 0)
    elif wanted:
        total = counts.get(wanted, 0)
    return {"items": items, "total": total, "page": page, "per_page": PER_PAGE, "counts": counts}


def overdue_clause():
    """Forwarded, not answered, past its answer date, and not ended."""
    return and_(
        Clue.forwarded_at.is_not(None),
        Clue.answered_at.is_(None),
        Clue.answer_due < local_today(),
        Clue.status.not_in(ENDED),
    )


def desk_counts(user: User) -> dict:
    """The start page's card: clues to triage and forwarded ones past their answer date."""
    count = select(func.count(Clue.id)).where(office_clause(user))
    return {
        "received": db.session.scalar(count.where(Clue.status == ClueStatus.received)),
        "overdue": db.session.scalar(count.where(overdue_clause())),
    }


def history(clue: Clue) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "clue", AuditEvent.entity_id == str(clue.id))
            .order_by(AuditEvent.id)
            .limit(HISTORY_MAX)
        )
    )


def _normal_place(text: str) -> str:
    return "".join(text.split()).lower()


def duplicate_candidates(user: User, clue: Clue) -> list[tuple[Clue, str]]:
    """Clues of the office that may repeat this one, with why: the same source reference
    (from any channel), or the same topic at the same place (site, or the same place
    text) received within `clue_duplicate_days`. Only suggested: a person decides."""
    days = timedelta(days=get_setting("clue_duplicate_days"))
    same_ref = Clue.source_ref == clue.source_ref if clue.source_ref else None
    place = [Clue.site_id == clue.site_id] if clue.site_id else []
    if clue.place.strip():
        place.append(func.lower(func.replace(Clue.place, " ", "")) == _normal_place(clue.place))
    same_place = None
    if clue.topic_id and place:
        same_place = and_(
            Clue.topic_id == clue.topic_id,
            or_(*place),
            Clue.received_on.between(clue.received_on - days, clue.received_on + days),
        )
    reasons = [c for c in (same_ref, same_place) if c is not None]
    if not reasons:
        return []
    rows = db.session.scalars(
        select(Clue)
        .where(
            office_clause(user),
            Clue.id != clue.id,
            Clue.status != ClueStatus.merged,
            or_(*reasons),
        )
        .order_by(Clue.received_on.desc())
        .limit(DUPLICATES_MAX)
    ).all()
    return [
        (row, "来源编号相同" if clue.source_ref and row.source_ref == clue.source_ref
         else "同一地点同类问题")
        for row in rows
    ]  # fmt: skip


@dataclass
class PlanResult:
    """One plan the clue stands behind: its findings at the clue's target (every finding
    of the plan when the clue names no site) and, once issued, the items made of them."""

    target: PlanClue
    findings: list[Finding]
    items: list[Rectification]

    @property
    def issued(self) -> bool:
        return self.target.plan.status == PlanStatus.findings_issued


def plan_results(clue: Clue) -> list[PlanResult]:
    results = []
    for target in clue.targets:
        query = select(Finding).where(
            Finding.plan_id == target.plan_id, Finding.deleted_at.is_(None)
        )
        if target.site_id is not None:
            query = query.where(Finding.site_id == target.site_id)
        findings = list(db.session.scalars(query.order_by(Finding.observed_at)))
        items = []
        if findings:
            items = list(
                db.session.scalars(
                    select(Rectification)
                    .join(rectification_finding)
                    .where(
                        rectification_finding.c.finding_id.in_([f.id for f in findings]),
                        Rectification.status != RectificationStatus.draft,
                    )
                    .distinct()
                    .order_by(Rectification.code)
                )
            )
        results.append(PlanResult(target, findings, items))
    return results


def merged_into(clue: Clue) -> list[Clue]:
    """The duplicates merged into this clue."""
    return list(
        db.session.scalars(select(Clue).where(Clue.merged_into_id == clue.id).order_by(Clue.code))
    )
