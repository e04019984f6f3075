"""Push: idempotency, order, conflicts, rejections, one savepoint per mutation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

import sync
from sync.models import Change, MutationResult
from tests.unit.sync.conftest import principal
from tests.unit.sync.toy import Note


def mutation(record_id=None, op="create", data=None, base_version=None, entity="note"):
    return {
        "mutation_id": uuid.uuid4(),
        "entity": entity,
        "op": op,
        "id": record_id or uuid.uuid4(),
        "base_version": base_version,
        "data": {"text": "现场发现"} if data is None else data,
        "client_time": "2026-11-20T09:14:03.120+08:00",
    }


def push(session, registry, user, *mutations):
    results = sync.push(session, registry, user, list(mutations), device_id=uuid.uuid4())
    session.commit()
    return results


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_create_is_applied_with_version_one(session, registry):
    user = principal()
    m = mutation()
    [result] = push(session, registry, user, m)
    assert result == {
        "mutation_id": str(m["mutation_id"]),
        "id": str(m["id"]),
        "status": "applied",
        "version": 1,
    }
    stored = session.get(MutationResult, (user.id, m["mutation_id"]))
    assert stored.client_time == m["client_time"] and stored.received_at.tzinfo is not None


def test_replay_returns_duplicate_and_changes_nothing(session, registry):
    user = principal()
    m = mutation()
    push(session, registry, user, m)
    changes = count(session, Change)
    [again] = push(session, registry, user, m)
    assert again["status"] == "duplicate" and again["version"] == 1
    assert count(session, Note) == 1 and count(session, Change) == changes


def test_same_mutation_twice_in_one_push(session, registry):
    user = principal()
    m = mutation()
    first, second = push(session, registry, user, m, dict(m))
    assert (first["status"], second["status"]) == ("applied", "duplicate")
    assert count(session, Note) == 1


def test_mutation_ids_are_per_user(session, registry):
    alice, bob = principal(), principal()
    m = mutation()
    push(session, registry, alice, m)
    other = {**m, "id": uuid.uuid4()}
    [result] = push(session, registry, bob, other)
    assert result["status"] == "applied"


def test_reused_mutation_id_with_other_content_is_rejected(session, registry):
    user = principal()
    m = mutation()
    push(session, registry, user, m)
    [reused] = push(session, registry, user, {**m, "data": {"text": "别的内容"}})
    assert reused["status"] == "rejected"
    assert reused["errors"]["code"] == "reused_mutation_id"
    [replay] = push(session, registry, user, m)
    assert replay["status"] == "duplicate"  # the first answer is kept
    assert session.get(Note, m["id"]).text == "现场发现"


def test_order_within_a_push(session, registry):
    user = principal()
    record = uuid.uuid4()
    results = push(
        session,
        registry,
        user,
        mutation(record),
        mutation(record, "update", {"text": "第二版"}, base_version=1),
        mutation(record, "update", {"text": "第三版"}, base_version=2),
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    assert [r["version"] for r in results] == [1, 2, 3]
    assert session.get(Note, record).text == "第三版"


def test_stale_base_version_is_a_conflict_with_the_server_copy(session, registry):
    user = principal()
    record = uuid.uuid4()
    push(
        session,
        registry,
        user,
        mutation(record),
        mutation(record, "update", {"text": "服务器版"}, base_version=1),
    )
    stale = mutation(record, "update", {"text": "设备版"}, base_version=1)
    [result] = push(session, registry, user, stale)
    assert result["status"] == "conflict"
    assert result["server"]["version"] == 2
    assert result["server"]["data"]["text"] == "服务器版"
    assert session.get(Note, record).text == "服务器版"
    [replay] = push(session, registry, user, stale)
    assert replay == result  # the stored answer, not a new evaluation


def test_create_of_an_existing_id_is_a_conflict(session, registry):
    user = principal()
    record = uuid.uuid4()
    push(session, registry, user, mutation(record))
    [result] = push(session, registry, user, mutation(record, data={"text": "again"}))
    assert result["status"] == "conflict"


def test_rejection_does_not_undo_the_others(session, registry):
    user = principal()
    good, bad, good2 = mutation(), mutation(data={"text": "x" * 500}), mutation()
    results = push(session, registry, user, good, bad, good2)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"]["fields"] == {"text": ["too long"]}
    assert session.get(Note, bad["id"]) is None
    assert count(session, Note) == 2
    [replay] = push(session, registry, user, bad)
    assert replay == results[1]


def test_a_half_applied_mutation_is_rolled_back_by_its_savepoint(session, registry):
    """update() sets a field, then rejects: nothing of it may remain."""
    user = principal()
    record = uuid.uuid4()
    push(session, registry, user, mutation(record))
    [result] = push(
        session,
        registry,
        user,
        mutation(record, "update", {"text": "半途", "bogus": 1}, base_version=1),
    )
    assert result["status"] == "rejected"
    session.expire_all()
    assert session.get(Note, record).text == "现场发现"
    assert session.get(Note, record).version == 1


def test_someone_elses_record_is_not_found(session, registry):
    alice, bob = principal(), principal()
    record = uuid.uuid4()
    push(session, registry, alice, mutation(record))
    [result] = push(
        session, registry, bob, mutation(record, "update", {"text": "改别人的"}, base_version=1)
    )
    assert result["status"] == "rejected" and result["errors"]["code"] == "not_found"
    # A create over a hidden id must not confirm that it exists either.
    [create] = push(session, registry, bob, mutation(record))
    assert create["errors"]["code"] == "not_found"


def test_unknown_or_pull_only_entity_is_rejected(session, registry):
    user = principal()
    results = push(session, registry, user, mutation(entity="nope"), mutation(entity="readonly"))
    assert [r["status"] for r in results] == ["rejected", "rejected"]


def test_delete_marks_and_logs_a_delete(session, registry):
    user = principal()
    record = uuid.uuid4()
    push(session, registry, user, mutation(record))
    [result] = push(session, registry, user, mutation(record, "delete", {}, base_version=1))
    assert result["status"] == "applied"
    assert session.get(Note, record).deleted
    last = session.scalars(select(Change).order_by(Change.seq.desc())).first()
    assert (last.op, last.record_id) == ("delete", record)


def test_rejected_and_conflicting_mutations_write_no_change_rows(session, registry):
    user = principal()
    record = uuid.uuid4()
    push(session, registry, user, mutation(record))
    before = count(session, Change)
    push(
        session,
        registry,
        user,
        mutation(data={"text": ""}),
        mutation(record, "update", {"text": "x"}, base_version=7),
    )
    assert count(session, Change) == before


def test_a_rolled_back_transaction_logs_nothing(session, registry):
    user = principal()
    sync.push(session, registry, user, [mutation()])
    session.rollback()
    assert count(session, Change) == 0
    push(session, registry, user, mutation())
    assert count(session, Change) == 1


def test_payload_hash_ignores_client_time_and_key_order():
    m = mutation()
    other = {
        **m,
        "client_time": "2030-01-01T00:00:00Z",
        "data": dict(reversed(list({"text": "a", "shared": True}.items()))),
    }
    m["data"] = {"text": "a", "shared": True}
    assert sync.payload_hash(m) == sync.payload_hash(other)
    assert sync.payload_hash(m) != sync.payload_hash({**m, "base_version": 3})


def test_a_concurrent_write_becomes_a_conflict(engine, registry):
    """Another transaction bumps the version between our read and our write."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no interleaving to test")
    user = principal()
    record = uuid.uuid4()
    with Session(engine) as setup:
        push(setup, registry, user, mutation(record))
    with Session(engine) as mine, Session(engine) as theirs:
        held = mine.get(Note, record)  # read version 1 (kept: the identity map is weak)
        theirs.execute(update(Note).where(Note.id == record).values(text="他人", version=2))
        theirs.commit()
        [result] = sync.push(
            mine, registry, user, [mutation(record, "update", {"text": "我的"}, base_version=1)]
        )
        mine.commit()
        assert held.text == "他人"
    assert result["status"] == "conflict"
    assert result["server"]["version"] == 2 and result["server"]["data"]["text"] == "他人"


def test_every_applied_mutation_is_logged_even_before_a_rejected_one(session, registry):
    user = principal()
    good, bad = mutation(), mutation(data={"text": ""})
    results = push(session, registry, user, good, bad)
    assert [r["status"] for r in results] == ["applied", "rejected"]
    logged = set(session.scalars(select(Change.record_id)))
    assert good["id"] in logged and bad["id"] not in logged


def test_changes_of_one_push_are_written_together(session, registry):
    from sync.models import ChangeAudience, SyncCounter

    user = principal()
    before = session.scalar(select(SyncCounter.value)) or 0
    push(session, registry, user, *[mutation() for _ in range(10)])
    seqs = sorted(session.scalars(select(Change.seq)))
    assert seqs == list(range(before + 1, before + 11))
    assert count(session, ChangeAudience) == 10
