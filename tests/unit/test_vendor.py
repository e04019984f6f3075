"""The front-end libraries the console serves are the registry's files, unmodified, each
with its licence (tools/vendor.py took them from the tarball whose integrity the npm
registry publishes)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _vendor_tool():
    spec = importlib.util.spec_from_file_location("vendor_tool", ROOT / "tools" / "vendor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_vendored_file_is_the_one_taken_from_its_package():
    tool = _vendor_tool()
    manifest = json.loads(tool.MANIFEST.read_text(encoding="utf-8"))
    assert {p["name"] for p in manifest["packages"]} == {"echarts", "maplibre-gl", "pmtiles"}
    for package in manifest["packages"]:
        assert package["integrity"].startswith("sha512-")
        assert all(len(entry["sha256"]) == 64 for entry in package["files"])
    assert tool.problems(manifest) == []


def test_a_changed_file_is_noticed():
    tool = _vendor_tool()
    manifest = json.loads(tool.MANIFEST.read_text(encoding="utf-8"))
    entry = manifest["packages"][0]["files"][0]
    entry["sha256"] = "0" * 64
    assert tool.problems(manifest) == [
        f"changed: server/console/static/vendor/echarts/{entry['to']}"
    ]
