"""The one commit point: the end of the request.

Operations only flush. A successful response commits; an error response rolls back,
unless the operation asked to keep its writes (a failed login must still be audited).

Request bodies are read before the first database statement: on SQLite a writing request
holds the write lock from its first statement, and a slow client must not hold it while
its body trickles in. `body_limit` gives a route its own size limit (a config key), or
marks it as streaming (tus uploads read their body in bounded chunks instead).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.exc import IntegrityError

from server.audit import write_queued_reads
from server.errors import ApiError
from server.extensions import db

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def keep_writes_on_error() -> None:
    g.keep_writes_on_error = True


def after_commit(callback) -> None:
    """Run `callback()` once this request's transaction has committed (side effects such
    as image processing never run for work that was rolled back)."""
    g.setdefault("after_commit", []).append(callback)


def after_rollback(callback) -> None:
    """Run `callback()` if this request's transaction is rolled back (undo side effects
    on disk that the database will not remember, such as a stored original)."""
    g.setdefault("after_rollback", []).append(callback)


def add_numbered(row, next_code, message: str) -> None:
    """Add and flush `row` with `row.code = next_code()`; when another request took the
    same code a moment ago (the unique constraint), try the next one, three times at most,
    then refuse with 409 `message`."""
    for attempt in range(3):
        row.code = next_code()
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
            return
        except IntegrityError:
            if attempt == 2:
                raise ApiError(409, "conflict", message) from None


def body_limit(config_key: str, streamed: bool = False):
    def mark(view):
        view.body_limit_key = config_key
        view.body_streamed = streamed
        return view

    return mark


def before_first_statement(prepare):
    """Mark a view: `prepare()` runs once its body is read and before its first database
    statement (e.g. hashing uploaded files, which must not hold SQLite's write lock)."""

    def mark(view):
        view.prepare_body = prepare
        return view

    return mark


def on_teardown(callback) -> None:
    """Run `callback()` when this request ends, whatever its outcome."""
    g.setdefault("on_teardown", []).append(callback)


def init_transaction(app: Flask) -> None:
    @app.before_request
    def read_body_first():
        view = current_app.view_functions.get(request.endpoint)
        key = getattr(view, "body_limit_key", None)
        if key:
            request.max_content_length = current_app.config[key]
        if request.method in WRITE_METHODS and not getattr(view, "body_streamed", False):
            request.get_data(cache=True)  # 413 here when over the limit
        prepare = getattr(view, "prepare_body", None)
        if prepare is not None:
            prepare()

    @app.teardown_request
    def run_teardown_callbacks(_error):
        for callback in g.pop("on_teardown", []):
            callback()

    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code < 400 or g.get("keep_writes_on_error"):
            db.session.commit()
            if g.get("read_events"):
                # The read's own transaction has ended; this one writes (BEGIN IMMEDIATE).
                g.writing_after_read = True
                write_queued_reads()
                db.session.commit()
            g.pop("after_rollback", None)
            for callback in g.pop("after_commit", []):
                callback()
        else:
            db.session.rollback()
            for callback in g.pop("after_rollback", []):
                callback()
        return response
