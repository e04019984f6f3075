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


USER_COLUMNS = [
    *("id", "username", "display_name", "role", "unit_id", "password_hash", "active"),
    *("created_at", "updated_at"),
]


def test_a_table_rebuilt_by_a_migration_keeps_its_rows_and_references(empty_database, tmp_path):
    """SQLite rebuilds `unit` and `site` to widen their region codes (8c4f1d2e6a71) while
    users and sites reference the units: the migration runs with foreign keys off, checks
    every reference before it commits, and leaves them on."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import column, insert, table, text

    from server.models import Site, Unit, UnitKind, User

    app = create_app(make_test_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="7d2e5c1a9b40")  # the tables are as the models but for the codes
        unit_id, user_id, at = uuid.uuid4(), uuid.uuid4(), datetime(2026, 1, 1, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(
                insert(Unit.__table__).values(
                    id=unit_id, name="县住建局", code="ZJJ", region_code="522730",
                    kind=UnitKind.department, active=True, version=1, created_at=at,
                    updated_at=at,
                )
            )  # fmt: skip
            # Only the columns of the schema at that revision (later ones add more).
            cols = User.__table__.c
            old_user = table("user_account", *(column(c, cols[c].type) for c in USER_COLUMNS))
            conn.execute(
                insert(old_user).values(
                    id=user_id, username="u1", display_name="用户", role="responder",
                    unit_id=unit_id, password_hash="x", active=True, created_at=at,
                    updated_at=at,
                )
            )  # fmt: skip
        upgrade()
        db.session.add(
            Site(name="龙山镇卫生院", lat=26.4, lon=106.9, radius_m=200, region_code="522730100",
                 unit_id=unit_id)
        )  # fmt: skip
        db.session.commit()
        assert db.session.get(User, user_id).unit.code == "ZJJ"
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
