"""Engine set-up for SQLite and PostgreSQL, and the sync change-log hook."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy.exc import OperationalError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


BUSY_RETRY_AFTER_S = 2


def configure_database(app: Flask) -> None:
    app.register_error_handler(OperationalError, _database_error)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
        # A pooled file database: connections are reused per worker.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000},
            "pool_size": 5,
            "max_overflow": 10,
        }
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 10}


def _database_error(error: OperationalError):
    """SQLite still locked after the busy timeout (a burst of writers): 503 with
    Retry-After, which devices and browsers retry; nothing was written. Anything else is
    the unexpected error it is."""
    from server.errors import ApiError, handle_api_error, handle_unexpected

    if "database is locked" not in str(error.orig):
        return handle_unexpected(error)
    seconds = BUSY_RETRY_AFTER_S
    return handle_api_error(
        ApiError(
            503,
            "database_busy",
            f"服务器繁忙,请 {seconds} 秒后重试(未保存任何更改)",
            {"retry_after_seconds": seconds},
            {"Retry-After": str(seconds)},
        )
    )


def sqlite_on_connect(dbapi_connection, _record):
    """WAL, a busy timeout and enforced foreign keys on every SQLite connection; and
    transactions begun by SQLAlchemy (not the driver), so savepoints work."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] if has_app_context() else 5000
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_begin(connection):
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE): a deferred transaction
    that reads and then writes can fail at once with SQLITE_BUSY when another writer got in
    between, and no busy timeout helps with that. Writing requests, and work outside
    requests that declared itself a writer (jobs, CLI commands: `begin_writes`), begin
    immediate; reading requests begin deferred, so a reader never blocks the writers."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing() else "BEGIN")


def _writing() -> bool:
    if has_request_context():
        # A view marked `begins_deferred` (login: it hashes before it writes) takes the
        # write lock itself by setting g.writing_after_read.
        view = current_app.view_functions.get(request.endpoint)
        deferred = getattr(view, "begins_deferred", False)
        writes = request.method not in SAFE_METHODS and not deferred
        return writes or g.get("writing_after_read", False)
    return has_app_context() and g.get("writer", False)


def begin_writing_now() -> None:
    """Begin the session's next transaction now, as a writer (SQLite: BEGIN IMMEDIATE),
    in a reading request that has ended its read transaction and must write (a login's
    outcome, a HEAD that finishes an upload). The flag is only needed while it begins."""
    from server.extensions import db

    previous = g.get("writing_after_read", False), g.get("writer", False)
    g.writing_after_read = g.writer = True
    try:
        db.session.connection()
    finally:
        g.writing_after_read, g.writer = previous


def begin_writes() -> None:
    """Declare the work of this app context (a job, a CLI command) a writer: each of its
    transactions begins immediate, like a writing request's. Keep them short: no image
    work, hashing or other slow CPU while one is open."""
    g.writer = True


def refresh_statistics() -> str:
    """SQLite chooses among indexes from the statistics ANALYZE stores (sqlite_stat1);
    without them it takes every equality for a narrow one, e.g. reads all of an office's
    items through its index to find one plan's (bench/ledger.py). A full ANALYZE (about
    0.25 s for 200,000 items): a sampled one (analysis_limit) misjudged the lead-official
    index badly enough to cost 0.9 s a page. PostgreSQL's autovacuum keeps its own."""
    from server.extensions import db

    if db.engine.dialect.name != "sqlite":
        return "PostgreSQL 由 autovacuum 维护统计信息,无需操作"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return "SQLite 统计信息已更新"
