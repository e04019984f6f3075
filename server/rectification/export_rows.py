"""The rows of the XLSX exports (ledger and three lists): the ledger's filters and scope
(queries.filtered, access.visible_clause), drafts never, read in keyset batches by code
so memory stays flat and a job may commit its progress between two batches (each batch
is plain values: nothing is read after the batch's transaction ends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from server import glossary
from server.extensions import db
from server.models import ProgressReport, Rectification, RectificationStatus, User
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


def _row(item: Rectification, today: date, progress: dict) -> dict:
    colour = colour_of(item, today)
    return {
        "code": item.code,
        "title": item.title,
        "problem": item.problem,
        "unit": item.unit.name,
        "lead_official": item.lead_official.display_name if item.lead_official else "",
        "supporting_units": "、".join(u.name for u in item.supporting_units),
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
        "progress_percent": item.progress_percent,
    }


def batches(user: User, args: dict, limit: int, size: int | None = None) -> Iterator[list[dict]]:
    """Every row the filters give (up to `limit`), by code, `size` (BATCH) at a time."""
    today, size = local_today(), size or BATCH
    query = _scoped(user, args, today).options(
        selectinload(Rectification.unit),
        selectinload(Rectification.lead_official),
        selectinload(Rectification.supporting_units),
    )
    key, sent = None, 0
    while sent < limit:
        page = query.order_by(Rectification.code, Rectification.id)
        if key is not None:
            page = page.where(tuple_(Rectification.code, Rectification.id) > key)
        items = db.session.scalars(page.limit(min(size, limit - sent))).all()
        if not items:
            return
        progress = _latest_progress([i.id for i in items])
        rows = [_row(i, today, progress) for i in items]
        key, sent = (items[-1].code, items[-1].id), sent + len(items)
        yield rows
        if len(items) < size:
            return
