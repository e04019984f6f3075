"""Replies back to the source (办理结果回复): one row per ended clue of the office, in the
12345 platform's reply import format. A merged duplicate is a work order of its own that
needs its own reply: it carries the outcome, reply and end time of the clue it was merged
into (and waits until that clue has ended). Never the reporter's name or contact."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from server.clues.access import office_clause
from server.csvfile import csv_text
from server.extensions import db
from server.glossary import CLUE_OUTCOMES, CLUE_SOURCES
from server.models import Clue, ClueOutcome, ClueStatus, Unit, User
from server.schemas import BaseSchema
from server.timeutil import CHINA

HEADER = ("工单编号", "办理结果", "答复内容", "办结时间", "办理单位", "是否属实")
PAGE_ROWS = 50
EXPORT_MAX = 20_000
REPLIED = (ClueStatus.closed, ClueStatus.rejected)
TRUE = {ClueOutcome.rectified: "是", ClueOutcome.not_verified: "否"}


class ReplyArgsSchema(BaseSchema):
    """The page's filters; the source defaults to the hotline, "all" for every source."""

    closed_from = fields.Date()
    closed_to = fields.Date()
    source = fields.String(load_default="hotline", validate=validate.OneOf([*CLUE_SOURCES, "all"]))
    outcome = fields.String(validate=validate.OneOf(list(CLUE_OUTCOMES)))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = data.get("closed_from"), data.get("closed_to")
        if start and end and start > end:
            raise ValidationError("开始日期不能晚于结束日期", "closed_to")


@dataclass(frozen=True)
class Reply:
    code: str  # the office's own number, for the page
    source_ref: str
    source: str
    outcome: ClueOutcome
    reply: str
    closed_at: datetime
    office: str
    merged_into: str  # the main clue's code for a merged duplicate

    @property
    def outcome_label(self) -> str:
        return CLUE_OUTCOMES[self.outcome.value]

    @property
    def verified(self) -> str:
        return TRUE.get(self.outcome, "—")

    def cells(self) -> list[str]:
        return [
            self.source_ref or self.code, self.outcome_label, self.reply,
            self.closed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            self.office, self.verified,
        ]  # fmt: skip


def _bound(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA).astimezone(UTC)


def _query(user: User, args: dict):
    main = aliased(Clue)
    outcome = func.coalesce(main.outcome, Clue.outcome)
    closed_at = func.coalesce(main.closed_at, Clue.closed_at)
    query = (
        select(Clue, main, Unit.name)
        .outerjoin(main, Clue.merged_into_id == main.id)
        .join(Unit, Unit.id == Clue.office_unit_id)
        .where(
            office_clause(user),
            or_(
                Clue.status.in_(REPLIED),
                (Clue.status == ClueStatus.merged) & main.status.in_(REPLIED),
            ),
        )
    )
    if args.get("source", "hotline") != "all":
        query = query.where(Clue.source == args.get("source", "hotline"))
    if args.get("outcome"):
        query = query.where(outcome == args["outcome"])
    if args.get("closed_from"):
        query = query.where(closed_at >= _bound(args["closed_from"]))
    if args.get("closed_to"):
        query = query.where(closed_at < _bound(args["closed_to"] + timedelta(days=1)))
    return query, closed_at


def _reply(clue: Clue, main: Clue | None, office: str) -> Reply:
    ended = main or clue
    return Reply(
        clue.code, clue.source_ref or "", clue.source.value, ended.outcome, ended.reply,
        ended.closed_at, office, main.code if main else "",
    )  # fmt: skip


def replies(user: User, args: dict, limit: int = PAGE_ROWS, offset: int = 0) -> list[Reply]:
    query, closed_at = _query(user, args)
    query = query.order_by(closed_at.desc(), Clue.code).limit(limit).offset(offset)
    return [_reply(c, m, name) for c, m, name in db.session.execute(query)]


def count(user: User, args: dict) -> int:
    query, _ = _query(user, args)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def to_csv(rows: list[Reply]) -> bytes:
    return csv_text(HEADER, (row.cells() for row in rows)).encode("utf-8")


def to_xlsx(rows: list[Reply]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("办理结果")
    head = book.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1})
    text = book.add_format({"num_format": "@", "valign": "top"})
    for col, (title, width) in enumerate(zip(HEADER, (22, 16, 60, 20, 26, 10), strict=True)):
        sheet.write_string(0, col, title, head)
        sheet.set_column(col, col, width, text)
    for number, row in enumerate(rows, 1):
        for col, cell in enumerate(row.cells()):
            sheet.write_string(number, col, cell, text)  # text cells: numbers keep their zeros
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
