"""The audit trail's hash chain: written just before each commit, checked on demand.

hash = sha256 of the canonical JSON of the event (its chain position, id, time, actor,
action, entity, client address, details) and the previous event's hash. Events are chained
in commit order under the head row's lock. `verify_chain` names the first broken link."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.audit import AuditChainHead, AuditEvent

GENESIS = "0" * 64
PENDING = "audit_events_to_chain"


def event_hash(row: AuditEvent, prev_hash: str) -> str:
    content = {
        "chain_seq": row.chain_seq,
        "id": row.id,
        "at": row.at.isoformat(),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "client_addr": row.client_addr,
        "details": row.details or {},
        "prev_hash": prev_hash,
    }
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def remember(session: Session, row: AuditEvent) -> None:
    session.info.setdefault(PENDING, []).append(row)


def chain_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    # An event recorded inside a savepoint that was rolled back is gone: chain only the
    # events that will actually be written.
    rows = [row for row in session.info.pop(PENDING, None) or [] if row in session]
    if not rows:
        return
    session.flush()  # ids
    head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update())
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
    for row in sorted(rows, key=lambda r: r.id):
        row.chain_seq = head.last_seq + 1
        row.prev_hash = head.last_hash
        row.details = json.loads(json.dumps(row.details or {}, default=str))
        row.hash = event_hash(row, row.prev_hash)
        head.last_seq, head.last_hash = row.chain_seq, row.hash
    session.flush()


def forget_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def verify_chain(session: Session, batch: int = 5000) -> dict:
    """Walk the whole chain; return {"ok", "checked", "broken"} with the first broken link."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    unchained = session.scalar(select(AuditEvent.id).where(AuditEvent.chain_seq.is_(None)).limit(1))
    if unchained is not None:
        return _broken(checked, None, unchained, "event outside the chain (no position)")
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.chain_seq > last)
                .order_by(AuditEvent.chain_seq)
                .limit(batch)
            )
        )
        if not rows:
            break
        for row in rows:
            if row.chain_seq != expected_seq:
                return _broken(checked, expected_seq, row.id, "missing event before this one")
            if row.prev_hash != expected_prev:
                return _broken(checked, row.chain_seq, row.id, "previous hash does not match")
            if row.hash != event_hash(row, row.prev_hash):
                return _broken(checked, row.chain_seq, row.id, "content does not match its hash")
            expected_prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
            session.expunge(row)  # keep memory flat on a long chain
        last = expected_seq - 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return _broken(checked, head.last_seq, None, "events missing at the end of the chain")
    return {"ok": True, "checked": checked, "broken": None}


def _broken(checked, chain_seq, event_id, reason) -> dict:
    return {
        "ok": False,
        "checked": checked,
        "broken": {"chain_seq": chain_seq, "event_id": event_id, "reason": reason},
    }
