"""Console forms and read helpers for triage and rectification items: request.form in the
shape of the API's JSON bodies (loaded by the same schemas), the values a form shows
again, the choices it offers, and the photos and names the pages draw."""

from __future__ import annotations

import re
import uuid

from werkzeug.datastructures import MultiDict

from server.console.kit import Confirmation, keep
from server.errors import ApiError, not_found
from server.extensions import db
from server.findings.operations import office_findings
from server.models import (
    ExtensionRequest,
    Finding,
    Rectification,
    RectificationStatus,
    Unit,
    UnitKind,
    User,
    Verification,
)
from server.plans.queries import active_sites, leaders, rows
from server.rectification.operations import AFTER_ISSUE, CONTENT, DEADLINE
from server.timeutil import local_today
from server.workdays.calendar import MAX_DAYS, add_working_days

TEXTS = ("title", "problem", "measures", "requirements", "responsible_person")
OPTIONAL_REFS = ("site_id", "lead_official_id")
NUMBERS = ("deadline_working_days", "report_every_days")
ALL_FIELDS = (*CONTENT, *AFTER_ISSUE, *DEADLINE)
# The steps asked once before they run (issue 15): the verb and what cannot be undone.
CONFIRMATIONS = {
    "issue": ("交办", "交办后责任单位将收到通知,且不能撤回。"),
    "acknowledge": (
        "签收",
        "签收即确认本单位已收到此事项,须按时限组织整改、报送进展;签收后不能撤回。",
    ),
    "close": ("销号", "销号后事项办结,不能再修改、报送进展或退回;销号后不能撤回。"),
}


def confirmation(what: str, code: str, title: str = "") -> Confirmation:
    action, consequence = CONFIRMATIONS[what]
    return Confirmation(action, f"{code} · {title}" if title else code, consequence)


def editable_fields(item: Rectification | None) -> tuple[str, ...]:
    """What the form offers: everything for a new item or a draft; after issue, only what
    the operation still lets change (the deadline moves by extension)."""
    if item is None or item.status == RectificationStatus.draft:
        return ALL_FIELDS
    return AFTER_ISSUE


def item_data(form, fields: tuple[str, ...], update: bool = False) -> dict:
    """request.form as the JSON body of POST/PATCH /api/rectifications. Both deadline
    inputs go to the schema when both are filled: it refuses that (二选一)."""
    data = {}
    for name in fields:
        raw = form.get(name, "").strip()
        if name in TEXTS:
            data[name] = raw
        elif name == "unit_id":
            if raw or update:
                data[name] = raw or None
        elif name == "supporting_unit_ids":
            data[name] = [v for v in form.getlist(name) if v]
        elif name == "listed":
            data[name] = "true" if form.get(name) else "false"
        elif name in (*OPTIONAL_REFS, *NUMBERS, "deadline"):
            data[name] = raw or None
    if not update:
        data["finding_ids"] = [v for v in form.getlist("finding_ids") if v]
    if update:
        data["version"] = form.get("version", "")
    return data


def form_values(form) -> dict:
    values = {k: form.get(k, "") for k in (*TEXTS, "unit_id", *OPTIONAL_REFS, *NUMBERS)}
    values["deadline"] = form.get("deadline", "")
    values["deadline_kind"] = form.get("deadline_kind") or (
        "days" if values["deadline_working_days"] and not values["deadline"] else "date"
    )
    values["supporting_unit_ids"] = set(form.getlist("supporting_unit_ids"))
    values["listed"] = bool(form.get("listed"))
    values["finding_ids"] = [v for v in form.getlist("finding_ids") if v]
    values["version"] = form.get("version", "")
    return values


def preview(values: dict):
    """(date, confirmed) N working days from today, as the form shows it without
    JavaScript; None unless the form counts in working days."""
    raw = str(values.get("deadline_working_days") or "")
    if values.get("deadline_kind") != "days" or not re.fullmatch(r"[0-9]{1,4}", raw):
        return None  # isdigit() would let "²" through to int()
    return add_working_days(local_today(), int(raw)) if 1 <= int(raw) <= MAX_DAYS else None


def item_values(item: Rectification) -> dict:
    by_days = item.deadline_working_days is not None
    return {
        **{k: getattr(item, k) or "" for k in TEXTS},
        "unit_id": str(item.unit_id),
        "site_id": str(item.site_id) if item.site_id else "",
        "lead_official_id": str(item.lead_official_id) if item.lead_official_id else "",
        "deadline_working_days": item.deadline_working_days if by_days else "",
        "report_every_days": item.report_every_days or "",
        "deadline": item.deadline.isoformat() if item.deadline and not by_days else "",
        "deadline_kind": "days" if by_days else "date",
        "supporting_unit_ids": {str(u.id) for u in item.supporting_units},
        "listed": item.listed,
        "finding_ids": [str(f.id) for f in item.findings],
        "version": item.version,
    }


def new_values(findings: list[Finding]) -> dict:
    """A new item, prefilled from the findings it is made of."""
    lines = [f"{f.title}:{f.description}" if f.description else f.title for f in findings]
    site = next((f.site for f in findings if f.site_id), None)
    unit_id = next((f.unit_id for f in findings if f.unit_id), None) or (site and site.unit_id)
    return {
        **form_values(MultiDict()),  # an empty form
        "problem": "\n".join(lines),
        "unit_id": str(unit_id) if unit_id else "",
        "site_id": str(site.id) if site else "",
        "finding_ids": [str(f.id) for f in findings],
    }


def verification_of(item: Rectification, verification_id) -> Verification:
    verification = db.session.get(Verification, verification_id)
    if verification is None or verification.rectification_id != item.id:
        raise ApiError(404, "not_found", "复查记录不存在")
    return verification


def extension_of(extension_id) -> ExtensionRequest:
    """decide_extension checks it belongs to the item."""
    extension = db.session.get(ExtensionRequest, extension_id)
    if extension is None:
        raise ApiError(404, "not_found", "延期申请不存在")
    return extension


def finding_ids(args) -> list[uuid.UUID]:
    """?finding_ids=a&finding_ids=b or ?finding_ids=a,b; an id that is no UUID is as
    unknown as one of another office."""
    ids = []
    for raw in args.getlist("finding_ids"):
        for part in filter(None, (p.strip() for p in raw.split(","))):
            try:
                ids.append(uuid.UUID(part))
            except ValueError:
                raise not_found("问题不存在") from None
    return list(dict.fromkeys(ids))


def item_choices(item: Rectification | None = None) -> dict:
    choices = {
        "units": rows(Unit, Unit.active, Unit.kind != UnitKind.office, order=(Unit.code,)),
        "leaders": leaders(),
        "sites": active_sites(),
    }
    if item is not None:  # what the item has stays on the form even if no longer offered
        choices["units"] = keep(choices["units"], [item.unit, *item.supporting_units])
        choices["leaders"] = keep(choices["leaders"], [item.lead_official])
        choices["sites"] = keep(choices["sites"], [item.site])
    return choices


def findings_by_ids(user: User, ids) -> list[Finding]:
    wanted = [uuid.UUID(str(i)) for i in ids if _is_uuid(i)]
    if not wanted:
        return []
    rows = db.session.scalars(office_findings(user).where(Finding.id.in_(wanted))).all()
    found = {f.id: f for f in rows}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
