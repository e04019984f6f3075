"""The sync core on its own: a plain SQLAlchemy engine (SQLite file, and PostgreSQL when
TEST_DATABASE_URL is set), the sync tables, and a toy entity."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import sync
from sync.models import Change, ChangeAudience, MutationResult, SyncCounter, Upload, metadata
from tests.conftest import TempPostgres
from tests.unit.sync.toy import FlushedNoteHandler, NoteHandler, ReadOnlyHandler, ToyBase

SYNC_TABLES = [t.__table__ for t in (MutationResult, SyncCounter, Change, ChangeAudience, Upload)]
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, tmp_path_factory):
    pg = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sync') / 'sync.sqlite3'}"
    else:
        pg = TempPostgres(os.environ["TEST_DATABASE_URL"])
        url = pg.create("zhicha_sync")
    engine = create_engine(url)
    metadata.create_all(engine, tables=SYNC_TABLES)
    ToyBase.metadata.create_all(engine)
    yield engine
    engine.dispose()
    if pg:
        pg.drop(url)
        pg.admin.dispose()


@pytest.fixture
def session(engine):
    sync.install(Session)
    with Session(engine) as session:
        yield session
        session.rollback()
    with engine.begin() as conn:
        for table in [*SYNC_TABLES, *ToyBase.metadata.sorted_tables]:
            conn.execute(table.delete())


@pytest.fixture
def registry():
    reg = sync.Registry()
    reg.register(NoteHandler())
    reg.register(ReadOnlyHandler())
    reg.register(FlushedNoteHandler())
    return reg


def principal(tags=()):
    user_id = uuid.uuid4()
    return sync.Principal(id=user_id, tags=frozenset({f"u:{user_id}", *tags}))


KEY = b"k" * 32
