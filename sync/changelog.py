"""The change log, written in the same transaction as the changes it records.

Changes are collected on the session while it works and written just before it commits:
one counter bump allocates all their sequence numbers. The counter's row lock is then
held until the commit, so sequence order is commit order."""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from sync.models import Change, ChangeAudience, SyncCounter
from sync.registry import Registry

PENDING = "sync_pending_changes"
REGISTRY = "sync_registry"


def note_change(
    session: Session,
    registry: Registry,
    entity: str,
    record,
    before: frozenset[str] = frozenset(),
    sight_only: bool = False,
) -> None:
    """Remember that `record` changed; `before` is who could see it before the change.

    `sight_only`: the record itself did not change, only who may see it (a site joins a
    plan). Then only those who gained or lost sight of it hear of it: telling everyone who
    could always see it would tell them that something about it moved."""
    handler = registry[entity]
    pending: dict = session.info.setdefault(PENDING, {})
    session.info[REGISTRY] = registry
    key = (entity, handler.record_id(record))
    if key in pending:
        _, earlier_before, earlier_sight_only = pending[key]
        before = earlier_before | before
        sight_only = sight_only and earlier_sight_only
    pending[key] = (record, before, sight_only)


def pending_changes(session: Session) -> dict:
    """A copy of what is noted so far (to be put back if a savepoint is rolled back)."""
    return dict(session.info.get(PENDING) or {})


def restore_pending_changes(session: Session, noted: dict) -> None:
    """Forget what was noted since `pending_changes` was taken."""
    session.info[PENDING] = dict(noted)


def install(session_class=Session) -> None:
    """Write pending changes before every commit of sessions of this class (idempotent)."""
    if not event.contains(session_class, "before_commit", _write_pending):
        event.listen(session_class, "before_commit", _write_pending)
        event.listen(session_class, "after_soft_rollback", _forget_pending)


def _forget_pending(session: Session, previous_transaction) -> None:
    # A rolled-back transaction logs nothing. A savepoint's rollback keeps what was noted
    # before it: push notes a mutation's changes only once its savepoint is released.
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released: the changes are written with the real commit
    session.flush()  # versions are assigned at flush (an application may note changes then)
    pending: dict = session.info.pop(PENDING, None) or {}
    if not pending:
        return
    registry: Registry = session.info[REGISTRY]
    rows, audience_rows = [], []
    first = allocate_sequence(session, len(pending))
    for offset, ((entity, record_id), (record, before, sight_only)) in enumerate(pending.items()):
        handler = registry[entity]
        seq = first + offset
        deleted = handler.is_deleted(record)
        rows.append(
            {
                "seq": seq,
                "entity": entity,
                "record_id": record_id,
                "version": handler.version(record),
                "op": "delete" if deleted else "upsert",
            }
        )
        after = handler.audience(session, record)
        tags = (before ^ after) if sight_only else (before | after)
        audience_rows.extend({"tag": tag, "seq": seq} for tag in sorted(tags))
    session.execute(insert(Change), rows)
    if audience_rows:
        session.execute(insert(ChangeAudience), audience_rows)


def allocate_sequence(session: Session, count: int) -> int:
    """Reserve `count` sequence numbers; returns the first."""
    result = session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == 1)
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    ).scalar_one_or_none()
    if result is None:
        session.add(SyncCounter(id=1, value=count))
        session.flush()
        result = count
    return result - count + 1


def high_water(session: Session) -> int:
    """The last sequence number committed (or allocated by this transaction)."""
    return session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1)) or 0
