"""A clue's history for its page, read from the audit trail: who did what and when, in
Chinese. Only known keys of an event's details are shown (never the raw details), and
for an edit only the names of the fields that changed: the trail holds no contact, and
the page would not print one if it did."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from server.clues.queries import history
from server.extensions import db
from server.glossary import CLUE_OUTCOMES
from server.models import Clue, Plan, Unit, User

ACTIONS = {
    "clue.created": "登记线索",
    "clue.imported": "导入线索",
    "clue.updated": "修改线索",
    "clue.merged": "合并为重复线索",
    "clue.rejected": "不予采用",
    "clue.forwarded": "转办",
    "clue.answered": "单位答复",
    "clue.planned": "纳入暗访计划",
    "clue.unplanned": "移出暗访计划",
    "clue.closed": "办结",
    "clue.replied": "答复来源",
    "clue.attached": "上传附件",
}
FIELDS = {
    "source": "来源", "source_ref": "来源编号", "received_on": "受理日期", "summary": "摘要",
    "place": "地点", "site_id": "点位", "lat": "纬度", "lon": "经度", "region_code": "区划",
    "unit_id": "涉及单位", "topic_id": "分类", "has_contact": "反映人信息",
}  # fmt: skip


@dataclass
class Entry:
    at: datetime
    who: str
    what: str
    detail: str


def _name(model, ident, attr: str) -> str:
    try:
        row = db.session.get(model, uuid.UUID(str(ident))) if ident else None
    except ValueError:
        row = None
    return getattr(row, attr) if row is not None else ""


def _detail(action: str, details: dict) -> str:
    if action == "clue.updated":
        changed = [FIELDS[k] for k in (details.get("changes") or {}) if k in FIELDS]
        return "修改了:" + "、".join(changed) if changed else "修改了反映人信息"
    if action == "clue.merged":
        return f"并入 {_name(Clue, details.get('into'), 'code')}"
    if action == "clue.rejected":
        return f"理由:{details.get('reason', '')}"
    if action == "clue.forwarded":
        unit = _name(Unit, details.get("unit_id"), "name")
        return f"转 {unit},{details.get('due', '')} 前答复"
    if action in ("clue.planned", "clue.unplanned"):
        return f"计划 {_name(Plan, details.get('plan_id'), 'code')}"
    if action == "clue.closed":
        return CLUE_OUTCOMES.get(details.get("outcome", ""), "")
    return ""


def entries(clue: Clue) -> list[Entry]:
    events = history(clue)
    ids = {e.actor_id for e in events if e.actor_id}
    names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )
    return [
        Entry(
            at=e.at,
            who=names.get(e.actor_id, "系统"),
            what=ACTIONS.get(e.action, "其他操作"),
            detail=_detail(e.action, e.details or {}),
        )
        for e in events
    ]
