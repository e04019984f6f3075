"""What the map shows a reader: sites, check-ins (签到), findings and items as points, each
with the ledger colour, a title, a line of detail and the console page it links to.

Everything is scoped by the domains' own access rules:
- items: rectification.access.visible_clause (issued items only, as on the ledger): the
  office's for a supervisor, the unit's own for a responder, for a leader those he leads
  and his government's offices' 挂牌督办 items;
- sites: every active site for the office (its site list, for planning); for anyone else
  only the sites of the items they see (a unit sees its own items' sites, nothing more);
- check-ins and findings: the office's only (admins: every office's). A unit or a leader
  never sees the field work behind an item, and nothing of a plan before it is issued;
- the plan and kind filters go through plans.access.visible_clause: a plan the reader may
  not see filters as an unknown one does (to nothing), so a filter confirms nothing.

Points are in WGS-84, as stored; the page converts them for its base map at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, or_, select

from server.extensions import db
from server.maps.schemas import LAYERS
from server.models import (
    Finding,
    Plan,
    Rectification,
    RectificationStatus,
    Role,
    Site,
    User,
    Visit,
    plan_rectification,
    plan_site,
    rectification_finding,
)
from server.plans.access import visible_clause as plan_visible
from server.plans.queries import target_units
from server.rectification.access import visible_clause as item_visible
from server.rectification.queries import COLOURS, colour_clause
from server.timeutil import CHINA, local_today

MAX_POINTS = 20_000  # per layer; the page says when a layer was cut short
OFFICE = (Role.admin, Role.supervisor)
VIEWERS = (Role.supervisor, Role.leader, Role.responder, Role.admin)
# Worst first: a site's colour is the worst of its items'.
_RANK = {colour: len(COLOURS) - n for n, colour in enumerate(COLOURS)}  # red 3 … green 1
_BY_RANK = {rank: colour for colour, rank in _RANK.items()}


@dataclass
class Point:
    layer: str
    id: str
    lat: float
    lon: float
    colour: str | None  # red, yellow, green; None: not on the ledger
    title: str
    detail: str
    link: tuple[str, dict] | None  # (endpoint, values) of the record's console page


@dataclass
class Layers:
    points: list[Point] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)


def _rank(today: date):
    return case(*((colour_clause(colour, today), rank) for colour, rank in _RANK.items()), else_=0)


def _moment(day: date, end: bool = False) -> datetime:
    """The start of a China day (or of the next one) as a UTC instant."""
    day = day + timedelta(days=1) if end else day
    return datetime.combine(day, time.min, CHINA).astimezone(UTC)


def _period(column, args: dict) -> list:
    out = []
    if args.get("date_from"):
        out.append(column >= _moment(args["date_from"]))
    if args.get("date_to"):
        out.append(column < _moment(args["date_to"], end=True))
    return out


def _plans(user: User, args: dict):
    """The ids of the plans the plan and kind filters name, among those the reader may
    see; None when neither filter is given."""
    if not args.get("plan_id") and not args.get("kind"):
        return None
    query = select(Plan.id).where(plan_visible(user))
    if args.get("plan_id"):
        query = query.where(Plan.id == args["plan_id"])
    if args.get("kind"):
        query = query.where(Plan.kind == args["kind"])
    return query


def _region(column, args: dict) -> list:
    return [column.startswith(args["region_code"])] if args.get("region_code") else []


def _item_filters(user: User, args: dict, plans) -> list:
    where = [item_visible(user), Rectification.status != RectificationStatus.draft]
    if plans is not None:
        followed = select(plan_rectification.c.rectification_id).where(
            plan_rectification.c.plan_id.in_(plans)
        )
        where.append(or_(Rectification.source_plan_id.in_(plans), Rectification.id.in_(followed)))
    if args.get("unit_id"):
        where.append(Rectification.unit_id == args["unit_id"])
    return where + _period(Rectification.issued_at, args)


def _item_link(user: User, item_id) -> tuple[str, dict]:
    if user.role in OFFICE:
        return "rectification_pages.rectification_detail", {"item_id": item_id}
    return "portal_pages.portal_item", {"item_id": item_id}


def _items(user, args, today, item_where, out: Layers, limit: int) -> None:
    query = (
        select(Rectification, Site, _rank(today).label("rank"))
        .join(Site, Site.id == Rectification.site_id)
        .where(*item_where, *_region(Site.region_code, args))
        .order_by(Rectification.code)
        .limit(limit + 1)
    )
    rows = db.session.execute(query).all()
    _cut(out, "item", rows, limit)
    for item, site, rank in rows[:limit]:
        colour = _BY_RANK.get(rank)
        out.points.append(
            Point(
                "item", str(item.id), site.lat, site.lon, colour,
                f"{item.code} {_short(item.title or item.problem)}",
                f"{site.name} · 挂牌督办" if item.listed else site.name,
                _item_link(user, item.id),
            )
        )  # fmt: skip


def _site_colours(item_where, today) -> dict:
    query = (
        select(Rectification.site_id, func.max(_rank(today)))
        .where(*item_where, Rectification.site_id.is_not(None))
        .group_by(Rectification.site_id)
    )
    return {site_id: _BY_RANK.get(rank) for site_id, rank in db.session.execute(query)}


def _site_link(user: User, site: Site) -> tuple[str, dict]:
    if user.role == Role.responder:
        return "portal_pages.portal_items", {}
    return "ledger_pages.ledger", {"unit_id": site.unit_id}


def _sites(user, args, plans, item_where, colours: dict, out: Layers, limit: int) -> None:
    query = select(Site).where(Site.active, *_region(Site.region_code, args))
    with_items = Site.id.in_(select(Rectification.site_id).where(*item_where))
    if user.role in OFFICE:
        if args.get("unit_id"):
            query = query.where(or_(Site.unit_id == args["unit_id"], with_items))
        if plans is not None:
            planned = select(plan_site.c.site_id).where(plan_site.c.plan_id.in_(plans))
            query = query.where(or_(Site.id.in_(planned), with_items))
    else:
        query = query.where(with_items)
    rows = db.session.scalars(query.order_by(Site.name).limit(limit + 1)).all()
    _cut(out, "site", rows, limit)
    for site in rows[:limit]:
        out.points.append(
            Point(
                "site", str(site.id), site.lat, site.lon, colours.get(site.id),
                site.name, site.address, _site_link(user, site),
            )
        )  # fmt: skip


def _office_plans(user: User) -> list:
    if user.role == Role.admin:
        return []
    return [Plan.office_unit_id == user.unit_id]


def _visits(user, args, plans, colours: dict, out: Layers, limit: int) -> None:
    query = (
        select(Visit, Site, Plan.code)
        .join(Site, Site.id == Visit.site_id)
        .join(Plan, Plan.id == Visit.plan_id)
        .where(Visit.deleted_at.is_(None), *_office_plans(user), *_region(Site.region_code, args))
        .where(*_period(Visit.arrived_at, args))
    )
    if plans is not None:
        query = query.where(Visit.plan_id.in_(plans))
    if args.get("unit_id"):
        query = query.where(Site.unit_id == args["unit_id"])
    rows = db.session.execute(query.order_by(Visit.arrived_at).limit(limit + 1)).all()
    _cut(out, "visit", rows, limit)
    for visit, site, plan_code in rows[:limit]:
        at = visit.arrived_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        lat, lon = (visit.lat, visit.lon) if visit.lat is not None else (site.lat, site.lon)
        out.points.append(
            Point(
                "visit", str(visit.id), lat, lon, colours.get(site.id),
                f"签到 · {site.name}", f"{plan_code} · {at}",
                ("plan_pages.plan_detail", {"plan_id": visit.plan_id}),
            )
        )  # fmt: skip


def _findings(user, args, today, plans, out: Layers, limit: int) -> None:
    worst = (
        select(rectification_finding.c.finding_id, func.max(_rank(today)).label("rank"))
        .join(Rectification, Rectification.id == rectification_finding.c.rectification_id)
        .where(item_visible(user), Rectification.status != RectificationStatus.draft)
        .group_by(rectification_finding.c.finding_id)
        .subquery()
    )
    query = (
        select(Finding, Site, worst.c.rank)
        .join(Plan, Plan.id == Finding.plan_id)
        .outerjoin(Site, Site.id == Finding.site_id)
        .outerjoin(worst, worst.c.finding_id == Finding.id)
        .where(Finding.deleted_at.is_(None), *_office_plans(user), *_region(Site.region_code, args))
        .where(*_period(Finding.observed_at, args))
        .where(or_(Finding.lat.is_not(None), Site.id.is_not(None)))
    )
    if plans is not None:
        query = query.where(Finding.plan_id.in_(plans))
    if args.get("unit_id"):
        unit = args["unit_id"]
        query = query.where(or_(Finding.unit_id == unit, Site.unit_id == unit))
    rows = db.session.execute(query.order_by(Finding.observed_at).limit(limit + 1)).all()
    _cut(out, "finding", rows, limit)
    for finding, site, rank in rows[:limit]:
        lat, lon = (finding.lat, finding.lon) if finding.lat is not None else (site.lat, site.lon)
        if user.role == Role.supervisor:
            link = (
                "finding_pages.triage_queue",
                {"plan_id": finding.plan_id, "status": finding.triage_status.value},
            )
        else:
            link = ("plan_pages.plan_detail", {"plan_id": finding.plan_id})
        out.points.append(
            Point(
                "finding", str(finding.id), lat, lon, _BY_RANK.get(rank),
                f"问题 · {_short(finding.title)}", site.name if site else "", link,
            )
        )  # fmt: skip


def filter_choices(user: User) -> dict:
    """What the filter form offers: the units (not to a unit: its items are its own) and
    the plans the reader may see (the newest 300; none to a unit, which sees no plan)."""
    units, plans = [], []
    if user.role != Role.responder:
        units = target_units()
        plans = list(
            db.session.scalars(
                select(Plan)
                .where(plan_visible(user))
                .order_by(Plan.window_start.desc(), Plan.code)
                .limit(300)
            )
        )
    return {"units": units, "plans": plans}


def site_point(site_id) -> Site | None:
    """The site whose place an item's page shows on its small map (the page has already
    checked that the reader may see the item, and so its site)."""
    return db.session.get(Site, site_id) if site_id else None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut(out: Layers, layer: str, rows, limit: int) -> None:
    if len(rows) > limit:
        out.truncated.append(layer)


def map_points(
    user: User, args: dict, today: date | None = None, limit: int = MAX_POINTS
) -> Layers:
    """The reader's points for the chosen layers (all by default) under the filters, at
    most `limit` a layer (the page's list takes fewer than the map)."""
    today = today or local_today()
    layers = set(args.get("layers") or LAYERS)
    plans = _plans(user, args)
    item_where = _item_filters(user, args, plans)
    out = Layers()
    colours = _site_colours(item_where, today) if layers & {"site", "visit"} else {}
    if "site" in layers:
        _sites(user, args, plans, item_where, colours, out, limit)
    if "visit" in layers and user.role in OFFICE:
        _visits(user, args, plans, colours, out, limit)
    if "finding" in layers and user.role in OFFICE:
        _findings(user, args, today, plans, out, limit)
    if "item" in layers:
        _items(user, args, today, item_where, out, limit)
    return out
