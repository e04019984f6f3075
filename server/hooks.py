"""Engine and session hooks, installed by create_app (never as a side effect of importing
a module), each once however many apps a process makes.

Order matters where two hooks share an event: before a commit the change log is written
first (it flushes the versions it records), then the audit chain links the new events."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import sync


def install_hooks() -> None:
    from server import audit_chain, database
    from server.sync_api import cache, changes
    from server.sync_api.registry import register_handlers

    register_handlers()

    _listen(Engine, "connect", database.sqlite_on_connect)
    _listen(Engine, "begin", database.sqlite_begin)
    sync.install(Session)  # the change log: written before each commit
    _listen(Session, "after_flush", changes.note_flushed)
    _listen(Session, "before_commit", audit_chain.chain_pending)
    _listen(Session, "after_soft_rollback", audit_chain.forget_pending)
    _listen(Session, "after_transaction_end", cache.forget)
    _listen(Session, "after_soft_rollback", cache.forget_rolled_back)


def connect_signals() -> None:
    """The domains' reactions to each other (server/signals.py)."""
    from server import signals
    from server.rectification.colour import recolour_after
    from server.rectification.operations import recount_deadlines
    from server.rectification.sync import refresh_visits_showing

    signals.calendar_imported.connect(recount_deadlines)
    signals.setting_changed.connect(recolour_after)
    signals.photo_stored.connect(refresh_visits_showing)


def _listen(target, name: str, fn) -> None:
    if not event.contains(target, name, fn):
        event.listen(target, name, fn)
