"""Rectification items (整改事项): one line of the three lists (problems, measures,
responsibility), issued to a responsible unit with a deadline and followed until a passed
verification closes it (销号). See docs/rectification.md."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, Versioned, enum_type, link_table
from server.models.site import Site
from server.models.unit import Unit
from server.models.user import User

if TYPE_CHECKING:
    from server.models.field import Finding


class RectificationStatus(enum.StrEnum):
    draft = "draft"  # 待交办
    issued = "issued"  # 已交办
    acknowledged = "acknowledged"  # 已签收
    in_progress = "in_progress"  # 整改中 (also after a return)
    closure_requested = "closure_requested"  # 申请销号
    closed = "closed"  # 已销号


# Items a follow-up inspection can re-check: issued to a unit and not yet closed.
OPEN_FOR_RECHECK = (
    RectificationStatus.issued,
    RectificationStatus.acknowledged,
    RectificationStatus.in_progress,
    RectificationStatus.closure_requested,
)

TITLE_MAX = 60  # the column's width
TITLE_CHARS = 20  # a default title's length: a list line, not a policy number
_SENTENCE_END = re.compile(r"[。;;!!??\n\r]")


def default_title(problem: str | None) -> str:
    """An item's title when none is typed: the problem's first sentence, cut short. The
    title migration (9a3b6e0d2c15) backfilled with a frozen copy of this rule."""
    head = _SENTENCE_END.split((problem or "").strip(), maxsplit=1)[0].strip()
    return head[:TITLE_CHARS]


def _title_default(context) -> str:
    return default_title(context.get_current_parameters().get("problem"))


rectification_finding = link_table(
    "rectification_finding", "rectification", "finding_id", "finding"
)

rectification_supporting_unit = link_table(
    "rectification_supporting_unit", "rectification", "unit_id", "unit", index=None
)


_FIGURES_INDEX = (
    *("office_unit_id", "status", "listed", "unit_id", "region_code"),
    *("red_from", "deadline", "closed_at", "issued_at"),
)
_CLOSED_INDEX = (
    *("office_unit_id", "closed_at", "status"),
    *("unit_id", "region_code", "lead_official_id", "listed"),
)


class Rectification(UUIDKey, Timestamps, Versioned, Base):
    __tablename__ = "rectification"
    __table_args__ = (
        UniqueConstraint("office_unit_id", "code"),
        # Colour counts and filters (status open and red_from <= today).
        Index("ix_rectification_ledger", "office_unit_id", "status", "red_from"),
        # The dashboards (bench/dashboards.py), read from the index alone: the state
        # figures, grouped by status, listed, unit and township in the index's order
        # (dashboards.item_figures._states), and the items closed per week, by closing
        # time; each with the columns of the readers' scopes and filters.
        Index("ix_rectification_figures", *_FIGURES_INDEX),
        Index("ix_rectification_closed", *_CLOSED_INDEX),
    )

    code: Mapped[str] = mapped_column(String(40))
    # Short title for lists, exports and notifications; defaults to the problem's start.
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default=_title_default, server_default="")
    problem: Mapped[str] = mapped_column(Text)  # 问题
    measures: Mapped[str] = mapped_column(Text, default="")  # 措施
    requirements: Mapped[str] = mapped_column(Text, default="")  # 整改要求
    office_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"))  # 责任单位
    # Copied from the unit so the ledger filters by region without a join.
    region_code: Mapped[str] = mapped_column(String(12), default="")  # its site's, else its unit's
    source_plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("site.id"))
    lead_official_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id")
    )  # 牵头领导
    responsible_person: Mapped[str] = mapped_column(String(60), default="")  # 责任人
    listed: Mapped[bool] = mapped_column(Boolean, default=False)  # 挂牌督办
    status: Mapped[RectificationStatus] = mapped_column(
        enum_type(RectificationStatus), default=RectificationStatus.draft, index=True
    )
    # Either a date, or N working days counted from the day it is issued.
    deadline: Mapped[date | None] = mapped_column(index=True)
    deadline_working_days: Mapped[int | None]
    # False while the deadline reaches into a year with no imported holiday schedule.
    deadline_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    report_every_days: Mapped[int | None]  # progress-report cadence; None = the setting
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    closure_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    return_count: Mapped[int] = mapped_column(default=0)
    progress_percent: Mapped[int] = mapped_column(default=0)
    last_progress_at: Mapped[datetime | None]
    # First day the item is red with its current facts (see server/rectification/colour.py);
    # derived, never typed, and recomputed whenever those facts or the rules change.
    red_from: Mapped[date | None]

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    office: Mapped[Unit] = relationship(foreign_keys=[office_unit_id])
    site: Mapped[Site | None] = relationship()
    lead_official: Mapped[User | None] = relationship(foreign_keys=[lead_official_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    supporting_units: Mapped[list[Unit]] = relationship(
        secondary=rectification_supporting_unit, order_by=Unit.name
    )
    findings: Mapped[list[Finding]] = relationship(secondary=rectification_finding)


# The ledger's order (listed first, then by deadline and code) after each filter it is most
# often read with, so a page of 50 is read from an index in order instead of sorting every
# matching item; status last so the page's count (drafts left out) reads the index alone
# (bench/ledger.py: 100 ms with 200,000 items).
_ORDER = (Rectification.listed.desc(), Rectification.deadline, Rectification.code)
_PAGES = {
    "office": (Rectification.office_unit_id,),
    "region": (Rectification.office_unit_id, Rectification.region_code),
    "unit": (Rectification.unit_id,),
    "lead": (Rectification.lead_official_id,),
}
# The whole ledger's deep pages read each urgency group's ids up to the page's end
# (rectification/ledger_order.py): with red_from and id the office's index answers alone
# (page 100: about 40 ms of table reads on SQLite, 80 on PostgreSQL).
_COVERING = {"office": (Rectification.red_from, Rectification.id)}
for _name, _columns in _PAGES.items():
    _more = _COVERING.get(_name, ())
    Index(f"ix_rectification_{_name}_page", *_columns, *_ORDER, Rectification.status, *_more)
Index("ix_rectification_status_page", Rectification.office_unit_id, Rectification.status, *_ORDER)
