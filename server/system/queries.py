"""Reads for the admin's start page."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import Site, Unit, User


def admin_counts() -> dict[str, int]:
    """Users active and disabled; units and sites in use (deactivated ones are gone from
    every choice, so they are not counted)."""
    users = dict(db.session.execute(select(User.active, func.count()).group_by(User.active)).all())
    return {
        "users_active": users.get(True, 0),
        "users_disabled": users.get(False, 0),
        "units": db.session.scalar(select(func.count()).select_from(Unit).where(Unit.active)),
        "sites": db.session.scalar(select(func.count()).select_from(Site).where(Site.active)),
    }
