"""A toy entity for testing the sync core on its own: notes that can be shared with a team."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Integer, MetaData, String, Uuid, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync import EntityHandler, Rejected


class ToyBase(DeclarativeBase):
    metadata = MetaData()


class Note(ToyBase):
    __tablename__ = "toy_note"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    text: Mapped[str] = mapped_column(String(100))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class NoteHandler(EntityHandler):
    name = "note"
    pushable = True
    # It reads nothing but the note itself: every op can run without a flush before.
    batchable_ops = frozenset({"create", "update", "delete"})

    def load(self, session, record_id):
        return session.get(Note, record_id)

    def is_deleted(self, record):
        return record.deleted

    def visible(self, session, principal, record):
        return record.owner_id == principal.id or (record.shared and "team" in principal.tags)

    def audience(self, session, record):
        return frozenset({f"u:{record.owner_id}"} | ({"team"} if record.shared else set()))

    def serialize(self, record):
        return {"text": record.text, "shared": record.shared}

    def snapshot(self, session, principal, after, limit):
        query = select(Note).where(Note.deleted.is_(False)).order_by(Note.id).limit(limit)
        if after:
            query = query.where(Note.id > after)
        return [n for n in session.scalars(query) if self.visible(session, principal, n)]

    def _check(self, data, partial):
        allowed = {"text", "shared"}
        unknown = set(data) - allowed
        if unknown:
            raise Rejected("validation_error", "bad", {k: ["unknown field"] for k in unknown})
        if not partial and not data.get("text"):
            raise Rejected("validation_error", "bad", {"text": ["required"]})
        if "text" in data and (not isinstance(data["text"], str) or len(data["text"]) > 100):
            raise Rejected("validation_error", "bad", {"text": ["too long"]})

    def create(self, ctx, record_id, data):
        self._check(data, partial=False)
        note = Note(id=record_id, owner_id=ctx.principal.id, **data)
        ctx.session.add(note)
        return note

    def update(self, ctx, record, data):
        if record.owner_id != ctx.principal.id:
            raise Rejected("forbidden", "not yours")
        self._check(data, partial=True)
        for key, value in data.items():
            setattr(record, key, value)

    def delete(self, ctx, record):
        record.deleted = True


class ReadOnlyHandler(NoteHandler):
    """A pull-only view of the same table, to test non-pushable entities."""

    name = "readonly"
    pushable = False


class FlushedNoteHandler(NoteHandler):
    """The same notes, for a handler that needs the push's earlier mutations flushed
    before each of its own (the default)."""

    name = "flushed_note"
    batchable_ops = frozenset()
