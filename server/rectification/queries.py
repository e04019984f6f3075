"""Reading items: the ledger (工作台账) with its filters and colours, the three lists,
and an item's history. Everything is scoped by access.visible_clause first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.functions import FunctionElement

from server.errors import ApiError
from server.extensions import db
from server.models import (
    OPEN_FOR_RECHECK,
    AuditEvent,
    ExtensionRequest,
    ExtensionStatus,
    Plan,
    Rectification,
    RectificationStatus,
    Role,
    Unit,
    User,
    Verification,
    VerificationStatus,
    plan_rectification,
)
from server.plans.queries import target_units
from server.rectification import instructions, ledger_order
from server.rectification.access import visible_clause
from server.rectification.colour import (  # noqa: F401  (GREEN, RED, YELLOW: for the dashboards)
    COLOURS,
    GREEN,
    OPEN_STATUSES,
    RED,
    YELLOW,
    colour_clause,
)
from server.search import contains_text
from server.timeutil import CHINA, local_today

THREE_LISTS_MAX = 5000


def filtered(user: User, args: dict, today: date):
    query = select(Rectification).where(visible_clause(user, scanning=bool(args.get("q"))))
    office_view = user.role in (Role.supervisor, Role.admin)
    if args.get("plan_id"):
        if not office_view:
            raise ApiError(403, "forbidden", "无权按督查计划筛选")
        # Made from the plan's findings, or followed up by it (回头看 plans). With planner
        # statistics (flask analyze-db) SQLite reads each side from its own index.
        followed = select(plan_rectification.c.rectification_id).where(
            plan_rectification.c.plan_id == args["plan_id"]
        )
        query = query.where(
            or_(Rectification.source_plan_id == args["plan_id"], Rectification.id.in_(followed))
        )
    for name in ("unit_id", "region_code", "lead_official_id"):
        if args.get(name):
            query = query.where(getattr(Rectification, name) == args[name])
    if args.get("status"):
        query = query.where(Rectification.status == args["status"])
    elif not args.get("include_drafts"):
        query = query.where(Rectification.status != RectificationStatus.draft)
    if args.get("colour"):
        query = query.where(colour_clause(args["colour"], today))
    if args.get("listed") is not None:
        query = query.where(Rectification.listed.is_(args["listed"]))
    if args.get("q"):
        texts = (Rectification.code, Rectification.title, Rectification.problem)
        query = query.where(contains_text(texts, args["q"]))
    return query.where(*_drill_down(args, office_view, today))


class local_day(FunctionElement):
    """The China Standard Time day of a stored UTC moment, in SQL (SQLite stores UTC text,
    PostgreSQL timestamptz)."""

    type = Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day)
def _local_day_default(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, '+8 hours')"


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column}) AT TIME ZONE 'Asia/Shanghai' AS DATE)"


def day_start(day: date) -> datetime:
    """The first moment of a China day, in UTC (what the columns store)."""
    return datetime.combine(day, time(), tzinfo=CHINA).astimezone(UTC)


def between_days(column, start: date | None, end: date | None) -> list:
    """`column` (a UTC moment) on the China days start..end, both included."""
    where = []
    if start:
        where.append(column >= day_start(start))
    if end:
        where.append(column < day_start(end + timedelta(days=1)))
    return where


# Not closed, and the unit has not asked to close it yet: what "overdue" counts.
STILL_WORKING = (
    RectificationStatus.issued,
    RectificationStatus.acknowledged,
    RectificationStatus.in_progress,
)


def closed_on_time():
    return (Rectification.status == RectificationStatus.closed) & (
        local_day(Rectification.closed_at) <= Rectification.deadline
    )


def overdue_clause(today: date):
    return Rectification.status.in_(STILL_WORKING) & (Rectification.deadline < today)


def _drill_down(args: dict, office_view: bool, today: date) -> list:
    """The dashboards' filters (docs/dashboards.md); each only when named."""
    where = []
    if args.get("open") is not None:
        open_ = Rectification.status.in_(OPEN_STATUSES)
        where.append(open_ if args["open"] else Rectification.status == RectificationStatus.closed)
    if args.get("overdue") is not None:
        clause = overdue_clause(today)
        where.append(clause if args["overdue"] else ~clause)
    if args.get("on_time") is not None:
        where.append(closed_on_time() if args["on_time"] else ~closed_on_time())
    if args.get("extension_pending") is not None:
        waiting = exists().where(
            ExtensionRequest.rectification_id == Rectification.id,
            ExtensionRequest.status == ExtensionStatus.pending,
        )
        where.append(waiting if args["extension_pending"] else ~waiting)
    if args.get("open_instruction") is not None:
        waiting = instructions.open_clause()
        where.append(waiting if args["open_instruction"] else ~waiting)
    where += between_days(Rectification.issued_at, args.get("issued_from"), args.get("issued_to"))
    where += between_days(Rectification.closed_at, args.get("closed_from"), args.get("closed_to"))
    if args.get("deadline_from"):
        where.append(Rectification.deadline >= args["deadline_from"])
    if args.get("deadline_to"):
        where.append(Rectification.deadline <= args["deadline_to"])
    office_only = ("plan_kind", "verification", "verified_from", "verified_to")
    if any(args.get(name) for name in office_only) and not office_view:
        raise ApiError(403, "forbidden", "无权按督查计划或复查结果筛选")
    if args.get("plan_kind"):
        kinds = select(Plan.id).where(Plan.kind == args["plan_kind"])
        where.append(Rectification.source_plan_id.in_(kinds))
    if args.get("verification") or args.get("verified_from") or args.get("verified_to"):
        decided = [Verification.rectification_id == Rectification.id]
        decided.append(
            Verification.status == args["verification"]
            if args.get("verification")
            else Verification.status.in_(DECIDED)
        )
        decided += between_days(
            Verification.decided_at, args.get("verified_from"), args.get("verified_to")
        )
        where.append(exists().where(*decided))
    return where


DECIDED = (VerificationStatus.passed, VerificationStatus.failed)


def ledger(user: User, args: dict, today: date | None = None) -> dict:
    """One page of the ledger, most urgent first (urgency_groups), then listed items
    first, then by deadline."""
    today = today or local_today()
    query = filtered(user, args, today)
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    order, first = ledger_order.page_order(args), (page - 1) * per_page
    if not args.get("q"):
        rows = ledger_order.urgent_page(query, args, first, per_page, today)
        return {
            "items": rows,
            "total": ledger_order.count(query),
            "page": page,
            "per_page": per_page,
            "today": today,
        }
    # A text search reads every row: read them once for the count and the page.
    order = (ledger_order.urgency_rank(today), *order)
    keys = db.session.scalars(query.with_only_columns(Rectification.id).order_by(*order)).all()
    wanted = keys[first : first + per_page]
    rows = db.session.scalars(
        select(Rectification)
        .where(Rectification.id.in_(wanted))
        .options(selectinload(Rectification.unit), selectinload(Rectification.lead_official))
        .order_by(*order)
    ).all()
    return {"items": rows, "total": len(keys), "page": page, "per_page": per_page, "today": today}


def colour_counts(user: User, args: dict, today: date | None = None) -> dict:
    """How many items of each colour the same filters give (the colour filter aside), in
    one statement: one read of the index, or of the table for a text search."""
    today = today or local_today()
    where = filtered(user, {**args, "colour": None}, today).whereclause
    counts = db.session.execute(
        select(*(func.count().filter(colour_clause(c, today)) for c in COLOURS))
        .select_from(Rectification)
        .where(where)
    ).one()
    return dict(zip(COLOURS, counts, strict=True))


def three_lists(user: User, args: dict) -> dict:
    """问题清单、措施清单、责任清单 for a plan, a unit or everything visible."""
    query = filtered(user, {**args, "colour": None}, local_today()).options(
        selectinload(Rectification.unit),
        selectinload(Rectification.lead_official),
        selectinload(Rectification.supporting_units),
    )
    rows = db.session.scalars(query.order_by(Rectification.code).limit(THREE_LISTS_MAX + 1)).all()
    truncated = len(rows) > THREE_LISTS_MAX
    rows = rows[:THREE_LISTS_MAX]
    return {
        "problems": [
            {
                "code": r.code,
                "title": r.title,
                "problem": r.problem,
                "unit": r.unit.name,
                "listed": r.listed,
            }
            for r in rows
        ],
        "measures": [
            {
                "code": r.code,
                "measures": r.measures,
                "requirements": r.requirements,
                "deadline": r.deadline,
                "deadline_confirmed": r.deadline_confirmed,
            }
            for r in rows
        ],
        "responsibility": [
            {
                "code": r.code,
                "lead_official": r.lead_official.display_name if r.lead_official else None,
                "unit": r.unit.name,
                "supporting_units": [u.name for u in r.supporting_units],
                "responsible_person": r.responsible_person,
                "deadline": r.deadline,
                "deadline_confirmed": r.deadline_confirmed,
            }
            for r in rows
        ],
        "total": len(rows),
        "truncated": truncated,
    }


# What the unit may read of an item's history; verifications and edits stay in the office.
UNIT_EVENTS = (
    "rectification.issued",
    "rectification.acknowledged",
    "rectification.progress_reported",
    "rectification.extension_requested",
    "rectification.extension_decided",
    "rectification.closure_requested",
    "rectification.returned",
    "rectification.closed",
)


def history(item: Rectification, office_view: bool) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "rectification", AuditEvent.entity_id == str(item.id)
    )
    if not office_view:
        query = query.where(AuditEvent.action.in_(UNIT_EVENTS))
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def unit(unit_id) -> Unit | None:
    return db.session.get(Unit, unit_id)


def filter_choices(user: User) -> dict:
    """What the ledger's filter forms offer. Plans only to a supervisor: her office's."""
    if user.role == Role.leader:
        leads = [user]
    else:  # leaders, and the supervisors of the office (all of them for an admin)
        desk = User.role == Role.supervisor
        if user.role == Role.supervisor:
            desk = desk & (User.unit_id == user.unit_id)
        leads = list(
            db.session.scalars(
                select(User)
                .where(User.active, (User.role == Role.leader) | desk)
                .order_by(User.display_name)
            )
        )
    plans = []
    if user.role == Role.supervisor:
        plans = list(
            db.session.scalars(
                select(Plan)
                .where(Plan.office_unit_id == user.unit_id)
                .order_by(Plan.window_start.desc(), Plan.code)
                .limit(300)
            )
        )
    return {"units": target_units(), "leads": leads, "plans": plans}


def names_by_id(key, name, ids) -> dict:
    """{id: name} for a column pair, e.g. (Rectification.id, Rectification.code)."""
    return dict(db.session.execute(select(key, name).where(key.in_(set(ids) - {None}))).all())


def open_items_for_summons(user: User, unit_id, limit: int) -> list[Rectification]:
    """The office's open items a summons (约谈) may name: one unit's, or all grouped by
    unit when none is chosen yet."""
    query = select(Rectification).where(
        Rectification.office_unit_id == user.unit_id,
        Rectification.status.in_(OPEN_FOR_RECHECK),
    )
    if unit_id:
        query = query.where(Rectification.unit_id == unit_id)
    query = (
        query.join(Unit, Unit.id == Rectification.unit_id)
        .options(selectinload(Rectification.unit))
        .order_by(Unit.code, Rectification.listed.desc(), Rectification.code)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def item_clause(user: User, args: dict, today: date | None = None):
    """The WHERE of the ledger for these filters (LedgerArgsSchema's), for counts read
    elsewhere (the dashboards): the same items the ledger lists."""
    return filtered(user, args, today or local_today()).whereclause


def ledger_filters_schema():
    """The ledger's filters (LedgerArgsSchema), for another domain's page that lists the
    same items (the responsible unit's drill-down from its dashboard)."""
    from server.rectification.schemas import LedgerArgsSchema

    return LedgerArgsSchema()
