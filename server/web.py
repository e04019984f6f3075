"""The field app (PWA) as static files: `/` is its shell, `/sw.js` its service worker (at the
root so its scope is the whole app), `/manifest.webmanifest`, and `/pwa/...` its modules.

Everything is served with `Cache-Control: no-cache` (revalidate with ETag): the service
worker owns offline caching, and a stale sw.js must never be served from the HTTP cache."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"

bp = Blueprint("web", __name__)


def _serve(filename: str, mimetype: str | None = None):
    response = send_from_directory(PWA_DIR, filename, max_age=0, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/")
def field_app():
    return _serve("index.html")


@bp.route("/sw.js")
def service_worker():
    response = _serve("sw.js", "text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    return _serve("manifest.webmanifest", "application/manifest+json")


@bp.route("/pwa/<path:filename>")
def field_app_file(filename: str):
    return _serve(filename)
