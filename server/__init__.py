"""zhicha (直查): the Flask application factory."""

from __future__ import annotations

import logging
from importlib import import_module

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import flask_settings, load_config
from server.database import configure_database
from server.errors import register_error_handlers
from server.extensions import db, jwt, migrate
from server.hooks import connect_signals, install_hooks
from server.limits import init_limits
from server.transaction import init_transaction
from server.web import init_cache_policy


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

    configure_database(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=_repo_path("migrations"))
    jwt.init_app(app)

    from server.auth.tokens import init_tokens

    init_tokens(jwt)
    install_hooks()
    connect_signals()
    init_transaction(app)
    register_error_handlers(app)
    init_limits(app)  # request line, headers, JSON depth: before anything reads them
    _register_blueprints(app)
    init_cache_policy(app)
    _add_security_headers(app)

    from server.cli import register_cli
    from server.jobs import init_jobs

    register_cli(app)
    init_jobs(app)
    return app


def _repo_path(name: str) -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / name)


# The API's blueprints (`blp`), then the console's and the field app's (`bp`), each named
# once by its module under server/, in the order they are registered.
API_BLUEPRINTS = (
    "auth.api",
    "system.api",
    "accounts.api",
    "plans.api",
    "workdays.api",
    "sync_api.api",
    "evidence.uploads_api",
    "evidence.api",
    "findings.api",
    "rectification.api",
    "rectification.notifications_api",
    "rectification.instructions_api",
)
PAGE_BLUEPRINTS = (
    "console.shell",
    "auth.pages",
    "accounts.pages",
    "plans.pages",
    "findings.pages",
    "rectification.pages",
    "rectification.ledger_pages",
    "rectification.export_pages",
    "rectification.portal_pages",
    "rectification.instruction_pages",
    "points.pages",
    "clues.pages",
    "workdays.pages",
    "system.pages",
    "evidence.pages",
    "exposure.pages",
    "dashboards.pages",
    "maps.pages",
    "organisation.pages",
    "organisation.import_pages",
    "bulletins.pages",
    "clues.import_pages",
    "clues.reply_pages",
    "clues.topic_pages",
    "clues.unit_pages",
    "web",
)


def _register_blueprints(app: Flask) -> None:
    from server.openapi import document_common_parts

    api = ZhichaApi(app)
    document_common_parts(api)
    for name in API_BLUEPRINTS:
        api.register_blueprint(import_module(f"server.{name}").blp)
    for name in PAGE_BLUEPRINTS:
        app.register_blueprint(import_module(f"server.{name}").bp)
    app.extensions["zhicha_api"] = api


# The Content-Security-Policy of every answer. A view may answer with a wider one for
# itself (the header is only set where it is missing): the map page adds the origin of an
# online tile server (ZHICHA_MAP_TILE_URL) to img-src and connect-src.
CSP = {
    "default-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "object-src": ("'none'",),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}


def content_security_policy(extra: dict | None = None) -> str:
    directives = {name: list(sources) for name, sources in CSP.items()}
    for name, sources in (extra or {}).items():
        current = directives.setdefault(name, list(CSP["default-src"]))
        current += [s for s in sources if s not in current]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _add_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response
