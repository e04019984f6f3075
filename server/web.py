"""The field app (PWA) as static files: `/` is its shell, `/pwa/...` its modules."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"

bp = Blueprint("web", __name__)


@bp.route("/")
def field_app():
    response = send_from_directory(PWA_DIR, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/pwa/<path:filename>")
def field_app_file(filename: str):
    response = send_from_directory(PWA_DIR, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
