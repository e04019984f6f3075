"""The change log keeps itself: whatever a commit writes to a synced entity is in the pull
feed, with no note_changed by hand; the server's own bookkeeping columns are not news."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from server.extensions import db
from server.models import (
    ContentStatus,
    LocationSource,
    Photo,
    PhotoParent,
    Role,
)
from sync.models import Change, ChangeAudience

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def changes_of(record_id) -> list[Change]:
    return list(
        db.session.scalars(select(Change).where(Change.record_id == record_id).order_by(Change.seq))
    )


def test_a_row_written_without_a_note_reaches_the_feed(factory):
    office = factory.unit()
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    plan = factory.plan(office, supervisor, team=[inspector])
    finding = factory.finding(plan, inspector, observed_at=NOW)  # the ORM alone: no note
    db.session.commit()
    [created] = changes_of(finding.id)
    assert (created.entity, created.op, created.version) == ("finding", "upsert", 1)
    tags = set(
        db.session.scalars(select(ChangeAudience.tag).where(ChangeAudience.seq == created.seq))
    )
    assert f"u:{inspector.id}" in tags  # the author's devices hear of it

    finding.title = "工地未设置围挡(已核实)"
    db.session.commit()
    assert [c.version for c in changes_of(finding.id)] == [1, 2]


def test_bookkeeping_alone_is_not_news_but_a_status_is(factory):
    office = factory.unit()
    inspector = factory.user(Role.inspector, office)
    photo = Photo(
        parent_type=PhotoParent.visit,
        parent_id=uuid.uuid4(),
        sha256="ab" * 32,
        size_bytes=10,
        mime_type="image/jpeg",
        captured_at=NOW,
        location_source=LocationSource.none,
        content_status=ContentStatus.processing,
        created_by_id=inspector.id,
    )
    db.session.add(photo)
    db.session.commit()
    assert len(changes_of(photo.id)) == 1

    photo.processing_attempts += 1  # a job claims it: the queue's business only
    photo.processing_claimed_by = "host:1"
    db.session.commit()
    assert len(changes_of(photo.id)) == 1

    photo.content_status = ContentStatus.stored  # devices show this
    db.session.commit()
    assert [c.op for c in changes_of(photo.id)] == ["upsert", "upsert"]
