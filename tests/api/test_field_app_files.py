"""The field app's files as the server delivers them."""

from __future__ import annotations

import json
import re

from server import glossary, web


def served_version(client) -> str:
    text = client.get("/sw.js").get_data(as_text=True)
    return re.search(r'const VERSION = "([^"]+)"', text).group(1)


def test_service_worker_is_served_fresh_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.mimetype == "text/javascript"
    assert "__PWA_VERSION__" not in response.get_data(as_text=True)


def test_any_change_to_the_app_makes_a_new_service_worker(client, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "pwa"
    shutil.copytree(web.PWA_DIR, copy)
    monkeypatch.setattr(web, "PWA_DIR", copy)
    before = served_version(client)
    assert served_version(client) == before
    (copy / "views" / "home.js").write_text("// changed\n", encoding="utf-8")
    assert served_version(client) != before


def test_the_shell_lists_every_file_of_the_app(client):
    text = (web.PWA_DIR / "sw.js").read_text()
    listed = set(re.findall(r'"(/pwa/[^"]+)"', text))
    present = {
        "/pwa/" + str(p.relative_to(web.PWA_DIR))
        for p in web.PWA_DIR.rglob("*")
        if p.is_file() and p.name not in ("sw.js", "index.html", "manifest.webmanifest")
    }
    assert present == listed


def glossary_served(client) -> dict:
    text = client.get("/glossary.js").get_data(as_text=True)
    return json.loads(re.search(r"^const data = (\{.*?\});$", text, re.M | re.S).group(1))


def test_the_glossary_is_served_as_a_module_of_the_server_glossary(client):
    response = client.get("/glossary.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    assert "export const GLOSSARY = Object.freeze(data);" in text
    assert glossary_served(client) == glossary.GLOSSARY
    # The same order as the server's (the field app lists severities, kinds in it).
    served = glossary_served(client)
    assert list(served) == list(glossary.GLOSSARY)
    assert list(served["severities"]) == list(glossary.SEVERITIES)
    # Revalidated like the app's files: an unchanged glossary is not sent again.
    again = client.get("/glossary.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_glossary_is_precached_and_versioned_with_the_app(client, monkeypatch):
    shell = re.search(r"const SHELL = \[(.*?)\];", (web.PWA_DIR / "sw.js").read_text(), re.S)
    assert '"/glossary.js"' in shell.group(1)
    before = served_version(client)
    changed = {**glossary.GLOSSARY, "severities": {**glossary.SEVERITIES, "high": "重大"}}
    monkeypatch.setattr(web, "GLOSSARY", changed)
    assert served_version(client) != before
    assert glossary_served(client)["severities"]["high"] == "重大"


def test_manifest_is_chinese_and_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"].startswith("直查") and manifest["start_url"] == "/"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
