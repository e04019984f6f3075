"""Migrations build an empty database to head on SQLite and PostgreSQL, match the models,
and go back down cleanly."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from server import create_app
from server.extensions import db
from tests.conftest import make_test_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    pg = request.getfixturevalue("temp_postgres")
    url = pg.create("zhicha_migr")
    yield url
    pg.drop(url)


def test_upgrade_to_head_matches_models(empty_database, tmp_path):
    app = create_app(make_test_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"unit", "user_account", "site", "plan", "audit_event", "auth_session"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], diff
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_events_written_before_the_chain_are_chained_by_the_migration(empty_database, tmp_path):
    from sqlalchemy import text

    from server.audit_chain import verify_chain

    app = create_app(make_test_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="a14202482e1a")
        with db.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_event (at, action, entity_type, entity_id, details) "
                        "VALUES (:at, 'old.event', 'thing', :n, :d)"
                    ),
                    {
                        "at": f"2026-01-0{n + 1} 08:00:00.123456",
                        "n": str(n),
                        "d": json.dumps({"n": n}),
                    },
                )
        upgrade()
        assert verify_chain(db.session) == {"ok": True, "checked": 3, "broken": None}
        db.session.remove()
        db.engine.dispose()
