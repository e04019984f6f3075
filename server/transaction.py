"""The one commit point: the end of the request.

Operations only flush. A successful response commits; an error response rolls back,
unless the operation asked to keep its writes (a failed login must still be audited).
"""

from __future__ import annotations

from flask import Flask, g

from server.extensions import db


def keep_writes_on_error() -> None:
    g.keep_writes_on_error = True


def init_transaction(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code < 400 or g.get("keep_writes_on_error"):
            db.session.commit()
        else:
            db.session.rollback()
        return response
