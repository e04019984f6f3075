"""The rules of clues: filing one, editing it, and triage (merge a duplicate, reject,
forward to a unit for an answer, make it the reason for a target of a plan), the unit's
answer, and the end (an outcome and the reply for the source). Operations flush, never
commit; every change is audited (the reporter's contact is never written to the trail).

A clue behind a plan whose findings are not yet issued cannot be merged, rejected,
forwarded or closed: whatever the office does with it must not change what the unit
concerned can see before the unannounced visit has happened and its findings are out."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import inspect, select

from server.audit import changes_between, record_event
from server.clues.access import answers, manages
from server.errors import ApiError, conflict, field_error
from server.evidence.intake import accept_photo
from server.extensions import db
from server.glossary import CLUE_STATUSES
from server.models import (
    Clue,
    ClueOutcome,
    ClueStatus,
    ClueTopic,
    PhotoParent,
    Plan,
    PlanClue,
    PlanStatus,
    Site,
    Unit,
    User,
    utcnow,
)
from server.plans.access import get_managed_plan
from server.plans.operations import EDITABLE, Audiences, add_to_plan
from server.rectification.notify import notify, responders_of, supervisors_of
from server.settings import get_setting
from server.timeutil import local_today
from server.transaction import add_numbered
from server.workdays.calendar import add_working_days

ENDED = (ClueStatus.merged, ClueStatus.rejected, ClueStatus.closed)
EDITABLE_FIELDS = (
    "source", "source_ref", "received_on", "summary", "place", "site_id", "lat", "lon",
    "region_code", "unit_id", "topic_id", "reporter_name", "reporter_contact",
)  # fmt: skip
PRIVATE = ("reporter_name", "reporter_contact")
_CODE = re.compile(r"XS-\d{4}-(\d+)")
_LAST_CODE = "clues.last_code"  # session.info key: {(office, year): Clue}


# ---- references ----


def _get(model, ident, field: str, label: str, *conditions):
    if ident is None:
        return None
    row = db.session.scalar(select(model).where(model.id == ident, *conditions))
    if row is None:
        raise field_error(field, f"{label}不存在或已停用")
    return row


def _resolve(clue: Clue, data: dict) -> dict:
    """Check the references the data names (returned, so they stay loaded); a record
    already on the clue stays valid even if it was deactivated since (saving the form
    again must not fail). `session.get` reads the identity map first: an import looks
    up the same few units and topics for thousands of rows."""
    found = {}
    for field, model, label in (
        ("site_id", Site, "点位"),
        ("unit_id", Unit, "涉及单位"),
        ("topic_id", ClueTopic, "线索分类"),
    ):
        if field in data and data[field] != getattr(clue, field) and data[field] is not None:
            row = db.session.get(model, data[field])
            if row is None or not row.active:
                raise field_error(field, f"{label}不存在或已停用")
            found[field] = row
    return found


def _region(clue: Clue) -> str | None:
    """The township the figures file the clue under: typed, else its site's, else its
    unit's region."""
    if clue.region_code:
        return clue.region_code
    site = db.session.get(Site, clue.site_id) if clue.site_id else None
    unit = db.session.get(Unit, clue.unit_id) if clue.unit_id else None
    return (site.region_code if site else None) or (unit.region_code if unit else None)


def clue_state(clue: Clue) -> dict:
    """What an audit entry compares; the contact only as whether it is filled."""
    state = {
        name: getattr(clue, name)
        for name in EDITABLE_FIELDS
        if name not in PRIVATE and name != "received_on"
    }
    state = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in state.items()}
    state["source"] = str(clue.source)
    state["received_on"] = clue.received_on.isoformat()
    state["has_contact"] = bool(clue.reporter_name or clue.reporter_contact)
    return state


def _next_code(office_id: uuid.UUID, year: int) -> str:
    """XS-<year>-<nnnn>, numbered per office. The clue this session numbered last is
    remembered (`_remember_code`): reading every code of the office for every new clue
    made an import of 5,000 rows quadratic. It is used once, and only while it is still
    in the database (a rolled-back savepoint or transaction makes it transient); a retry
    after a conflict, or a new request, reads the codes again."""
    prefix = f"XS-{year}-"
    last = db.session.info.setdefault(_LAST_CODE, {}).pop((office_id, year), None)
    if last is not None and inspect(last).persistent:
        return f"{prefix}{int(last.code.rsplit('-', 1)[1]) + 1:04d}"
    codes = db.session.scalars(
        select(Clue.code).where(Clue.office_unit_id == office_id, Clue.code.like(f"{prefix}%"))
    )
    numbers = [int(m.group(1)) for c in codes if (m := _CODE.fullmatch(c))]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _remember_code(clue: Clue) -> None:
    key = (clue.office_unit_id, clue.received_on.year)
    db.session.info.setdefault(_LAST_CODE, {})[key] = clue


def _check_version(clue: Clue, version: int | None) -> None:
    if version is not None and clue.version != version:
        raise ApiError(
            409, "version_conflict", "线索已被他人修改,请刷新后再操作",
            {"current_version": clue.version},
        )  # fmt: skip


def _check_open(clue: Clue) -> None:
    if clue.status in ENDED:
        raise conflict(f"线索已{CLUE_STATUSES[clue.status]},不能再办理")


def pending_plans(clue: Clue) -> list[Plan]:
    """The plans behind which the clue stands whose findings are not yet issued."""
    return [t.plan for t in clue.targets if t.plan.status != PlanStatus.findings_issued]


def _check_no_secret_plan(clue: Clue, doing: str) -> None:
    if pending_plans(clue):
        raise conflict(
            f"线索已纳入尚未交办的暗访计划,暂不能{doing};请在计划交办问题后再办理",
            "clue_in_secret_plan",
        )


def _duplicate_ref(office_id, source, source_ref, exclude_id=None) -> None:
    if not source_ref:
        return
    query = select(Clue.code).where(
        Clue.office_unit_id == office_id, Clue.source == source, Clue.source_ref == source_ref
    )
    if exclude_id is not None:
        query = query.where(Clue.id != exclude_id)
    code = db.session.scalar(query)
    if code:
        raise field_error("source_ref", f"来源编号 {source_ref} 已登记为线索 {code}")


# ---- filing and editing ----


def create_clue(data: dict, actor: User) -> Clue:
    """File a clue for the actor's office (entered by hand or one row of an import)."""
    _duplicate_ref(actor.unit_id, data["source"], data.get("source_ref"))
    clue = Clue(office_unit_id=actor.unit_id, created_by_id=actor.id, status=ClueStatus.received)
    _kept = _resolve(clue, data)  # held: _region finds them in the identity map
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(clue, name, data[name])
    clue.region_code = _region(clue)
    add_numbered(
        clue, lambda: _next_code(actor.unit_id, clue.received_on.year), "线索编号冲突,请重试"
    )
    _remember_code(clue)
    record_event("clue.created", "clue", clue.id, actor.id, state=clue_state(clue))
    return clue


def update_clue(clue: Clue, data: dict, actor: User) -> Clue:
    _check_version(clue, data.pop("version", None))
    _check_open(clue)
    source = data.get("source", clue.source)
    source_ref = data.get("source_ref", clue.source_ref)
    _duplicate_ref(clue.office_unit_id, source, source_ref, exclude_id=clue.id)
    before = clue_state(clue)
    _resolve(clue, data)
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(clue, name, data[name])
    if "region_code" in data or "site_id" in data or "unit_id" in data:
        clue.region_code = data.get("region_code") or None
        clue.region_code = _region(clue)
    changes = changes_between(before, clue_state(clue))
    private = any(name in data for name in PRIVATE)
    if changes or private:
        clue.updated_at = utcnow()
        record_event("clue.updated", "clue", clue.id, actor.id, changes=changes)
    return clue


def attach_photos(clue: Clue, uploads: list, actor: User) -> None:
    """Photos of the clue (a letter, a screenshot, the reporter's own pictures), kept as
    evidence through the same intake as every photo; processed after commit."""
    for received in uploads:
        accept_photo(received, PhotoParent.clue, clue.id, actor)
    record_event("clue.attached", "clue", clue.id, actor.id, photos=len(uploads))


# ---- triage ----


def merge_clue(clue: Clue, into: Clue, actor: User) -> Clue:
    """A duplicate joins the clue it repeats; it ends with that clue's outcome and reply."""
    _check_open(clue)
    if into.id == clue.id or not manages(actor, into):
        raise field_error("into_id", "请选择本督查室的另一条线索")
    if into.status == ClueStatus.merged:
        raise field_error("into_id", f"线索 {into.code} 本身已合并,请选择它所并入的线索")
    _check_no_secret_plan(clue, "合并")
    clue.status, clue.merged_into_id = ClueStatus.merged, into.id
    clue.closed_at, clue.closed_by_id = utcnow(), actor.id
    # Whatever had been merged into this one follows it.
    for earlier in db.session.scalars(select(Clue).where(Clue.merged_into_id == clue.id)):
        earlier.merged_into_id = into.id
    record_event("clue.merged", "clue", clue.id, actor.id, into=str(into.id))
    return clue


def reject_clue(clue: Clue, reason: str, reply: str, actor: User) -> Clue:
    _check_open(clue)
    _check_no_secret_plan(clue, "不予采用")
    clue.status, clue.reject_reason = ClueStatus.rejected, reason
    clue.outcome, clue.reply = ClueOutcome.rejected, reply or reason
    clue.closed_at, clue.closed_by_id = utcnow(), actor.id
    record_event("clue.rejected", "clue", clue.id, actor.id, reason=reason)
    return clue


def forward_clue(clue: Clue, data: dict, actor: User) -> Clue:
    """转办: the unit answers within `clue_answer_working_days` (or the days given)."""
    _check_open(clue)
    # Forwarding the complaint now would tell the unit where the unannounced visit goes.
    _check_no_secret_plan(clue, "转办")
    if clue.forwarded_at is not None and clue.answered_at is None:
        raise conflict(f"线索已转办{clue.forwarded_unit.name},尚未答复")
    unit = _get(Unit, data["unit_id"], "unit_id", "单位", Unit.active)
    days = data.get("working_days") or get_setting("clue_answer_working_days")
    due, _confirmed = add_working_days(local_today(), days)
    clue.forwarded_unit_id, clue.forwarded_at = unit.id, utcnow()
    clue.forward_note, clue.answer_due = data.get("note", ""), due
    clue.answer, clue.answered_at, clue.answered_by_id = "", None, None
    if clue.status in (ClueStatus.received, ClueStatus.answered):
        clue.status = ClueStatus.forwarded
    record_event(
        "clue.forwarded", "clue", clue.id, actor.id, unit_id=str(unit.id), due=due.isoformat()
    )
    notify(
        responders_of(unit.id), "clue_forwarded", None, f"收到转办线索 {clue.code}",
        f"请于 {due.isoformat()} 前答复。",
    )  # fmt: skip
    return clue


def answer_clue(clue: Clue, text: str, actor: User) -> Clue:
    """The unit's answer to a forwarded clue. The office-side status moves only from
    转办; a clue the office has since put to other use keeps its status."""
    if not answers(actor, clue):
        raise ApiError(403, "forbidden", "只有被转办单位的联络员可以答复")
    if clue.answered_at is not None:
        raise conflict("已答复,不能重复答复")
    clue.answer, clue.answered_at, clue.answered_by_id = text, utcnow(), actor.id
    if clue.status == ClueStatus.forwarded:
        clue.status = ClueStatus.answered
    record_event("clue.answered", "clue", clue.id, actor.id)
    notify(
        supervisors_of(clue.office_unit_id), "clue_answered", None,
        f"线索 {clue.code} 已由{clue.forwarded_unit.name}答复",
    )  # fmt: skip
    return clue


def link_to_plan(clue: Clue, plan_id: uuid.UUID, site_id: uuid.UUID | None, actor: User):
    """Make the clue a reason for a target of a plan. A site not yet among the plan's
    targets is added to it. Nobody is notified: the plan is the office's secret."""
    _check_open(clue)
    plan = get_managed_plan(actor, plan_id)
    if plan.status not in EDITABLE:
        raise field_error("plan_id", "计划已结束,不能再增加目标")
    if any(t.plan_id == plan.id for t in clue.targets):
        raise field_error("plan_id", f"线索已纳入计划 {plan.code}")
    site = _get(Site, site_id, "site_id", "点位") if site_id else None
    if site is not None and site not in plan.sites:
        audiences = Audiences(plan)
        add_to_plan(plan, site_ids=[site.id])
        record_event("plan.updated", "plan", plan.id, actor.id, added_site=str(site.id))
        audiences.note(plan)
    db.session.add(
        PlanClue(plan_id=plan.id, clue=clue, site_id=site.id if site else None,
                 created_at=utcnow(), created_by_id=actor.id)
    )  # fmt: skip
    if clue.status in (ClueStatus.received, ClueStatus.forwarded, ClueStatus.answered):
        clue.status = ClueStatus.planned
    clue.updated_at = utcnow()
    record_event(
        "clue.planned", "clue", clue.id, actor.id, plan_id=str(plan.id),
        site_id=str(site.id) if site else None,
    )  # fmt: skip
    return plan


def unlink_from_plan(clue: Clue, plan_id: uuid.UUID, actor: User) -> None:
    """Take the clue off a plan still being prepared (the plan's targets stay)."""
    target = next((t for t in clue.targets if t.plan_id == plan_id), None)
    if target is None or not manages(actor, clue):
        raise field_error("plan_id", "线索未纳入该计划")
    if target.plan.status not in EDITABLE:
        raise conflict("计划已结束,不能再移出线索")
    clue.targets.remove(target)
    if clue.status == ClueStatus.planned and not clue.targets:
        clue.status = _status_before_planning(clue)
    clue.updated_at = utcnow()
    record_event("clue.unplanned", "clue", clue.id, actor.id, plan_id=str(plan_id))


def _status_before_planning(clue: Clue) -> ClueStatus:
    if clue.answered_at is not None:
        return ClueStatus.answered
    return ClueStatus.forwarded if clue.forwarded_at is not None else ClueStatus.received


def close_clue(clue: Clue, outcome: str, reply: str, actor: User) -> Clue:
    """办结: the outcome and the reply the office sends back to the source."""
    _check_open(clue)
    _check_no_secret_plan(clue, "办结")
    clue.status, clue.outcome, clue.reply = ClueStatus.closed, ClueOutcome(outcome), reply
    clue.closed_at, clue.closed_by_id = utcnow(), actor.id
    record_event("clue.closed", "clue", clue.id, actor.id, outcome=outcome)
    return clue
