"""Reads behind the console's user administration: the searched, filtered, paged list and
the choices its forms offer."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import Unit, User
from server.search import contains_text


def search_users(args: dict) -> dict:
    """Users matching `q` (username or name), `role`, `unit_id` and `status` (active,
    disabled, must_change), by username, one page of them."""
    query = select(User)
    if args.get("q"):
        query = query.where(contains_text((User.username, User.display_name), args["q"]))
    if args.get("role"):
        query = query.where(User.role == args["role"])
    if args.get("unit_id"):
        query = query.where(User.unit_id == args["unit_id"])
    status = args.get("status")
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "disabled":
        query = query.where(User.active.is_(False))
    elif status == "must_change":
        query = query.where(User.must_change_password.is_(True), User.active.is_(True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    items = db.session.scalars(
        query.order_by(User.username).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def unit_choices() -> list[Unit]:
    """The units an account may be put in (active ones), by name."""
    return list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)))
