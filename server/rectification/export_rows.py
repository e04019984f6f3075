"""The rows of the XLSX exports (ledger and three lists): the ledger's filters and scope
(queries.filtered, access.visible_clause), drafts never. Read office by office in keyset
batches by code (a range of the office's unique index, no sort), so memory stays flat and
a job may commit its progress between two batches (each batch is plain values: nothing
is read after the batch's transaction ends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from server import glossary
from server.extensions import db
from server.models import (
    ProgressReport,
    Rectification,
    RectificationStatus,
    Unit,
    User,
    rectification_supporting_unit,
)
from server.rectification import ledger_order
from server.rectification.colour import colour_of
from server.rectification.queries import filtered
from server.timeutil import local_today

BATCH = 1000


def _scoped(user: User, args: dict, today: date):
    args = {**args, "include_drafts": False}
    return filtered(user, args, today).where(Rectification.status != RectificationStatus.draft)


def count(user: User, args: dict) -> int:
    return ledger_order.count(_scoped(user, args, local_today()))


def _latest_progress(ids) -> dict:
    """{item id: '2026-11-03 body'} of each item's newest progress report."""
    rows = db.session.execute(
        select(ProgressReport.rectification_id, ProgressReport.body, ProgressReport.created_at)
        .where(ProgressReport.rectification_id.in_(ids))
        .order_by(ProgressReport.rectification_id, ProgressReport.created_at)
    )
    return {r.rectification_id: f"{local_today(r.created_at).isoformat()} {r.body}" for r in rows}


def _supporting(ids) -> dict:
    """{item id: '住建局、林业局'} of the items' supporting units (配合单位)."""
    link = rectification_supporting_unit
    rows = db.session.execute(
        select(link.c.rectification_id, Unit.name)
        .join(Unit, Unit.id == link.c.unit_id)
        .where(link.c.rectification_id.in_(ids))
        .order_by(Unit.name)
    )
    names: dict = {}
    for item_id, name in rows:
        names.setdefault(item_id, []).append(name)
    return {item_id: "、".join(v) for item_id, v in names.items()}


# Plain columns, not ORM objects: a batch of 1,000 rows costs a third of the time.
COLUMNS = (
    *(Rectification.id, Rectification.office_unit_id, Rectification.code, Rectification.title),
    *(Rectification.problem, Rectification.measures, Rectification.requirements),
    *(Rectification.responsible_person, Rectification.deadline, Rectification.status),
    *(Rectification.red_from, Rectification.listed, Rectification.closed_at),
    Unit.name.label("unit_name"),
    User.display_name.label("lead_name"),
)


def _row(item, today: date, progress: dict, supporting: dict) -> dict:
    colour = colour_of(item, today)  # reads status and red_from, as of an item
    return {
        "code": item.code,
        "title": item.title,
        "problem": item.problem,
        "unit": item.unit_name,
        "lead_official": item.lead_name or "",
        "supporting_units": supporting.get(item.id, ""),
        "measures": item.measures,
        "requirements": item.requirements,
        "responsible_person": item.responsible_person,
        "deadline": item.deadline,
        "status": glossary.RECTIFICATION_STATUSES[item.status],
        "colour": colour,
        "colour_label": glossary.COLOURS.get(colour, ""),
        "listed": "是" if item.listed else "否",
        "latest_progress": progress.get(item.id, ""),
        "closed_on": local_today(item.closed_at) if item.closed_at else None,
    }


def batches(user: User, args: dict, limit: int, size: int | None = None) -> Iterator[list[dict]]:
    """Every row the filters give (up to `limit`), office by office and by code within
    each, `size` (BATCH) at a time."""
    today, size = local_today(), size or BATCH
    scoped = _scoped(user, args, today)
    query = (
        scoped.with_only_columns(*COLUMNS, maintain_column_froms=False)
        .select_from(Rectification)
        .join(Unit, Unit.id == Rectification.unit_id)
        .outerjoin(User, User.id == Rectification.lead_official_id)
        .order_by(Rectification.code)
    )
    offices = db.session.scalars(
        scoped.with_only_columns(Rectification.office_unit_id).distinct().order_by(None)
    ).all()
    sent = 0
    for office in sorted(offices, key=str):
        # office = ? AND code > ?: a range of the office's unique index, read in order.
        mine, last = query.where(Rectification.office_unit_id == office), None
        while sent < limit:
            page = mine.where(Rectification.code > last) if last is not None else mine
            items = db.session.execute(page.limit(min(size, limit - sent))).all()
            if not items:
                break
            ids = [i.id for i in items]
            progress, supporting = _latest_progress(ids), _supporting(ids)
            yield [_row(i, today, progress, supporting) for i in items]
            last, sent = items[-1].code, sent + len(items)
            if len(items) < size:
                break
