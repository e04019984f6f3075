"""Push: apply a device's mutations in order, each once, as if each in its own savepoint.

The answer to (user, mutation_id) is stored whatever it was; the same mutation sent
again gets it back (`applied` becomes `duplicate`). A mutation_id reused with other content
is rejected without touching the stored answer. How the mutations are applied (a run in
one savepoint, a refused one in its own) is in apply.py."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sync.apply import Applier, Conflict
from sync.models import MutationResult
from sync.registry import Principal, Registry, Rejected
from sync.types import utcnow

OPS = ("create", "update", "delete")

__all__ = ["OPS", "Conflict", "payload_hash", "push"]


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
    # The first time a mutation_id is seen it is applied; answered before, or again later
    # in this push, it is a replay of the stored answer (which changes nothing).
    fresh_ids: set = set()
    to_apply = []
    for position, mutation in enumerate(mutations):
        if mutation["mutation_id"] not in stored and mutation["mutation_id"] not in fresh_ids:
            fresh_ids.add(mutation["mutation_id"])
            to_apply.append((position, mutation))
    known = _preload(session, registry, [m for m in mutations if m["mutation_id"] not in stored])
    digests = [payload_hash(m) for m in mutations]  # before a handler sees the data
    applier = Applier(session, registry, principal, device_id, received_at, device_time, known)
    answers = applier.apply(to_apply)

    results, new_rows = [], []
    for position, (mutation, digest) in enumerate(zip(mutations, digests, strict=True)):
        result = answers.get(position)
        if result is None:
            previous = stored[mutation["mutation_id"]]
            results.append(_replay(previous.payload_hash, previous.result, digest, mutation))
            continue
        new_rows.append(
            {
                "user_id": principal.id,
                "mutation_id": mutation["mutation_id"],
                "payload_hash": digest,
                "entity": mutation["entity"],
                "op": mutation["op"],
                "record_id": mutation["id"],
                "status": result["status"],
                "result": result,
                "device_id": device_id,
                "client_time": mutation.get("client_time"),
                "received_at": received_at,
            }
        )
        # The same id again in this push is a replay of this answer.
        stored[mutation["mutation_id"]] = _Answer(digest, result)
        results.append(result)
    if new_rows:
        session.execute(insert(MutationResult), new_rows)  # one batched insert
    return results


class _Answer(NamedTuple):
    payload_hash: str
    result: dict


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


def _replay(stored_hash: str, stored: dict, digest: str, mutation: dict) -> dict:
    if stored_hash != digest:
        return {
            "mutation_id": str(mutation["mutation_id"]),
            "status": "rejected",
            "id": str(mutation["id"]),
            "errors": Rejected(
                "reused_mutation_id", "该变更编号已用于其他内容,请使用新的编号"
            ).as_errors(),
        }
    result = dict(stored)
    if result["status"] == "applied":
        result["status"] = "duplicate"
    return result
