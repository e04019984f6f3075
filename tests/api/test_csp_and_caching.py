"""What the Content-Security-Policy would block never ships (inline event handlers,
javascript: URLs, style attributes), and private answers are never kept by a cache
(Cache-Control)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from server.console.assets import content_hash
from server.extensions import db
from server.models import Role
from tests.api.test_console_plans import login
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# Every domain's templates and static files (server/<domain>/templates/…), and the field app.
SCANNED = [
    *sorted(p for folder in (ROOT / "server").rglob("templates") for p in folder.rglob("*")),
    *sorted(p for folder in (ROOT / "server").rglob("static") for p in folder.rglob("*")),
    *sorted((ROOT / "pwa").rglob("*")),
]
TEXT_SUFFIXES = {".html", ".js", ".css", ".webmanifest", ".json", ".svg"}

# An on…= or style= attribute inside a tag (also in a JS template string),
# setAttribute("on…" / "style"), and javascript: URLs. (Setting element.style from a
# script is allowed: the policy blocks only style attributes and elements.)
INLINE = [
    re.compile(r"<[a-zA-Z][^<>]*\son\w+\s*=", re.IGNORECASE),
    re.compile(r"setAttribute\(\s*[\"'`]on\w+", re.IGNORECASE),
    re.compile(r"javascript\s*:", re.IGNORECASE),
]
# Our own files only: a vendored library ships unmodified (ECharts draws its tooltips'
# markup with style attributes; blocked, a tooltip loses only its colour dots).
INLINE_STYLE = [
    re.compile(r"<[a-zA-Z][^<>]*\sstyle\s*=", re.IGNORECASE),
    re.compile(r"setAttribute\(\s*[\"'`]style", re.IGNORECASE),
]


def inline_script(text: str, vendored: bool = False) -> list[str]:
    patterns = INLINE if vendored else INLINE + INLINE_STYLE
    return [m.group(0) for pattern in patterns for m in pattern.finditer(text)]


def test_the_scanner_finds_what_it_looks_for():
    assert inline_script('<button type="button" onclick="window.print()">')
    assert inline_script("<a\n  href=x\n  onMouseOver = 'f()'>")
    assert inline_script('el.innerHTML = `<img src=x onerror="go()">`;')
    assert inline_script('button.setAttribute("onclick", "go()")')
    assert inline_script('<a href="JavaScript:void(0)">')
    assert inline_script('<input name="n" style="width:6em">')
    assert inline_script('el.setAttribute("style", "color:red")')
    assert not inline_script('button.addEventListener("click", print); req.onsuccess = f;')
    assert not inline_script('<button type="button" data-print>打印</button>')


def test_no_inline_handlers_in_templates_or_the_field_app():
    files = [p for p in SCANNED if p.is_file() and p.suffix in TEXT_SUFFIXES]
    assert len(files) > 30  # the folders really were read
    found = {
        str(p.relative_to(ROOT)): hits
        for p in files
        if (hits := inline_script(p.read_text(encoding="utf-8"), "vendor" in p.parts))
    }
    assert not found, found


def test_the_print_button_is_wired_by_the_console_script(client, auth, factory):
    login(client, auth, factory.user(Role.supervisor))
    html = client.get("/console/three-lists").get_data(as_text=True)
    assert re.search(r"<button[^>]*\sdata-print[\s>]", html)
    assert "/console/static/console.js" in html
    script = client.get("/console/static/console.js")
    assert script.status_code == 200
    assert "[data-print]" in script.get_data(as_text=True)
    assert "window.print()" in script.get_data(as_text=True)


# ---- Cache-Control ----


def test_console_pages_are_no_store(client, auth, factory):
    login(client, auth, factory.user(Role.supervisor))
    for path in ("/console/", "/console/three-lists", "/console/no-such-page"):
        response = client.get(path)
        assert response.mimetype == "text/html", path
        assert response.headers["Cache-Control"] == "no-store", path


def test_authenticated_json_is_no_store(client, auth, factory):
    tokens = auth.login(factory.user(Role.admin))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    for path in ("/api/me", "/api/users", "/api/plans", "/api/settings"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_login_answer_with_tokens_is_no_store(client, factory):
    user = factory.user(Role.inspector)
    db.session.commit()
    body = {"username": user.username, "password": PASSWORD}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "no-cache"),  # the PWA shell: revalidated, the service worker caches it
        ("/sw.js", "no-cache"),
        ("/pwa/app.js", "no-cache"),
        ("/manifest.webmanifest", "no-cache"),
    ],
)
def test_public_files_keep_their_caching(client, path, expected):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == expected


def test_console_static_files_are_not_no_store(client):
    for name in ("console.css", "console.js"):
        response = client.get(f"/console/static/{name}")
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_openapi_document_is_cacheable(client):
    response = client.get("/api/openapi.json")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_console_assets_are_linked_by_content_and_kept_for_a_year(client, auth, factory):
    login(client, auth, factory.user(Role.supervisor))
    html = client.get("/console/").get_data(as_text=True)
    links = dict(re.findall(r"/console/static/(console\.(?:css|js))\?v=([0-9a-f]{16})", html))
    assert set(links) == {"console.css", "console.js"}, html[:600]
    static = Path(__file__).parents[2] / "server/console/static"
    for name, version in links.items():
        assert version == hashlib.sha256((static / name).read_bytes()).hexdigest()[:16]
        kept = client.get(f"/console/static/{name}?v={version}")
        assert kept.status_code == 200
        assert "max-age=31536000" in kept.headers["Cache-Control"], kept.headers
        for asked in (f"/console/static/{name}", f"/console/static/{name}?v=0123456789abcdef"):
            again = client.get(asked)  # unversioned or an old release's link: revalidated
            assert again.status_code == 200
            assert "max-age=31536000" not in again.headers.get("Cache-Control", ""), asked
            assert again.get_data() == kept.get_data()


def test_a_changed_file_gets_a_new_link(tmp_path):
    asset = tmp_path / "a.js"
    asset.write_text("one();")
    first = content_hash(str(tmp_path), "a.js")
    asset.write_text("two();")
    os.utime(asset, ns=(asset.stat().st_atime_ns, asset.stat().st_mtime_ns + 1_000_000))
    assert content_hash(str(tmp_path), "a.js") not in (None, first)
    assert content_hash(str(tmp_path), "../a.js") is None  # never outside the folder
    assert content_hash(str(tmp_path), "missing.js") is None
