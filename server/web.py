"""The field app (PWA) as static files: `/` is its shell, `/sw.js` its service worker (at the
root so its scope is the whole app), `/manifest.webmanifest`, and `/pwa/...` its modules;
`/glossary.js` is the glossary of labels (server/glossary.py) as a module they import.

Everything is served with `Cache-Control: no-cache` (revalidate with ETag): the service
worker owns offline caching, and a stale sw.js must never be served from the HTTP cache.

`init_cache_policy` gives everything else its caching: console pages and JSON API answers
(tokens, plans, findings: none of it public) are `no-store`, so no shared or browser cache
keeps them after a logout; public files (console CSS and scripts, the PWA, the OpenAPI
document) keep theirs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, request, send_from_directory

from server.glossary import GLOSSARY

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
    text = (PWA_DIR / "sw.js").read_text().replace("__PWA_VERSION__", pwa_version(), 1)
    return Response(
        text,
        mimetype="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@bp.route("/glossary.js")
def glossary_module():
    """The labels the field app shows, from the one glossary; its modules import them
    from here and keep no copies. Cached like the app's files (the service worker
    precaches it with the shell; its version covers this text)."""
    text = glossary_js()
    response = Response(text, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
    response.set_etag(hashlib.sha256(text.encode()).hexdigest()[:16])
    return response.make_conditional(request)


def glossary_js() -> str:
    data = json.dumps(GLOSSARY, ensure_ascii=False, indent=1)
    return (
        "// The glossary of labels (server/glossary.py), served as GET /glossary.js.\n"
        "// Field app modules import their labels from here; never copy one into a module.\n"
        f"const data = {data};\n"
        "for (const labels of Object.values(data)) Object.freeze(labels);\n"
        "export const GLOSSARY = Object.freeze(data);\n"
    )


_version_cache: dict = {}


def pwa_version() -> str:
    """A hash of every file of the field app and of the glossary it imports: it names the
    service worker's cache, so a deployment that changes any file or label is picked up by
    devices without a manual bump."""
    files = sorted(p for p in PWA_DIR.rglob("*") if p.is_file())
    glossary = glossary_js()
    stamp = (tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files), glossary)
    if _version_cache.get("stamp") != stamp:
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(PWA_DIR)).encode() + b"\0")
            digest.update(path.read_bytes())
        digest.update(b"/glossary.js\0" + glossary.encode())
        _version_cache.update(stamp=stamp, version=digest.hexdigest()[:16])
    return _version_cache["version"]


@bp.route("/manifest.webmanifest")
def manifest():
    return _serve("manifest.webmanifest", "application/manifest+json")


@bp.route("/pwa/<path:filename>")
def field_app_file(filename: str):
    return _serve(filename)


PUBLIC_ENDPOINTS = {"api-docs.openapi_json", "console.static"}
PUBLIC_MIMETYPES = {"text/javascript", "application/javascript", "text/css"}


def init_cache_policy(app: Flask) -> None:
    @app.after_request
    def cache_policy(response):
        path = request.path
        if not path.startswith(("/api/", "/console")) or request.endpoint in PUBLIC_ENDPOINTS:
            return response
        if response.mimetype in PUBLIC_MIMETYPES:
            return response  # the console's scripts: the same for everyone
        if response.mimetype in ("application/json", "text/html"):
            response.headers["Cache-Control"] = "no-store"
        else:
            # Files that chose their own caching (a photo's thumbnail) keep it.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
