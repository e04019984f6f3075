"""The evidence page's list (/console/evidence): the photos a supervisor's office holds,
filtered and searched, each with what it belongs to (an item, a finding, a check-in) and
where that leads. A photo's plan, site and unit come from its parent: a finding or a
check-in of a plan, or an item's progress report or verification (those carry no plan)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from server.extensions import db
from server.models import (
    Finding,
    Photo,
    PhotoParent,
    Plan,
    ProgressReport,
    Rectification,
    Role,
    Site,
    User,
    Verification,
    Visit,
    rectification_finding,
)
from server.search import contains_text
from server.timeutil import CHINA

PER_PAGE = 30


def _parents():
    """Photo joined to each kind of parent, and the plan, item and site they lead to."""
    kind = Photo.parent_type
    item_id = func.coalesce(ProgressReport.rectification_id, Verification.rectification_id)
    site_id = func.coalesce(Finding.site_id, Visit.site_id, Rectification.site_id)
    query = (
        select(Photo)
        .outerjoin(Finding, and_(kind == PhotoParent.finding, Finding.id == Photo.parent_id))
        .outerjoin(Visit, and_(kind == PhotoParent.visit, Visit.id == Photo.parent_id))
        .outerjoin(
            ProgressReport,
            and_(kind == PhotoParent.progress_report, ProgressReport.id == Photo.parent_id),
        )
        .outerjoin(
            Verification,
            and_(kind == PhotoParent.verification, Verification.id == Photo.parent_id),
        )
        .outerjoin(Rectification, Rectification.id == item_id)
        .outerjoin(Plan, Plan.id == Photo.plan_id)
        .outerjoin(Site, Site.id == site_id)
        # A clue's attachments are shown on the clue's page only (server/clues/pages.py).
        .where(Photo.deleted_at.is_(None), Photo.parent_type != PhotoParent.clue)
    )
    return query, site_id


def _scope(user: User):
    """The office's plans' photos, its items' photos, and the user's own (admin: all)."""
    if user.role == Role.admin:
        return []
    return [
        or_(
            Plan.office_unit_id == user.unit_id,
            Rectification.office_unit_id == user.unit_id,
            Photo.created_by_id == user.id,
        )
    ]


def _day_start(day, later: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=later), time(), tzinfo=CHINA).astimezone(UTC)


def _in_found_item(text: str):
    """A finding's photo matches the code or title of an item made from the finding (the
    list links it to that item)."""
    item = aliased(Rectification)
    made_into = (
        select(rectification_finding.c.finding_id)
        .join(item, item.id == rectification_finding.c.rectification_id)
        .where(contains_text((item.code, item.title), text))
    )
    return Finding.id.in_(made_into)


def photo_page(user: User, args: dict) -> dict:
    query, site_id = _parents()
    query = query.where(*_scope(user))
    if args.get("plan_id"):
        plan = args["plan_id"]
        query = query.where(or_(Photo.plan_id == plan, Rectification.source_plan_id == plan))
    if args.get("site_id"):
        query = query.where(site_id == args["site_id"])
    if args.get("unit_id"):
        unit = func.coalesce(Rectification.unit_id, Finding.unit_id, Site.unit_id)
        query = query.where(unit == args["unit_id"])
    if args.get("parent_type"):
        query = query.where(Photo.parent_type == args["parent_type"])
    if args.get("content_status"):
        query = query.where(Photo.content_status == args["content_status"])
    if args.get("captured_from"):
        query = query.where(Photo.captured_at >= _day_start(args["captured_from"]))
    if args.get("captured_to"):
        query = query.where(Photo.captured_at < _day_start(args["captured_to"], 1))
    if args.get("q"):
        texts = (
            *(Site.name, Finding.title, Finding.description, Visit.note),
            *(Rectification.code, Rectification.title, Plan.code, Plan.title),
        )
        query = query.where(or_(contains_text(texts, args["q"]), _in_found_item(args["q"])))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = args.get("page", 1)
    photos = db.session.scalars(
        query.options(selectinload(Photo.plan))
        .order_by(Photo.captured_at.desc(), Photo.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return {"photos": list(photos), "total": total, "page": page, "per_page": PER_PAGE}


@dataclass
class Owner:
    """What a photo belongs to, as the list names it, and the page it leads to: the
    item's page, else the finding in the triage queue, else the plan."""

    kind: str  # item | finding | plan
    label: str
    target_id: uuid.UUID
    plan_id: uuid.UUID | None = None
    query: str = ""
    site: str = ""


def _rows(model, ids) -> dict:
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _items_of_findings(finding_ids) -> dict:
    """A finding's items (the first by code leads)."""
    if not finding_ids:
        return {}
    rows = db.session.execute(
        select(rectification_finding.c.finding_id, Rectification)
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(rectification_finding.c.finding_id.in_(finding_ids))
        .order_by(Rectification.code)
    ).all()
    found: dict = {}
    for finding_id, item in rows:
        found.setdefault(finding_id, item)
    return found


def _item_owner(item: Rectification, what: str) -> Owner:
    label = f"{what} · 整改事项 {item.code}" + (f" {item.title}" if item.title else "")
    return Owner("item", label, item.id, site=item.site.name if item.site else "")


def owners(photos: list[Photo]) -> dict[uuid.UUID, Owner]:
    """Each photo's owner, read a kind at a time."""
    ids = {kind: {p.parent_id for p in photos if p.parent_type == kind} for kind in PhotoParent}
    findings = _rows(Finding, ids[PhotoParent.finding])
    visits = _rows(Visit, ids[PhotoParent.visit])
    reports = _rows(ProgressReport, ids[PhotoParent.progress_report])
    checks = _rows(Verification, ids[PhotoParent.verification])
    item_ids = {r.rectification_id for r in (*reports.values(), *checks.values())}
    items = _rows(Rectification, item_ids)
    made_into = _items_of_findings(list(findings))
    out = {}
    for photo in photos:
        owner = None
        if photo.parent_type == PhotoParent.finding and photo.parent_id in findings:
            finding = findings[photo.parent_id]
            site = finding.site.name if finding.site else ""
            if finding.id in made_into:
                owner = _item_owner(made_into[finding.id], f"问题“{finding.title}”")
            else:
                owner = Owner(
                    "finding", f"问题 {finding.title}", finding.id, finding.plan_id,
                    finding.title[:100], site,
                )  # fmt: skip
        elif photo.parent_type == PhotoParent.visit and photo.parent_id in visits:
            visit = visits[photo.parent_id]
            label = f"到场签到 · 督查计划 {photo.plan.code if photo.plan else ''}"
            owner = Owner("plan", label, visit.plan_id, site=visit.site.name)
        elif photo.parent_type == PhotoParent.progress_report and photo.parent_id in reports:
            item = items.get(reports[photo.parent_id].rectification_id)
            owner = item and _item_owner(item, "整改进展")
        elif photo.parent_type == PhotoParent.verification and photo.parent_id in checks:
            item = items.get(checks[photo.parent_id].rectification_id)
            owner = item and _item_owner(item, "复查")
        if owner:
            out[photo.id] = owner
    return out


def plan_choices(user: User) -> list[Plan]:
    query = select(Plan).order_by(Plan.code.desc())
    if user.role != Role.admin:
        query = query.where(Plan.office_unit_id == user.unit_id)
    return list(db.session.scalars(query))
