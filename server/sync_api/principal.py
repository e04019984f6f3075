"""Who a user is to the sync core: their audience tags.

A change is tagged with everyone who may see the record (before or after the change);
a user's tags select the changes worth looking at. Tags only narrow the search: the
handlers' `visible` decides at read time."""

from __future__ import annotations

from server.models import Role, User
from sync import Principal

ALL = "all"
ADMINS = "role:admin"
SUPERVISORS = "role:supervisor"


def user_tag(user_id) -> str:
    return f"u:{user_id}"


def office_tag(unit_id) -> str:
    """Supervisors of this office (督查室) may see what its plans produce."""
    return f"office:{unit_id}"


def unit_tag(unit_id) -> str:
    """Responders of this unit may see what is issued to it."""
    return f"unit:{unit_id}"


def government_tag(unit_id) -> str:
    """Leaders of this government may see its offices' 挂牌督办 items."""
    return f"government:{unit_id}"


def principal_for(user: User) -> Principal:
    tags = {ALL, user_tag(user.id), f"role:{user.role.value}"}
    if user.role == Role.supervisor:
        tags.add(office_tag(user.unit_id))
    if user.role == Role.responder:
        tags.add(unit_tag(user.unit_id))
    if user.role == Role.leader:
        tags.add(government_tag(user.unit_id))
    return Principal(id=user.id, tags=frozenset(tags), user=user)
