"""zhicha (直查): the Flask application factory."""

from __future__ import annotations

import logging

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


def _register_blueprints(app: Flask) -> None:
    from server.accounts.api import blp as accounts_blp
    from server.auth.api import blp as auth_blp
    from server.console.shell import bp as console_bp
    from server.evidence.api import blp as photos_blp
    from server.evidence.pages import bp as evidence_pages
    from server.evidence.uploads_api import blp as uploads_blp
    from server.findings.api import blp as findings_blp
    from server.findings.pages import bp as finding_pages
    from server.openapi import document_common_parts
    from server.plans.api import blp as plans_blp
    from server.plans.pages import bp as plan_pages
    from server.rectification.api import blp as rectifications_blp
    from server.rectification.ledger_pages import bp as ledger_pages
    from server.rectification.notifications_api import blp as notifications_blp
    from server.rectification.pages import bp as rectification_pages
    from server.rectification.portal_pages import bp as portal_pages
    from server.sync_api.api import blp as sync_blp
    from server.system.api import blp as system_blp
    from server.web import bp as web_bp
    from server.workdays.api import blp as calendar_blp
    from server.workdays.pages import bp as calendar_pages

    console_pages = (
        plan_pages,
        finding_pages,
        rectification_pages,
        ledger_pages,
        portal_pages,
        calendar_pages,
        evidence_pages,
    )
    api = ZhichaApi(app)
    document_common_parts(api)
    for blp in (
        auth_blp,
        system_blp,
        accounts_blp,
        plans_blp,
        calendar_blp,
        sync_blp,
        uploads_blp,
        photos_blp,
        findings_blp,
        rectifications_blp,
        notifications_blp,
    ):
        api.register_blueprint(blp)
    app.register_blueprint(console_bp)
    for pages in console_pages:
        app.register_blueprint(pages)
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
