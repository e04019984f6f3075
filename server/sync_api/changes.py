"""The change log keeps itself: whatever a flush writes to a synced entity (a new row, a
changed one, a deleted one) is noted for the pull feed, with the audience the entity's own
handler computes when the transaction commits (sync/changelog.py).

What a flush cannot see is noted by hand with `note_changed`: who could see a record
before a change that moves it out of someone's sight (`before`), a change of sight alone
(`sight_only`), and records whose pulled form changes while their row does not (a visit
that lists a finding's photos)."""

from __future__ import annotations

from itertools import chain

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from server.sync_api.registry import entity_of, registry
from sync import note_change


def note_flushed(session: Session, flush_context) -> None:
    # After the flush: new rows have their ids; the session still lists what it wrote.
    for record in chain(session.new, session.deleted):
        entity = entity_of(record)
        if entity is not None:
            note_change(session, registry, entity, record)
    for record in session.dirty:
        entity = entity_of(record)
        if entity is not None and _pulled_change(record, registry[entity].quiet_fields):
            note_change(session, registry, entity, record)


def _pulled_change(record, quiet: frozenset[str]) -> bool:
    """Did a flush change something devices pull? A handler's `quiet_fields` are the
    server's own bookkeeping (a photo job's attempts and claim): changing only those is
    not news for any device."""
    changed = {attr.key for attr in inspect(record).attrs if attr.history.has_changes()}
    return bool(changed - quiet - _ALWAYS_MOVING)


# Columns that move with every change of a row, whatever changed.
_ALWAYS_MOVING = frozenset({"version", "updated_at"})
