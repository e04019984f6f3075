"""The application's sync registry: every entity a device pulls or pushes, in snapshot
order (reference data first, then the user's own records).

The handlers are registered by create_app (`register_handlers`), not when this module is
imported: a domain's operations note changes through here without importing every other
domain's handler."""

from __future__ import annotations

from server.extensions import db
from sync import Registry, note_change

registry = Registry()
_ENTITIES: dict[type, str] = {}


def register_handlers() -> Registry:
    if registry.names:
        return registry
    from server.evidence.sync import PhotoHandler
    from server.findings.sync import FindingHandler
    from server.plans.sync import PlanHandler, SiteHandler
    from server.rectification.sync import RectificationHandler, VerificationHandler
    from server.sync_api.reference import CategoryHandler, UnitHandler
    from server.visits.sync import InterviewHandler, VisitHandler

    for handler in (
        CategoryHandler(),
        UnitHandler(),
        PlanHandler(),
        SiteHandler(),
        VisitHandler(),
        FindingHandler(),
        InterviewHandler(),
        PhotoHandler(),
        RectificationHandler(),
        VerificationHandler(),
    ):
        registry.register(handler)
        _ENTITIES[handler.model] = handler.name
    return registry


def entity_of(record) -> str | None:
    """The synced entity a mapped object is, or None."""
    return _ENTITIES.get(type(record))


def note_changed(
    entity: str, record, before: frozenset[str] = frozenset(), sight_only: bool = False
) -> None:
    """Note a change a flush cannot see (server/sync_api/changes.py): who could see the
    record before (`before`), a change of sight alone, or a pulled form that changed with
    another row."""
    note_change(db.session, registry, entity, record, before, sight_only)


def audience_of(entity: str, record) -> frozenset[str]:
    return registry[entity].audience(db.session, record)
