"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL as well when
TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL run uses its own fresh database.

One app per backend and test run: building an app (create_app) costs more than most
tests, so the `app` fixture lends each test the backend's app with its own files
(INSTANCE_DIR, STORAGE_DIR, JOBS_DB under the test's tmp_path) and puts it back as it
was: its config restored, its tables emptied. The requests of a test commit for real (one
commit point per request, as in production), so that live servers in threads, job workers
in other processes and second connections see what the test wrote."""

from __future__ import annotations

import inspect
import os
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server
from werkzeug.utils import cached_property

from server import create_app
from server.config import load_config
from server.database import begin_writes
from server.extensions import db
from server.jobs import huey, init_jobs
from tests.pg import TempPostgres

# Real photos with their provenance and reference values (tests/fixtures/photos/README.md).
PHOTOS = Path(__file__).resolve().parent / "fixtures" / "photos"

TEST_SECRETS = {
    "SECRET_KEY": "test-secret-key-" + "s" * 64,
    "JWT_SECRET_KEY": "test-jwt-secret-key-" + "j" * 64,
}

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

# The config keys that name a test's own files (load_config resolves them from these).
PER_TEST_PATHS = ("INSTANCE_DIR", "STORAGE_DIR", "JOBS_DB")
# App attributes the `app` fixture itself sets for each test.
PER_TEST_ATTRIBUTES = {"_got_first_request", "instance_path"}


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


class SharedApp:
    """The app of one backend, built once and lent to one test at a time. A test that
    changes the app itself (adds a route, a hook) gets it thrown away afterwards: the next
    test has a new one."""

    def __init__(self, name: str, url: str, tmp: Path):
        self.name, self.url, self.tmp = name, url, tmp
        self._app: Flask | None = None

    def get(self) -> Flask:
        if self._app is None:
            self._app = create_app(make_test_config(self.tmp, self.url))
            self._app.config["BACKEND"] = self.name
        return self._app

    def discard(self) -> None:
        if self._app is not None:
            with self._app.app_context():
                db.engine.dispose()
            self._app = None


class Backend(tuple):
    """(name, url, tmp) as tests unpack it, and `.shared`: the backend's one app."""

    shared: SharedApp

    def __new__(cls, shared: SharedApp):
        self = super().__new__(cls, (shared.name, shared.url, shared.tmp))
        self.shared = shared
        return self


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """One schema per backend and session, built by the real migrations, and the
    backend's app."""
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
        pg = None
    else:
        pg = TempPostgres(os.environ["TEST_DATABASE_URL"])
        url = pg.create("zhicha_test")
        with pg.admin.connect() as conn:
            # A throwaway database: a commit need not wait for its WAL to reach the disk.
            name = url.rsplit("/", 1)[1]
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    shared = SharedApp(request.param, url, tmp)
    with shared.get().app_context():
        upgrade()
    yield Backend(shared)
    shared.discard()
    if pg:
        pg.drop(url)
        pg.dispose()


def _shape(app: Flask) -> tuple:
    """What a test could add to an app besides config: routes, hooks, attributes."""
    hooks = {
        "before_request": app.before_request_funcs,
        "after_request": app.after_request_funcs,
        "teardown_request": app.teardown_request_funcs,
        "teardown_appcontext": app.teardown_appcontext_funcs,
        "url_value_preprocessors": app.url_value_preprocessors,
        "url_default_functions": app.url_default_functions,
        "template_context_processors": app.template_context_processors,
        "error_handlers": app.error_handler_spec,  # defaultdicts: lookups add empty ones
    }
    return (
        frozenset(app.view_functions.items()),
        len(app.url_map._rules),
        frozenset(app.blueprints),
        frozenset(app.extensions),
        frozenset(_leaves(hooks)),
        frozenset(
            (key, id(value))
            for key, value in vars(app).items()
            if key not in PER_TEST_ATTRIBUTES and not _computed_once(app, key)
        ),
    )


def _computed_once(app: Flask, key: str) -> bool:
    """A cached property (jinja_env, logger, ...): set on the instance when first read."""
    return isinstance(inspect.getattr_static(type(app), key, None), cached_property)


def _leaves(value, path=()):
    """(path, identity of each function) of nested dicts and lists, empty ones left out."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, (*path, key))
    elif isinstance(value, list):
        if value:
            yield path, tuple(id(f) for f in value)
    else:
        yield path, id(value)


@pytest.fixture
def app(backend, tmp_path):
    """The backend's app, for this test only: its own files under tmp_path, config
    changes undone after the test, and every table emptied."""
    shared = backend.shared
    app = shared.get()
    saved, saved_instance_path = app.config.copy(), app.instance_path
    own = load_config(make_test_config(tmp_path, backend[1]))
    app.config.update({key: own[key] for key in PER_TEST_PATHS})
    app.instance_path = own["INSTANCE_DIR"]
    if backend[0] == "sqlite":  # as configure_database does for a SQLite app
        Path(own["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    # As new to this test as a new app: setup methods (app.route) may be used again.
    app._got_first_request = False
    shape = _shape(app)
    init_jobs(app)  # the queue as this app says (another app may have taken it over)
    if huey.immediate:
        huey.flush()  # the in-memory queue: nothing left from an earlier test
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            reconnect = any(
                app.config.get(key) != saved.get(key)
                for key in ("SQLITE_BUSY_TIMEOUT_MS", "SQLALCHEMY_ENGINE_OPTIONS")
            )
            app.config.clear()
            app.config.update(saved)
            app.instance_path = saved_instance_path
            begin_writes()  # SQLite: wait for the write lock instead of failing at once
            _empty_all_tables()
            if reconnect:
                db.engine.dispose()  # pooled connections keep the timeout they opened with
    if _shape(app) != shape:
        shared.discard()


# Rows the migrations put in (the category and clue topic lists, the sequence counter) stay.
KEEP = {"category", "clue_topic", "sync_counter"}

_pg_sequences: dict[str, list[str]] = {}


def _empty_all_tables() -> None:
    """Empty every table but KEEP in the current app's database and leave it as TRUNCATE
    ... RESTART IDENTITY would: identity counters start again at 1 and, on PostgreSQL,
    tables are fresh (no pages), so rows come back in the order they were written, as some
    tests expect. Truncating the 34 tables took 0.6 s a test; deleting from those that
    have rows, then VACUUM (it drops the emptied pages), takes milliseconds."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP]
    with db.engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        exists = " UNION ALL ".join(
            f"SELECT {n} WHERE EXISTS (SELECT 1 FROM {quote(t.name)})" for n, t in enumerate(tables)
        )
        rows = set(conn.exec_driver_sql(exists).scalars())
        filled = [t for n, t in enumerate(tables) if n in rows]
        if not filled:
            return
        if conn.dialect.name != "postgresql":
            for table in filled:
                conn.execute(table.delete())
            return
        statements = [f"DELETE FROM {quote(t.name)}" for t in filled]
        statements += [f"SELECT setval('{s}', 1, false)" for s in _sequences(conn, tables)]
        conn.exec_driver_sql(";\n".join(statements))  # one round trip
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM " + ", ".join(quote(t.name) for t in filled))


def _sequences(conn, tables) -> list[str]:
    """The sequences owned by these tables' columns (serial, identity)."""
    key = str(conn.engine.url)
    if key not in _pg_sequences:
        rows = conn.execute(
            text(
                "SELECT s.oid::regclass::text FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.relkind = 'S' AND t.relname = ANY(:names)"
            ),
            {"names": [t.name for t in tables]},
        )
        _pg_sequences[key] = [row[0] for row in rows]
    return _pg_sequences[key]


def slowed_assets(app):
    """E2E_SLOW_JS=<seconds> and E2E_SLOW_CSS=<seconds> serve the console's scripts and
    stylesheets that much late, so a browser test that acts before a page is ready fails
    every time instead of once in a while on a loaded machine: a click that beats
    console.js (deferred; its dialog) needs late scripts, a size measured before the CSS
    applied needs late stylesheets. Off by default (README, Tests)."""
    delays = {
        ".js": float(os.environ.get("E2E_SLOW_JS") or 0),
        ".css": float(os.environ.get("E2E_SLOW_CSS") or 0),
    }
    if not any(delays.values()):
        return app

    def late(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/console/static/"):
            time.sleep(delays.get(os.path.splitext(path)[1], 0))
        return app(environ, start_response)

    return late


@pytest.fixture
def live_server(app):
    """The app on a real HTTP port of 127.0.0.1, served from other threads."""
    server = make_server("127.0.0.1", 0, slowed_assets(app), threaded=True)
    # shutdown() waits for the loop to look again: every 50 ms, not the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def client(app):
    return app.test_client()


from tests.factories import *  # noqa: E402,F403  (factories and the auth helper)
