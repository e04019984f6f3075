"""The application's sync registry: every entity a device pulls or pushes, in snapshot
order (reference data first, then the user's own records)."""

from __future__ import annotations

from server.evidence.sync import PhotoHandler
from server.extensions import db
from server.findings.sync import FindingHandler
from server.plans.sync import PlanHandler, SiteHandler
from server.rectification.sync import RectificationHandler, VerificationHandler
from server.sync_api.reference import CategoryHandler, UnitHandler
from server.visits.sync import InterviewHandler, VisitHandler
from sync import Registry, note_change

registry = Registry()
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

_ENTITIES = {registry[name].model: name for name in registry.names}


def entity_of(record) -> str | None:
    """The synced entity a mapped object is, or None."""
    return _ENTITIES.get(type(record))


def note_changed(
    entity: str, record, before: frozenset[str] = frozenset(), sight_only: bool = False
) -> None:
    """Log a change made outside a push (console, uploads, seed) for devices to pull."""
    note_change(db.session, registry, entity, record, before, sight_only)


def audience_of(entity: str, record) -> frozenset[str]:
    return registry[entity].audience(db.session, record)
