"""Push applies a run of mutations in one savepoint and one flush; a refused mutation
rolls the run back and gets its own savepoint. The answers, versions, stored results and
change-log order must be those of one savepoint per mutation.

`note` declares every op batchable; `flushed_note` (the default) is flushed before each
mutation. The same cases run for both."""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

import sync
from sync.models import Change, MutationResult
from tests.unit.sync.conftest import principal
from tests.unit.sync.test_push import count, mutation, push
from tests.unit.sync.toy import Note, NoteHandler

ENTITIES = ["note", "flushed_note"]
BAD = {"text": "x" * 500}  # refused by the handler: too long


@contextlib.contextmanager
def statements(session):
    """The SQL statements the session sends meanwhile, as a list of their text."""
    seen: list[str] = []
    engine = session.get_bind()

    def before(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def verbs(seen: list[str]) -> Counter:
    return Counter(s.split(None, 1)[0].upper() for s in seen)


def logged(session) -> list[tuple]:
    """The change log in sequence order: (record id, version, op)."""
    return list(
        session.execute(select(Change.record_id, Change.version, Change.op).order_by(Change.seq))
    )


def test_a_batch_without_refusals_is_one_savepoint_and_one_insert_of_notes(session, registry):
    user = principal()
    batch = [mutation() for _ in range(20)]
    with statements(session) as seen:
        results = push(session, registry, user, *batch)
    assert [r["status"] for r in results] == ["applied"] * 20
    assert [r["version"] for r in results] == [1] * 20
    assert verbs(seen)["SAVEPOINT"] == 1
    assert len([s for s in seen if s.startswith("INSERT INTO toy_note")]) == 1
    assert count(session, Note) == 20 and count(session, MutationResult) == 20
    assert [row.record_id for row in logged(session)] == [m["id"] for m in batch]


def test_a_handler_without_batchable_ops_is_flushed_before_each_mutation(session, registry):
    user = principal()
    batch = [mutation(entity="flushed_note") for _ in range(5)]
    with statements(session) as seen:
        results = push(session, registry, user, *batch)
    assert [r["status"] for r in results] == ["applied"] * 5
    assert len([s for s in seen if s.startswith("INSERT INTO toy_note")]) == 5
    assert verbs(seen)["SAVEPOINT"] == 1


@pytest.mark.parametrize("entity", ENTITIES)
def test_one_refused_in_the_middle_the_others_apply(session, registry, entity):
    user = principal()
    batch = [mutation(entity=entity) for _ in range(5)]
    batch[2] = mutation(entity=entity, data=BAD)
    results = push(session, registry, user, *batch)
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"] + ["applied"] * 2
    assert [r.get("version") for r in results] == [1, 1, None, 1, 1]
    assert results[2]["errors"] == {
        "code": "validation_error",
        "message": "bad",
        "fields": {"text": ["too long"]},
    }
    session.expire_all()
    assert session.get(Note, batch[2]["id"]) is None
    assert count(session, Note) == 4
    applied = [m["id"] for i, m in enumerate(batch) if i != 2]
    assert logged(session) == [(i, 1, "upsert") for i in applied]
    stored = {r.mutation_id: r.status for r in session.scalars(select(MutationResult))}
    assert stored == {m["mutation_id"]: r["status"] for m, r in zip(batch, results, strict=True)}
    replay = push(session, registry, user, *batch)
    assert [r["status"] for r in replay] == ["duplicate"] * 2 + ["rejected"] + ["duplicate"] * 2
    assert replay[2] == results[2]


@pytest.mark.parametrize("entity", ENTITIES)
def test_refusals_first_in_a_row_and_last(session, registry, entity):
    user = principal()
    pattern = "rarrraar"  # r: refused, a: applied
    batch = [mutation(entity=entity, data=BAD if c == "r" else None) for c in pattern]
    results = push(session, registry, user, *batch)
    expected = ["rejected" if c == "r" else "applied" for c in pattern]
    assert [r["status"] for r in results] == expected
    applied = [m["id"] for m, c in zip(batch, pattern, strict=True) if c == "a"]
    assert [row.record_id for row in logged(session)] == applied
    assert count(session, Note) == len(applied)


@pytest.mark.parametrize("entity", ENTITIES)
def test_conflicts_and_later_changes_of_the_same_records_in_one_push(session, registry, entity):
    user = principal()
    existing = uuid.uuid4()
    push(session, registry, user, mutation(existing, entity=entity))
    first_seq = len(logged(session))
    a, b = uuid.uuid4(), uuid.uuid4()
    batch = [
        mutation(a, entity=entity),
        mutation(existing, entity=entity, data={"text": "again"}),  # create over it: conflict
        mutation(existing, "update", {"text": "第二版"}, base_version=1, entity=entity),
        mutation(b, entity=entity),
        mutation(a, "update", {"text": "改"}, base_version=1, entity=entity),
        mutation(b, "delete", {}, base_version=1, entity=entity),
        mutation(a, "update", {"text": "旧"}, base_version=1, entity=entity),  # stale
    ]
    results = push(session, registry, user, *batch)
    assert [(r["status"], r["version"]) for r in results] == [
        ("applied", 1),
        ("conflict", 1),
        ("applied", 2),
        ("applied", 1),
        ("applied", 2),
        ("applied", 2),
        ("conflict", 2),
    ]
    assert results[1]["server"]["data"]["text"] == "现场发现"
    assert results[6]["server"]["data"]["text"] == "改"
    assert results[6]["server"]["version"] == 2
    # One change per record, in the order each was first changed in the push.
    assert logged(session)[first_seq:] == [
        (a, 2, "upsert"),
        (existing, 2, "upsert"),
        (b, 2, "delete"),
    ]


@pytest.mark.parametrize("entity", ENTITIES)
def test_duplicates_within_a_push_and_against_earlier_pushes(session, registry, entity):
    user = principal()
    a, refused = mutation(entity=entity), mutation(entity=entity, data=BAD)
    first = push(session, registry, user, a, refused)
    c, d = mutation(entity=entity), mutation(entity=entity)
    reused = {**a, "data": {"text": "别的内容"}}
    batch = [c, dict(a), dict(c), dict(refused), d, reused, dict(c), dict(d)]
    results = push(session, registry, user, *batch)
    assert [r["status"] for r in results] == [
        "applied",
        "duplicate",
        "duplicate",
        "rejected",
        "applied",
        "rejected",
        "duplicate",
        "duplicate",
    ]
    assert results[1] == {**first[0], "status": "duplicate"}
    assert results[2] == {**results[0], "status": "duplicate"}
    assert results[3] == first[1]
    assert results[5]["errors"]["code"] == "reused_mutation_id"
    assert count(session, MutationResult) == 4  # a, refused, c, d: each answered once
    assert count(session, Note) == 3
    assert session.get(Note, a["id"]).text == "现场发现"  # the reused id changed nothing


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_mutation_refused_twice_in_one_push_is_answered_once(session, registry, entity):
    user = principal()
    bad = mutation(entity=entity, data=BAD)
    results = push(session, registry, user, mutation(entity=entity), bad, dict(bad))
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    assert results[1] == results[2]
    assert count(session, MutationResult) == 2


class ClashHandler(NoteHandler):
    """Writes a note under an id given in the data, unchecked: the flush fails when it
    exists (as when another transaction inserted it meanwhile)."""

    name = "clash"

    def create(self, ctx, record_id, data):
        note = Note(id=uuid.UUID(data["as"]), owner_id=ctx.principal.id, text="撞")
        ctx.session.add(note)
        return note


def test_a_failed_flush_fails_the_push_as_before(session, registry):
    registry.register(ClashHandler())
    user = principal()
    taken = uuid.uuid4()
    push(session, registry, user, mutation(taken))
    batch = [mutation(), mutation(entity="clash", data={"as": str(taken)}), mutation()]
    with pytest.raises(IntegrityError):
        sync.push(session, registry, user, batch)
    session.rollback()
    assert count(session, Note) == 1
    assert count(session, MutationResult) == 1
    assert len(logged(session)) == 1
    [again] = push(session, registry, user, batch[0])  # nothing of it was kept
    assert again["status"] == "applied"


def test_a_stale_write_in_a_run_becomes_a_conflict_and_the_rest_applies(engine, registry):
    """Another transaction bumps a version the run read: the run's flush fails, and its
    mutations go one by one, as each in its own savepoint always did."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no interleaving to test")
    user = principal()
    record = uuid.uuid4()
    with Session(engine) as setup:
        push(setup, registry, user, mutation(record))
    with Session(engine) as mine, Session(engine) as theirs:
        held = mine.get(Note, record)  # read version 1 (and keep it in the identity map)
        theirs.execute(update(Note).where(Note.id == record).values(text="他人", version=2))
        theirs.commit()
        before, after = mutation(), mutation()
        results = sync.push(
            mine,
            registry,
            user,
            [before, mutation(record, "update", {"text": "我的"}, base_version=1), after],
        )
        mine.commit()
        assert [r["status"] for r in results] == ["applied", "conflict", "applied"]
        assert results[1]["server"]["version"] == 2
        assert results[1]["server"]["data"]["text"] == "他人"
        assert mine.scalar(select(func.count()).select_from(Note)) == 3
        assert held.text == "他人"
        # The conflicting update is not in the change log, though the run had noted it.
        assert [row.record_id for row in logged(mine)] == [record, before["id"], after["id"]]


@pytest.mark.parametrize("entity", ENTITIES)
def test_the_same_base_version_twice_in_a_row_is_a_conflict_the_second_time(
    session, registry, entity
):
    user = principal()
    record = uuid.uuid4()
    push(session, registry, user, mutation(record, entity=entity))
    results = push(
        session,
        registry,
        user,
        mutation(record, "update", {"text": "甲"}, base_version=1, entity=entity),
        mutation(record, "update", {"text": "乙"}, base_version=1, entity=entity),
        mutation(record, "update", {"text": "丙"}, base_version=2, entity=entity),
    )
    assert [(r["status"], r["version"]) for r in results] == [
        ("applied", 2),
        ("conflict", 2),
        ("applied", 3),
    ]
    assert results[1]["server"]["data"]["text"] == "甲"
    assert session.get(Note, record).text == "丙"
