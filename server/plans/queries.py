"""Reading plans: the list (only what the reader may see; totals count nothing else) and
an office's yearly figures against the policy goals."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.errors import ApiError
from server.extensions import db
from server.models import Plan, PlanKind, PlanMode, PlanStatus, Role, Site, Unit, UnitKind, User
from server.plans.access import visible_clause
from server.plans.draws import TARGET_UNIT_KINDS
from server.plans.operations import LEADER_ROLES
from server.search import contains_text
from server.settings import get_setting


def list_plans(user: User, args: dict) -> dict:
    query = select(Plan).where(visible_clause(user))
    for name in ("status", "mode", "kind"):
        if args.get(name):
            query = query.where(getattr(Plan, name) == args[name])
    if args.get("year"):
        year = args["year"]
        query = query.where(Plan.window_start.between(date(year, 1, 1), date(year, 12, 31)))
    if args.get("q"):
        query = query.where(contains_text((Plan.code, Plan.title, Plan.matter), args["q"]))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    items = db.session.scalars(
        query.order_by(Plan.window_start.desc(), Plan.code)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def figures_office(user: User, office_id: uuid.UUID | None) -> Unit:
    """Figures count every plan of an office, secret ones included: only that office's
    supervisors and admins may read them."""
    if user.role == Role.admin:
        office = db.session.get(Unit, office_id or user.unit_id)
    elif user.role == Role.supervisor and office_id in (None, user.unit_id):
        office = user.unit
    else:
        office = None
    if office is None:
        raise ApiError(404, "not_found", "督查机构不存在")
    return office


def _share(count: int, total: int, goal: float) -> dict:
    share = count / total if total else None
    return {
        "count": count,
        "total": total,
        "share": share,
        "goal": goal,
        "met": None if share is None else share >= goal,
    }


def drawn_units(plan: Plan) -> set[uuid.UUID]:
    """Target units that came from the plan's draws (a drawn site counts for its unit)."""
    units = set()
    for draw in plan.draws:
        unit_of = {t["id"]: t["unit_id"] for t in draw.inputs["targets"]}  # a unit is its own
        units.update(uuid.UUID(unit_of[t]) for t in draw.result["target_ids"])
    return units


def yearly_figures(office: Unit, year: int) -> dict:
    """Plans counted by the year their window starts; drafts are not inspections yet."""
    plans = db.session.scalars(
        select(Plan)
        .where(
            Plan.office_unit_id == office.id,
            Plan.status != PlanStatus.draft,
            Plan.window_start.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .options(selectinload(Plan.target_units), selectinload(Plan.draws))
    ).all()
    total = len(plans)
    unannounced = sum(1 for p in plans if p.mode != PlanMode.open)
    routine = sum(
        1 for p in plans if p.mode != PlanMode.open and p.kind == PlanKind.routine_special
    )
    targets = drawn = 0
    for plan in plans:
        units = {u.id for u in plan.target_units}
        targets += len(units)
        drawn += len(units & drawn_units(plan))
    return {
        "year": year,
        "office": {"id": office.id, "name": office.name},
        "plans": total,
        "unannounced": _share(unannounced, total, get_setting("unannounced_share_goal")),
        "routine_special": _share(routine, total, get_setting("routine_special_share_goal")),
        "random_targets": _share(drawn, targets, get_setting("random_share_goal")),
    }


def rows(model, *where, order, options=()) -> list:
    """The rows a form offers (its choices and candidates)."""
    return list(db.session.scalars(select(model).where(*where).order_by(*order).options(*options)))


def offices() -> list[Unit]:
    return rows(Unit, Unit.kind == UnitKind.office, order=(Unit.code,))


def active_sites() -> list[Site]:
    return rows(Site, Site.active, order=(Site.name,), options=[selectinload(Site.unit)])


def target_units() -> list[Unit]:
    """The units a plan may target and an item may be issued to."""
    return rows(Unit, Unit.active, Unit.kind.in_(TARGET_UNIT_KINDS), order=(Unit.code,))


def leaders() -> list[User]:
    """Who may lead a plan or an item: leaders and the supervisors of the office."""
    return rows(
        User, User.active, User.role.in_(LEADER_ROLES), order=(User.role, User.display_name)
    )


def inspectors() -> list[User]:
    return rows(User, User.active, User.role == Role.inspector, order=(User.display_name,))


def users_by_id(ids) -> dict:
    wanted = set(ids) - {None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


def draw_result_names(pool: str, results: list[dict]) -> dict[str, str]:
    """Names for the ids in draw results (targets of the pool, and inspectors)."""
    wanted = {"target": set(), "inspector": set()}
    for result in results:
        wanted["target"].update(result["target_ids"])
        wanted["inspector"].update(result["inspector_ids"])
    names = {}
    for model, key in ((Site if pool == "site" else Unit, "target"), (User, "inspector")):
        ids = [uuid.UUID(i) for i in wanted[key]]
        for row in db.session.scalars(select(model).where(model.id.in_(ids))) if ids else ():
            names[str(row.id)] = row.display_name if model is User else row.name
    return names


def draw_names(draws) -> dict[str, str]:
    names = {}
    for draw in draws:
        names.update(draw_result_names(str(draw.pool), [draw.result]))
    return names
