"""Writing audit events (in the request's transaction, so they commit with the change)."""

from __future__ import annotations

import uuid

from flask import g, has_request_context, request

from server.audit_chain import remember
from server.database import SAFE_METHODS
from server.extensions import db
from server.models import AuditEvent


def client_addr() -> str | None:
    return request.remote_addr if has_request_context() else None


def record_event(
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str | None = None,
    actor_id: uuid.UUID | None = None,
    **details,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        actor_id=actor_id,
        client_addr=client_addr(),
        details=details,
    )
    db.session.add(event)
    remember(db.session, event)
    return event


def changes_between(before: dict, after: dict) -> dict:
    """{field: [before, after]} for what differs: what an audit entry of an edit records."""
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


def record_read(
    action: str, entity_type: str, entity_id, actor_id: uuid.UUID | None, **details
) -> None:
    """Audit that someone read a secret record (a plan's details).

    A writing request records the event in its own transaction. A reading request holds no
    write lock (SQLite begins it deferred), so the event is queued and written in a short
    transaction of its own at the commit point; if that fails, the response fails too: no
    audited read is served unaudited (server/transaction.py)."""
    if request.method not in SAFE_METHODS:
        record_event(action, entity_type, entity_id, actor_id, **details)
        return
    g.setdefault("read_events", []).append((action, entity_type, entity_id, actor_id, details))


def write_queued_reads() -> bool:
    events = g.pop("read_events", [])
    for action, entity_type, entity_id, actor_id, details in events:
        record_event(action, entity_type, entity_id, actor_id, **details)
    return bool(events)
