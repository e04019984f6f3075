"""Reads for the units, regions and sites pages: paged lists with search, the forms'
choices, and region names for wherever a region code is shown."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from server.extensions import db
from server.models import Region, Site, Unit

PER_PAGE = 50


def _paged(stmt, args: dict, order) -> dict:
    page = args.get("page", 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    return {
        "items": list(rows),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
    }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _active(stmt, model, status: str | None):
    if status == "inactive":
        return stmt.where(model.active.is_(False))
    if status == "all":
        return stmt
    return stmt.where(model.active.is_(True))


def list_units(args: dict) -> dict:
    stmt = _active(select(Unit), Unit, args.get("status"))
    if args.get("q"):
        like = _like(args["q"])
        stmt = stmt.where(
            or_(
                Unit.name.ilike(like, escape="\\"),
                Unit.code.ilike(like, escape="\\"),
                Unit.region_code.like(like, escape="\\"),
            )
        )
    return _paged(stmt, args, (Unit.region_code, Unit.code))


def list_regions(args: dict) -> dict:
    stmt = select(Region)
    if args.get("q"):
        like = _like(args["q"])
        stmt = stmt.where(
            or_(Region.name.ilike(like, escape="\\"), Region.code.like(like, escape="\\"))
        )
    return _paged(stmt, args, (Region.code,))


def list_sites(args: dict) -> dict:
    stmt = _active(select(Site).join(Site.unit), Site, args.get("status"))
    if args.get("unit_id"):
        stmt = stmt.where(Site.unit_id == args["unit_id"])
    if args.get("q"):
        like = _like(args["q"])
        stmt = stmt.where(
            or_(
                Site.name.ilike(like, escape="\\"),
                Site.address.ilike(like, escape="\\"),
                Site.region_code.like(like, escape="\\"),
                Unit.name.ilike(like, escape="\\"),
            )
        )
    return _paged(stmt, args, (Site.region_code, Site.name))


def unit_choices() -> list[Unit]:
    """Active units for a form's select, by region then name."""
    stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.region_code, Unit.name)
    return list(db.session.scalars(stmt))


def region_choices() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def region_names() -> dict[str, str]:
    """Every named region, code -> name (a county's or a province's: hundreds to a few
    thousand short rows, read once per page)."""
    return dict(db.session.execute(select(Region.code, Region.name)).all())
