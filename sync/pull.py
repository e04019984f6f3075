"""Pull: a snapshot of everything visible on the first call, then the change feed.

Visibility is decided when the pull is read, never when the change was written: the
change log only narrows the search (by audience tag), the handler has the last word.
A record the user could see before and cannot now becomes a tombstone."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.changelog import high_water
from sync.cursor import InvalidCursor, decode_cursor, encode_cursor
from sync.models import Change, ChangeAudience
from sync.registry import Principal, Registry


def pull(
    session: Session,
    registry: Registry,
    principal: Principal,
    cursor: str | None,
    limit: int,
    key: bytes,
) -> dict:
    if cursor:
        state = decode_cursor(key, principal.id, cursor)
    else:
        state = {"p": "s", "hw": high_water(session), "e": 0, "a": None}
    if state.get("p") == "s":
        changes, state, has_more = _snapshot_page(session, registry, principal, state, limit)
    elif state.get("p") == "l" and isinstance(state.get("s"), int):
        changes, state, has_more = _log_page(session, registry, principal, state["s"], limit)
    else:
        raise InvalidCursor("unknown cursor phase")
    return {
        "changes": changes,
        "cursor": encode_cursor(key, principal.id, state),
        "has_more": has_more,
    }


def _snapshot_page(session, registry, principal, state, limit):
    names = registry.names
    changes: list[dict] = []
    entity_index, after = state.get("e"), state.get("a")
    if not isinstance(entity_index, int) or not 0 <= entity_index <= len(names):
        raise InvalidCursor("bad snapshot position")
    try:
        after = uuid.UUID(after) if after else None
    except (ValueError, TypeError) as error:
        raise InvalidCursor("bad snapshot position") from error
    while entity_index < len(names) and len(changes) < limit:
        handler = registry[names[entity_index]]
        room = limit - len(changes)
        records = handler.snapshot(session, principal, after, room)
        changes.extend(_upsert(handler, r) for r in records)
        if len(records) < room:  # this entity is exhausted
            entity_index, after = entity_index + 1, None
        else:
            after = handler.record_id(records[-1])
    if entity_index >= len(names):
        # Snapshot done: go on with the change log from where it stood when it began.
        room = limit - len(changes)
        if room == 0:
            return changes, {"p": "l", "s": state["hw"]}, True
        more, state, has_more = _log_page(session, registry, principal, state["hw"], room)
        return changes + more, state, has_more
    return (
        changes,
        {"p": "s", "hw": state["hw"], "e": entity_index, "a": str(after) if after else None},
        True,
    )


def _log_page(session, registry, principal, after_seq: int, limit: int):
    seqs = list(
        session.scalars(
            select(ChangeAudience.seq)
            .where(ChangeAudience.tag.in_(sorted(principal.tags)), ChangeAudience.seq > after_seq)
            .distinct()
            .order_by(ChangeAudience.seq)
            .limit(limit + 1)
        )
    )
    has_more = len(seqs) > limit
    seqs = seqs[:limit]
    if not seqs:
        return [], {"p": "l", "s": after_seq}, False
    rows = session.execute(
        select(Change.seq, Change.entity, Change.record_id).where(Change.seq.in_(seqs))
    ).all()
    # A record changed several times in this page goes once, at its last position.
    last_seq: dict[tuple[str, uuid.UUID], int] = {}
    for seq, entity, record_id in rows:
        key = (entity, record_id)
        last_seq[key] = max(seq, last_seq.get(key, 0))
    by_entity: dict[str, list[uuid.UUID]] = {}
    for entity, record_id in last_seq:
        by_entity.setdefault(entity, []).append(record_id)
    current = {}
    for entity, ids in by_entity.items():
        handler = registry.get(entity)
        if handler is not None:
            for record_id, record in handler.load_many(session, ids).items():
                current[(entity, record_id)] = record
    changes = []
    for key in sorted(last_seq, key=last_seq.get):
        entity, record_id = key
        handler = registry.get(entity)
        if handler is None:
            continue
        record = current.get(key)
        if (
            record is not None
            and not handler.is_deleted(record)
            and handler.visible(session, principal, record)
        ):
            changes.append(_upsert(handler, record))
        else:
            changes.append({"entity": entity, "id": str(record_id), "op": "delete"})
    return changes, {"p": "l", "s": seqs[-1]}, has_more


def _upsert(handler, record) -> dict:
    return {
        "entity": handler.name,
        "id": str(handler.record_id(record)),
        "op": "upsert",
        "version": handler.version(record),
        "data": handler.serialize(record),
    }
