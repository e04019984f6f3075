"""Making rectification items from findings, editing drafts and issuing them (交办).
Operations flush, never commit; every change is audited and logged for devices."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from server.audit import changes_between, record_event
from server.errors import ApiError, conflict, field_error
from server.extensions import db
from server.findings.operations import OPEN_TRIAGE
from server.models import (
    Finding,
    Plan,
    Rectification,
    RectificationStatus,
    Role,
    Site,
    TriageStatus,
    Unit,
    User,
    default_title,
    rectification_finding,
    utcnow,
)
from server.rectification.colour import refresh_red_from
from server.rectification.notify import notify, responders_of
from server.sync_api.registry import audience_of, note_changed
from server.timeutil import local_today
from server.transaction import add_numbered
from server.workdays.calendar import add_working_days

CONTENT = ("problem", "measures", "requirements", "unit_id", "site_id", "supporting_unit_ids")
DEADLINE = ("deadline", "deadline_working_days")
# What a supervisor may still change once the unit has the item; the deadline moves
# only through an approved extension request. The title is the office's label for lists.
AFTER_ISSUE = ("title", "lead_official_id", "responsible_person", "listed", "report_every_days")


def item_state(item: Rectification) -> dict:
    """What an audit entry compares."""
    return {
        "title": item.title,
        "problem": item.problem,
        "measures": item.measures,
        "requirements": item.requirements,
        "unit_id": str(item.unit_id),
        "site_id": str(item.site_id) if item.site_id else None,
        "supporting_unit_ids": sorted(str(u.id) for u in item.supporting_units),
        "lead_official_id": str(item.lead_official_id) if item.lead_official_id else None,
        "responsible_person": item.responsible_person,
        "listed": item.listed,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "deadline_working_days": item.deadline_working_days,
        "report_every_days": item.report_every_days,
    }


def check_version(item: Rectification, version: int | None) -> None:
    if version is not None and item.version != version:
        raise ApiError(
            409,
            "version_conflict",
            "该事项已被他人修改,请刷新后再试",
            {"version": item.version},
        )


# ---- resolving references ----


def _unit(unit_id, field="unit_id") -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error(field, "单位不存在或已停用")
    return unit


def _lead_official(user_id) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in (Role.leader, Role.supervisor):
        raise field_error("lead_official_id", "牵头领导须为在用的领导或督查室账号")
    return user


def _findings(ids, office_id) -> list[Finding]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = db.session.scalars(
        select(Finding)
        .join(Plan, Plan.id == Finding.plan_id)
        .where(
            Finding.id.in_(wanted),
            Finding.deleted_at.is_(None),
            Plan.office_unit_id == office_id,
        )
    ).all()
    found = {f.id: f for f in rows}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise field_error("finding_ids", f"问题不存在:{', '.join(missing[:5])}")
    closed = [f.title for f in rows if f.triage_status not in OPEN_TRIAGE]
    if closed:
        raise field_error("finding_ids", f"已合并或驳回的问题不能转为整改事项:{closed[0]}")
    return [found[i] for i in wanted]


def _apply(item: Rectification, data: dict) -> None:
    """Set fields from validated data (schemas check each field; here, references)."""
    if "unit_id" in data:
        item.unit_id = _unit(data["unit_id"]).id
    if "site_id" in data:
        site = db.session.get(Site, data["site_id"]) if data["site_id"] else None
        if data["site_id"] and site is None:
            raise field_error("site_id", "点位不存在")
        item.site_id = site.id if site else None
    if "unit_id" in data or "site_id" in data:
        # Where the problem is: its site's township, else its unit's region (the
        # dashboards count items by township).
        place = db.session.get(Site, item.site_id) if item.site_id else None
        item.region_code = (place or db.session.get(Unit, item.unit_id)).region_code or ""
    if "supporting_unit_ids" in data:
        units = [
            _unit(u, "supporting_unit_ids") for u in dict.fromkeys(data["supporting_unit_ids"])
        ]
        if any(u.id == item.unit_id for u in units):
            raise field_error("supporting_unit_ids", "配合单位不能与责任单位相同")
        item.supporting_units = units
    if "lead_official_id" in data:
        item.lead_official_id = getattr(_lead_official(data["lead_official_id"]), "id", None)
    plain = ("problem", "measures", "requirements", "responsible_person", "listed")
    for name in (*plain, "report_every_days"):
        if name in data:
            setattr(item, name, data[name])
    if "title" in data or not item.title:
        # Left empty: the problem's first sentence, cut short.
        item.title = (data.get("title") or "").strip() or default_title(item.problem)
    if "deadline" in data or "deadline_working_days" in data:
        item.deadline = data.get("deadline")
        item.deadline_working_days = data.get("deadline_working_days")
        if item.deadline_working_days is not None:
            # A preview until the item is issued; counted again from the day of issue.
            item.deadline, item.deadline_confirmed = add_working_days(
                local_today(), item.deadline_working_days
            )
        else:
            item.deadline_confirmed = True


def _next_code(office_id: uuid.UUID, year: int) -> str:
    """ZG-<year>-<nnnnn>, numbered per office; zero-padded so the largest sorts last."""
    prefix = f"ZG-{year}-"
    last = db.session.scalar(
        select(func.max(Rectification.code)).where(
            Rectification.office_unit_id == office_id, Rectification.code.like(f"{prefix}%")
        )
    )
    match = re.fullmatch(r"ZG-\d{4}-(\d+)", last or "")
    return f"{prefix}{(int(match.group(1)) if match else 0) + 1:05d}"


def mark_itemized(findings: list[Finding], actor: User) -> None:
    now = utcnow()
    for finding in findings:
        if finding.triage_status != TriageStatus.itemized:
            finding.triage_status = TriageStatus.itemized
            finding.triaged_at = finding.triaged_at or now
            finding.triaged_by_id = actor.id


def create_item(data: dict, actor: User) -> Rectification:
    """A draft item, from zero or more of the office's findings (triage)."""
    findings = _findings(data.get("finding_ids", []), actor.unit_id)
    item = Rectification(
        office_unit_id=actor.unit_id,
        created_by_id=actor.id,
        status=RectificationStatus.draft,
        supporting_units=[],
        findings=findings,
        source_plan_id=findings[0].plan_id if findings else None,
    )
    if "site_id" not in data:
        data = {**data, "site_id": next((f.site_id for f in findings if f.site_id), None)}
    _apply(item, data)
    add_numbered(item, lambda: _next_code(actor.unit_id, local_today().year), "事项编号冲突,请重试")
    mark_itemized(findings, actor)
    record_event(
        "rectification.created",
        "rectification",
        item.id,
        actor.id,
        state=item_state(item),
        finding_ids=[str(f.id) for f in findings],
    )
    return item


def update_item(item: Rectification, data: dict, actor: User) -> Rectification:
    check_version(item, data.pop("version", None))
    if item.status == RectificationStatus.closed:
        raise conflict("事项已销号,不能修改")
    if item.status != RectificationStatus.draft:
        fixed = [k for k in data if k not in AFTER_ISSUE]
        if fixed:
            message = (
                "交办后只能通过延期申请调整时限"
                if set(fixed) & set(DEADLINE)
                else ("交办后不能修改问题、措施、要求和责任单位")
            )
            raise field_error(fixed[0], message)
    before_state = item_state(item)
    before_audience = audience_of(
        "rectification", item
    )  # a new lead official: the old one loses sight
    _apply(item, data)
    changes = changes_between(before_state, item_state(item))
    if not changes:
        return item
    refresh_red_from(item)
    db.session.flush()
    record_event("rectification.edited", "rectification", item.id, actor.id, changes=changes)
    note_changed("rectification", item, before_audience)
    return item


def delete_draft(item: Rectification, actor: User) -> None:
    """A draft was never issued: discard it; its findings go back to the queue unless
    another item uses them."""
    if item.status != RectificationStatus.draft:
        raise conflict("只能删除尚未交办的草稿")
    findings = list(item.findings)
    record_event(
        "rectification.deleted", "rectification", item.id, actor.id, state=item_state(item)
    )
    item.findings = []
    item.supporting_units = []
    db.session.flush()
    db.session.delete(item)
    db.session.flush()
    for finding in findings:
        still_used = db.session.scalar(
            select(func.count()).where(rectification_finding.c.finding_id == finding.id)
        )
        if not still_used:
            finding.triage_status = TriageStatus.pending
            finding.triaged_at = None
            finding.triaged_by_id = None


def issue_item(item: Rectification, actor: User) -> Rectification:
    """交办: the unit receives it. A deadline in working days counts from today."""
    if item.status != RectificationStatus.draft:
        raise conflict("事项已交办")
    if item.deadline is None:
        raise field_error("deadline", "交办前须确定完成时限")
    if not item.problem.strip():
        raise field_error("problem", "交办前须填写问题")
    today = local_today()
    if item.deadline_working_days is not None:
        item.deadline, item.deadline_confirmed = add_working_days(today, item.deadline_working_days)
    if item.deadline < today:
        raise field_error("deadline", "完成时限不能早于交办日期")
    item.status = RectificationStatus.issued
    item.issued_at = utcnow()
    refresh_red_from(item)
    db.session.flush()
    record_event(
        "rectification.issued",
        "rectification",
        item.id,
        actor.id,
        from_status="draft",
        to_status="issued",
        deadline=item.deadline.isoformat(),
        deadline_confirmed=item.deadline_confirmed,
    )
    title = f"新交办整改事项 {item.code}"
    notify(responders_of(item.unit_id), "issued", item, title, item.problem[:200])
    if item.lead_official_id:
        notify([item.lead_official], "issued", item, f"您牵头的整改事项已交办 {item.code}")
    return item


def recount_deadlines(year: int) -> int:
    """After a year's schedule is imported: deadlines given in working days whose count
    touches that year are counted again (and confirmed, if every year is now known)."""
    from datetime import date

    query = select(Rectification).where(
        Rectification.deadline_working_days.is_not(None),
        Rectification.status.not_in([RectificationStatus.draft, RectificationStatus.closed]),
        Rectification.deadline >= date(year, 1, 1),
    )
    changed = 0
    for item in db.session.scalars(query):
        issued_on = local_today(item.issued_at)
        if issued_on.year > year:
            continue
        before = (item.deadline, item.deadline_confirmed)
        item.deadline, item.deadline_confirmed = add_working_days(
            issued_on, item.deadline_working_days
        )
        if (item.deadline, item.deadline_confirmed) != before:
            changed += 1
            refresh_red_from(item)
            record_event(
                "rectification.deadline_recounted",
                "rectification",
                item.id,
                None,
                deadline=[before[0].isoformat(), item.deadline.isoformat()],
                confirmed=item.deadline_confirmed,
                year=year,
            )
    db.session.flush()
    return changed
