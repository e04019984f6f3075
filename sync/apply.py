"""Applying a push's mutations: one savepoint for a run of them, one per refused one.

Every mutation is applied as if on its own, in the order given, and a refused one leaves
nothing behind (see push.py for the idempotency around this). The cheap way to get there:

- A *run* of mutations is applied inside one savepoint, without flushing between them
  (the rows go to the database in batched INSERTs), and the savepoint is released.
- A mutation is flushed before only when it needs to see the earlier ones in the
  database: its handler does not declare the op in `batchable_ops`, or an earlier mutation
  of the run touched the same record (its version must be the one after that change).
- A mutation refused in the handler (rejected, conflict) rolls the run back; the part
  before it is applied again as a run, and the refused one goes alone through its own
  savepoint (`apply_one`, the reference path), which gives its answer. The run goes on
  after it.
- Anything failing at a flush (a stale version written by another transaction, an
  integrity error) cannot be told apart between the mutations of the run: the run is
  rolled back and its mutations go one by one through `apply_one`, as they always did.

So the answers, the change-log order and the records are those of applying each mutation
in its own savepoint; only the number of statements differs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sync.changelog import note_change, pending_changes, restore_pending_changes
from sync.registry import MutationContext, Principal, Registry, Rejected


class Conflict(Exception):
    def __init__(self, record):
        self.record = record


class _Refused(Exception):
    """A mutation of a run was refused by its handler: the run is rolled back."""

    def __init__(self, position: int):
        self.position = position


class _FlushFailed(Exception):
    """A flush of a run failed: which mutation caused it is unknown."""


@dataclass
class Applier:
    """Applies mutations for one push; `known` maps (entity, id) to the record or None."""

    session: Session
    registry: Registry
    principal: Principal
    device_id: uuid.UUID | None
    received_at: datetime
    device_time: datetime | None
    known: dict

    def apply(self, items: list[tuple[int, dict]]) -> dict[int, dict]:
        """`items` are (position in the push, mutation); returns {position: result}."""
        results: dict[int, dict] = {}
        self._apply(items, results)
        return results

    def _apply(self, items: list[tuple[int, dict]], results: dict[int, dict]) -> None:
        start = 0
        while start < len(items):
            try:
                results.update(self._run(items[start:]))
                return
            except _FlushFailed:
                for position, mutation in items[start:]:
                    results[position] = self.apply_one(mutation)
                return
            except _Refused as refused:
                head = items[start : start + refused.position]
                if head:
                    self._apply(head, results)  # applied before: it applies again
                position, mutation = items[start + refused.position]
                results[position] = self.apply_one(mutation)
                start += refused.position + 1

    def _context(self, mutation: dict) -> MutationContext:
        return MutationContext(
            self.session,
            self.principal,
            self.device_id,
            mutation.get("client_time"),
            self.received_at,
            self.device_time,
        )

    # --- a run of mutations in one savepoint

    def _run(self, items: list[tuple[int, dict]]) -> dict[int, dict]:
        session = self.session
        known_before = dict(self.known)
        noted_before = pending_changes(session)
        results: dict[int, dict] = {}
        unversioned: list[tuple] = []  # (position, mutation, handler, record)
        touched: set = set()
        savepoint = session.begin_nested()
        try:
            for offset, (position, mutation) in enumerate(items):
                handler = self.registry.get(mutation["entity"])
                if handler is None or not handler.pushable:
                    results[position] = unsupported(mutation)
                    continue
                key = (handler.name, mutation["id"])
                if unversioned and (mutation["op"] not in handler.batchable_ops or key in touched):
                    self._flush(results, unversioned)
                    touched.clear()
                ctx = self._context(mutation)
                try:
                    record, before = run(ctx, handler, mutation, self.known)
                except (Rejected, Conflict):
                    raise _Refused(offset) from None
                except Exception:
                    raise _FlushFailed from None  # e.g. an autoflush: whose, unknown
                self.known[key] = record
                note(ctx, self.registry, handler.name, record, before)
                touched.add(key)
                touched.update(
                    (entity, self.registry[entity].record_id(side))
                    for entity, side, _ in ctx.side_changes
                )
                unversioned.append((position, mutation, handler, record))
            self._flush(results, unversioned)
            savepoint.commit()
        except BaseException:
            savepoint.rollback()  # also after a failed flush (the savepoint is inactive)
            self.known.clear()
            self.known.update(known_before)
            restore_pending_changes(session, noted_before)
            raise
        return results

    def _flush(self, results: dict, unversioned: list) -> None:
        """Flush the run so far; the records it applied now have their versions."""
        try:
            self.session.flush()
        except Exception:
            raise _FlushFailed from None
        for position, mutation, handler, record in unversioned:
            results[position] = applied(mutation, handler, record)
        unversioned.clear()

    # --- one mutation in its own savepoint (the reference path)

    def apply_one(self, mutation: dict) -> dict:
        ctx = self._context(mutation)
        base = {"mutation_id": str(mutation["mutation_id"]), "id": str(mutation["id"])}
        handler = self.registry.get(mutation["entity"])
        if handler is None or not handler.pushable:
            return unsupported(mutation)
        savepoint = ctx.session.begin_nested()
        try:
            record, before = run(ctx, handler, mutation, self.known)
            ctx.session.flush()
            savepoint.commit()
        except Rejected as rejected:
            savepoint.rollback()
            return {**base, "status": "rejected", "errors": rejected.as_errors()}
        except (Conflict, StaleDataError) as error:
            savepoint.rollback()
            current = error.record if isinstance(error, Conflict) else fresh(ctx, handler, mutation)
            return {
                **base,
                "status": "conflict",
                "version": handler.version(current),
                "server": {
                    "entity": handler.name,
                    "id": base["id"],
                    "version": handler.version(current),
                    "deleted": handler.is_deleted(current),
                    "data": handler.serialize(current),
                },
            }
        except BaseException:
            savepoint.rollback()
            raise
        self.known[(handler.name, mutation["id"])] = record
        note(ctx, self.registry, handler.name, record, before)
        return applied(mutation, handler, record)


def applied(mutation: dict, handler, record) -> dict:
    return {
        "mutation_id": str(mutation["mutation_id"]),
        "id": str(mutation["id"]),
        "status": "applied",
        "version": handler.version(record),
    }


def unsupported(mutation: dict) -> dict:
    return {
        "mutation_id": str(mutation["mutation_id"]),
        "id": str(mutation["id"]),
        "status": "rejected",
        "errors": Rejected(
            "validation_error", "不支持的数据类型", {"entity": ["不支持的数据类型"]}
        ).as_errors(),
    }


def fresh(ctx: MutationContext, handler, mutation: dict):
    """Another transaction changed the record under us: read what it is now."""
    record = handler.load(ctx.session, mutation["id"])
    ctx.session.refresh(record)
    return record


def note(ctx: MutationContext, registry: Registry, entity, record, before) -> None:
    note_change(ctx.session, registry, entity, record, before)
    for side_entity, side_record, side_before in ctx.side_changes:
        note_change(ctx.session, registry, side_entity, side_record, side_before)


def run(ctx: MutationContext, handler, mutation: dict, known: dict):
    """The handler's part of one mutation: returns (record, its audience before)."""
    session, principal = ctx.session, ctx.principal
    key = (handler.name, mutation["id"])
    record = known[key] if key in known else handler.load(session, mutation["id"])
    op = mutation["op"]
    if op == "create":
        if record is not None:
            if handler.visible(session, principal, record):
                raise Conflict(record)
            raise Rejected("not_found", "记录不存在或无权访问")
        return handler.create(ctx, mutation["id"], mutation.get("data") or {}), frozenset()
    if record is None or handler.is_deleted(record):
        raise Rejected("not_found", "记录不存在或无权访问")
    if not handler.visible(session, principal, record):
        raise handler.refusal(session, principal, record)
    if mutation.get("base_version") != handler.version(record):
        raise Conflict(record)
    before = handler.audience(session, record)
    if op == "update":
        handler.update(ctx, record, mutation.get("data") or {})
    else:
        handler.delete(ctx, record)
    return record, before
