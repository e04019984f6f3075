"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL as well when
TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL run uses its own fresh database."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from tests.pg import TempPostgres

# Real photos with their provenance and reference values (tests/fixtures/photos/README.md).
PHOTOS = Path(__file__).resolve().parent / "fixtures" / "photos"

TEST_SECRETS = {
    "SECRET_KEY": "test-secret-key-" + "s" * 64,
    "JWT_SECRET_KEY": "test-jwt-secret-key-" + "j" * 64,
}

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def temp_postgres():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    pg = TempPostgres(url)
    yield pg
    pg.dispose()


def make_test_config(tmp_path: Path, database_url: str, **extra) -> dict:
    return {
        "ENV": "test",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "JOBS_IMMEDIATE": True,
        **TEST_SECRETS,
        **extra,
    }


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """One schema per backend and session, built by the real migrations."""
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
        pg = None
    else:
        pg = TempPostgres(os.environ["TEST_DATABASE_URL"])
        url = pg.create("zhicha_test")
    app = create_app(make_test_config(tmp, url))
    with app.app_context():
        upgrade()
    yield request.param, url, tmp
    with app.app_context():
        db.engine.dispose()
    if pg:
        pg.drop(url)
        pg.dispose()


@pytest.fixture
def app(backend, tmp_path):
    name, url, _ = backend
    app = create_app(make_test_config(tmp_path, url))
    app.config["BACKEND"] = name
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_all_tables()
        db.engine.dispose()


# Rows the migrations put in (the category list, the sequence counter) stay.
KEEP = {"category", "sync_counter"}


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def live_server(app):
    """The app on a real HTTP port of 127.0.0.1, served from other threads."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def client(app):
    return app.test_client()


from tests.factories import *  # noqa: E402,F403  (factories and the auth helper)
