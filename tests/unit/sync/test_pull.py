"""Pull: snapshot, change feed, visibility at read time, tombstones, cursors, paging."""

from __future__ import annotations

import uuid

import pytest

import sync
from sync.changelog import allocate_sequence, note_change
from sync.cursor import encode_cursor
from tests.unit.sync.conftest import KEY, principal
from tests.unit.sync.test_push import mutation, push
from tests.unit.sync.toy import Note


def pull_all(session, registry, user, cursor=None, limit=100):
    changes, pages = [], 0
    while True:
        page = sync.pull(session, registry, user, cursor, limit, KEY)
        changes += page["changes"]
        cursor, pages = page["cursor"], pages + 1
        if not page["has_more"]:
            return changes, cursor, pages


def ids(changes, op="upsert"):
    return [c["id"] for c in changes if c["op"] == op and c["entity"] == "note"]


def test_first_pull_is_a_snapshot_of_what_is_visible(session, registry):
    alice, bob = principal(), principal()
    mine = mutation()
    push(session, registry, alice, mine)
    push(session, registry, bob, mutation())
    changes, cursor, _ = pull_all(session, registry, alice)
    notes = [c for c in changes if c["entity"] == "note"]
    assert [c["id"] for c in notes] == [str(mine["id"])]
    assert notes[0]["version"] == 1 and notes[0]["data"]["text"] == "现场发现"
    again, _, _ = pull_all(session, registry, alice, cursor)
    assert again == []


def test_changes_since_the_cursor_in_commit_order(session, registry):
    user = principal()
    _, cursor, _ = pull_all(session, registry, user)
    first, second = mutation(), mutation()
    push(session, registry, user, first)
    push(session, registry, user, second)
    changes, cursor, _ = pull_all(session, registry, user, cursor)
    assert ids(changes) == [str(first["id"]), str(second["id"])]
    assert pull_all(session, registry, user, cursor)[0] == []


def test_a_record_changed_twice_comes_once_at_its_current_version(session, registry):
    user = principal()
    _, cursor, _ = pull_all(session, registry, user)
    record = uuid.uuid4()
    push(session, registry, user, mutation(record))
    push(session, registry, user, mutation(record, "update", {"text": "v2"}, base_version=1))
    changes, _, _ = pull_all(session, registry, user, cursor)
    assert len(changes) == 1
    assert changes[0]["version"] == 2 and changes[0]["data"]["text"] == "v2"


def test_paging_delivers_everything_once(session, registry):
    user = principal()
    records = [mutation() for _ in range(25)]
    push(session, registry, user, *records)
    changes, cursor, pages = pull_all(session, registry, user, limit=7)
    assert sorted(ids(changes)) == sorted(str(m["id"]) for m in records)
    assert pages >= 4
    more = [mutation() for _ in range(10)]
    push(session, registry, user, *more)
    changes, _, pages = pull_all(session, registry, user, cursor, limit=3)
    assert ids(changes) == [str(m["id"]) for m in more] and pages == 4
    assert all(c["entity"] == "note" for c in changes)  # the log names the pushed entity


def test_changes_during_a_paged_snapshot_are_not_lost(session, registry):
    user = principal()
    push(session, registry, user, *[mutation() for _ in range(6)])
    page = sync.pull(session, registry, user, None, 2, KEY)
    late = mutation()
    push(session, registry, user, late)
    changes, _, _ = pull_all(session, registry, user, page["cursor"], limit=2)
    assert str(late["id"]) in ids(changes)


def test_others_never_see_a_private_record(session, registry):
    alice, outsider = principal(), principal(tags={"team"})
    _, cursor, _ = pull_all(session, registry, outsider)
    record = uuid.uuid4()
    push(session, registry, alice, mutation(record, data={"text": "私密", "shared": False}))
    push(session, registry, alice, mutation(record, "update", {"text": "私密2"}, base_version=1))
    push(session, registry, alice, mutation(record, "delete", {}, base_version=2))
    changes, _, _ = pull_all(session, registry, outsider, cursor)
    assert changes == []  # not even a tombstone: it never was theirs to see


def test_tombstone_when_a_record_leaves_the_view(session, registry):
    owner, teammate = principal(), principal(tags={"team"})
    record = uuid.uuid4()
    push(session, registry, owner, mutation(record, data={"text": "共享", "shared": True}))
    changes, cursor, _ = pull_all(session, registry, teammate)
    assert str(record) in ids(changes)
    push(session, registry, owner, mutation(record, "update", {"shared": False}, base_version=1))
    changes, cursor, _ = pull_all(session, registry, teammate, cursor)
    assert changes == [{"entity": "note", "id": str(record), "op": "delete"}]
    owner_view, _, _ = pull_all(session, registry, owner)
    assert str(record) in ids(owner_view)


def test_visibility_is_decided_at_read_time(session, registry):
    owner, teammate = principal(), principal(tags={"team"})
    _, cursor, _ = pull_all(session, registry, teammate)
    record = uuid.uuid4()
    push(session, registry, owner, mutation(record, data={"text": "先共享", "shared": True}))
    push(session, registry, owner, mutation(record, "update", {"shared": False}, base_version=1))
    changes, _, _ = pull_all(session, registry, teammate, cursor)
    # Logged as shared at first, but private now: the teammate gets only a tombstone.
    assert changes == [{"entity": "note", "id": str(record), "op": "delete"}]


def test_deleted_record_becomes_a_tombstone_for_its_owner(session, registry):
    owner = principal()
    record = uuid.uuid4()
    push(session, registry, owner, mutation(record))
    _, cursor, _ = pull_all(session, registry, owner)
    push(session, registry, owner, mutation(record, "delete", {}, base_version=1))
    changes, _, _ = pull_all(session, registry, owner, cursor)
    assert changes == [{"entity": "note", "id": str(record), "op": "delete"}]


@pytest.mark.parametrize("cursor", ["", "garbage", "a.b", "!!!.???", "e30.AAAA"])
def test_malformed_cursor(session, registry, cursor):
    user = principal()
    if cursor == "":
        assert sync.pull(session, registry, user, cursor, 10, KEY)["has_more"] in (True, False)
        return
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, user, cursor, 10, KEY)


def test_foreign_and_tampered_cursors(session, registry):
    alice, bob = principal(), principal()
    _, cursor, _ = pull_all(session, registry, alice)
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, bob, cursor, 10, KEY)
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, alice, cursor, 10, b"x" * 32)
    forged = encode_cursor(b"y" * 32, alice.id, {"p": "l", "s": 0})
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, alice, forged, 10, KEY)
    odd = encode_cursor(KEY, alice.id, {"p": "l", "s": "zero"})
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, alice, odd, 10, KEY)


def test_sequence_numbers_follow_commit_order(engine, registry):
    """A change allocates its sequence number when its transaction commits, so one that
    started earlier but commits later still comes after what a reader has already seen."""
    from sqlalchemy.orm import Session

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no interleaving to test")
    user = principal()
    with Session(engine) as slow, Session(engine) as fast:
        early = Note(id=uuid.uuid4(), owner_id=user.id, text="早开始晚提交")
        slow.add(early)
        slow.flush()
        note_change(slow, registry, "note", early)
        late = Note(id=uuid.uuid4(), owner_id=user.id, text="晚开始早提交")
        fast.add(late)
        fast.flush()
        note_change(fast, registry, "note", late)
        fast.commit()
        with Session(engine) as reader:
            changes, cursor, _ = pull_all(reader, registry, user)
            assert str(late.id) in ids(changes) and str(early.id) not in ids(changes)
        slow.commit()
        with Session(engine) as reader:
            changes, _, _ = pull_all(reader, registry, user, cursor)
            assert ids(changes) == [str(early.id)]


def test_allocate_sequence_reserves_blocks(session):
    first = allocate_sequence(session, 5)
    second = allocate_sequence(session, 1)
    assert second == first + 5
    session.rollback()


def test_cursor_reveals_nothing_about_the_change_log(session, registry):
    """Positions in the global log are encrypted: two cursors for the same state differ,
    and neither contains the sequence number in any readable form."""
    import base64

    user = principal()
    state = {"p": "l", "s": 123456789}
    first, second = encode_cursor(KEY, user.id, state), encode_cursor(KEY, user.id, state)
    assert first != second
    for cursor in (first, second):
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        assert b"123456789" not in raw and b'"s"' not in raw
        assert str(user.id).encode() not in raw
    flipped = first[:-3] + ("A" if first[-3] != "A" else "B") + first[-2:]
    with pytest.raises(sync.InvalidCursor):
        sync.pull(session, registry, user, flipped, 10, KEY)


def test_a_sight_only_change_reaches_only_who_gained_or_lost_sight(session, registry):
    """When only who may see a record changes, those who saw it all along hear nothing
    (hearing of it would tell them something about it moved)."""
    owner, teammate = principal(), principal(tags={"team"})
    record_id = uuid.uuid4()
    push(session, registry, owner, mutation(record_id, data={"text": "点位", "shared": False}))
    _, owner_cursor, _ = pull_all(session, registry, owner)
    _, team_cursor, _ = pull_all(session, registry, teammate)
    record = session.get(Note, record_id)
    before = registry["note"].audience(session, record)
    record.shared = True
    note_change(session, registry, "note", record, before, sight_only=True)
    session.commit()
    assert pull_all(session, registry, owner, owner_cursor)[0] == []
    gained, _, _ = pull_all(session, registry, teammate, team_cursor)
    assert ids(gained) == [str(record_id)]
    # Without sight_only everyone who can see it would have heard of it.
    before = registry["note"].audience(session, record)
    record.text = "点位(已改名)"
    note_change(session, registry, "note", record, before)
    session.commit()
    assert ids(pull_all(session, registry, owner, owner_cursor)[0]) == [str(record_id)]
