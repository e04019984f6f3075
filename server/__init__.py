"""zhicha (直查): the Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import flask_settings, load_config
from server.errors import register_error_handlers
from server.extensions import db, jwt, migrate
from server.transaction import init_transaction


class ZhichaApi(Api):
    """flask-smorest, minus its own error format: server/errors.py owns the envelope."""

    from server.schemas import ErrorSchema as ERROR_SCHEMA

    def _register_error_handlers(self):
        pass


def create_app(config: dict | None = None) -> Flask:
    cfg = flask_settings(load_config(config))
    app = Flask(__name__, instance_path=cfg["INSTANCE_DIR"], instance_relative_config=False)
    app.config.update(cfg)
    logging.basicConfig(level=logging.INFO)
    if cfg["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg["PROXY_COUNT"], x_proto=1)

    _configure_database(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=_repo_path("migrations"))
    jwt.init_app(app)

    from server.auth.tokens import init_tokens

    init_tokens(jwt)
    init_transaction(app)
    register_error_handlers(app)
    _register_blueprints(app)
    _add_security_headers(app)

    from server.cli import register_cli

    register_cli(app)
    return app


def _repo_path(name: str) -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / name)


def _configure_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        from pathlib import Path

        Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
        # A pooled file database: connections are reused per worker.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000},
            "pool_size": 5,
            "max_overflow": 10,
        }
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 10}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL, a busy timeout and enforced foreign keys on every SQLite connection."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    from flask import current_app, has_app_context

    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] if has_app_context() else 5000
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from server.accounts.routes import blp as accounts_blp
    from server.auth.routes import blp as auth_blp
    from server.console.routes import bp as console_bp
    from server.openapi import document_common_parts
    from server.system.routes import blp as system_blp
    from server.web import bp as web_bp

    api = ZhichaApi(app)
    document_common_parts(api)
    for blp in (auth_blp, system_blp, accounts_blp):
        api.register_blueprint(blp)
    app.register_blueprint(console_bp)
    app.register_blueprint(web_bp)
    app.extensions["zhicha_api"] = api


def _add_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        return response
