"""Push: apply a device's mutations in order, each once, each in its own savepoint.

The answer to (user, mutation_id) is stored whatever it was; the same mutation sent
again gets it back (`applied` becomes `duplicate`). A mutation_id reused with other content
is rejected without touching the stored answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sync.changelog import note_change
from sync.models import MutationResult
from sync.registry import MutationContext, Principal, Registry, Rejected
from sync.types import utcnow

OPS = ("create", "update", "delete")


class Conflict(Exception):
    def __init__(self, record):
        self.record = record


def payload_hash(mutation: dict) -> str:
    canonical = {
        "entity": mutation["entity"],
        "op": mutation["op"],
        "id": str(mutation["id"]).lower(),
        "base_version": mutation.get("base_version"),
        "data": mutation.get("data") or {},
    }
    text = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def push(
    session: Session,
    registry: Registry,
    principal: Principal,
    mutations: list[dict],
    device_id: uuid.UUID | None = None,
    received_at: datetime | None = None,
    device_time: datetime | None = None,
) -> list[dict]:
    """`mutations` are dicts with mutation_id and id as UUIDs, already shape-checked."""
    received_at = received_at or utcnow()
    ids = [m["mutation_id"] for m in mutations]
    stored = {
        r.mutation_id: r
        for r in session.scalars(
            select(MutationResult).where(
                MutationResult.user_id == principal.id, MutationResult.mutation_id.in_(ids)
            )
        )
    }
    known = _preload(session, registry, [m for m in mutations if m["mutation_id"] not in stored])
    results, new_rows = [], []
    for mutation in mutations:
        digest = payload_hash(mutation)
        previous = stored.get(mutation["mutation_id"])
        if previous is not None:
            results.append(_replay(previous, digest, mutation))
            continue
        ctx = MutationContext(
            session, principal, device_id, mutation.get("client_time"), received_at, device_time
        )
        result = _apply(ctx, registry, mutation, known)
        row = MutationResult(
            user_id=principal.id,
            mutation_id=mutation["mutation_id"],
            payload_hash=digest,
            entity=mutation["entity"],
            op=mutation["op"],
            record_id=mutation["id"],
            status=result["status"],
            result=result,
            device_id=device_id,
            client_time=mutation.get("client_time"),
            received_at=received_at,
        )
        new_rows.append(row)
        stored[row.mutation_id] = row  # the same id twice in one push is a replay
        results.append(result)
    session.add_all(new_rows)  # one batched insert
    session.flush()
    return results


def _preload(session: Session, registry: Registry, mutations: list[dict]) -> dict:
    """The records the push touches, one query per entity: {(entity, id): record | None}."""
    wanted: dict[str, set] = {}
    for mutation in mutations:
        handler = registry.get(mutation["entity"])
        if handler is not None and handler.pushable:
            wanted.setdefault(handler.name, set()).add(mutation["id"])
    known = {}
    for entity, ids in wanted.items():
        found = registry[entity].load_many(session, list(ids))
        known.update({(entity, i): found.get(i) for i in ids})
    return known


def _replay(previous: MutationResult, digest: str, mutation: dict) -> dict:
    if previous.payload_hash != digest:
        return {
            "mutation_id": str(mutation["mutation_id"]),
            "status": "rejected",
            "id": str(mutation["id"]),
            "errors": Rejected(
                "reused_mutation_id", "该变更编号已用于其他内容,请使用新的编号"
            ).as_errors(),
        }
    result = dict(previous.result)
    if result["status"] == "applied":
        result["status"] = "duplicate"
    return result


def _apply(ctx: MutationContext, registry: Registry, mutation: dict, known: dict) -> dict:
    base = {"mutation_id": str(mutation["mutation_id"]), "id": str(mutation["id"])}
    handler = registry.get(mutation["entity"])
    if handler is None or not handler.pushable:
        return {
            **base,
            "status": "rejected",
            "errors": Rejected(
                "validation_error", "不支持的数据类型", {"entity": ["不支持的数据类型"]}
            ).as_errors(),
        }
    savepoint = ctx.session.begin_nested()
    try:
        record, before = _run(ctx, handler, mutation, known)
        ctx.session.flush()
        savepoint.commit()
    except Rejected as rejected:
        savepoint.rollback()
        return {**base, "status": "rejected", "errors": rejected.as_errors()}
    except (Conflict, StaleDataError) as error:
        savepoint.rollback()
        current = error.record if isinstance(error, Conflict) else _fresh(ctx, handler, mutation)
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
    known[(handler.name, mutation["id"])] = record
    _note(ctx, registry, handler.name, record, before)
    return {**base, "status": "applied", "version": handler.version(record)}


def _fresh(ctx: MutationContext, handler, mutation: dict):
    """Another transaction changed the record under us: read what it is now."""
    record = handler.load(ctx.session, mutation["id"])
    ctx.session.refresh(record)
    return record


def _note(ctx: MutationContext, registry: Registry, entity, record, before) -> None:
    note_change(ctx.session, registry, entity, record, before)
    for side_entity, side_record, side_before in ctx.side_changes:
        note_change(ctx.session, registry, side_entity, side_record, side_before)


def _run(ctx: MutationContext, handler, mutation: dict, known: dict):
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
