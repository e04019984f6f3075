"""Writing audit events (in the request's transaction, so they commit with the change)."""

from __future__ import annotations

import uuid

from flask import has_request_context, request

from server.audit_chain import remember
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
