"""Front-end libraries the console serves itself (no CDN: the app runs on intranets).

Each library is one npm package at a pinned version. `python tools/vendor.py` downloads
the package's tarball from the npm registry, checks it against the integrity hash the
registry publishes for that version (recorded in vendor.json, so a later change of the
registry's answer is noticed too), and copies the listed files out of it byte for byte,
with the package's licence. `python tools/vendor.py --check` (offline; the test suite
runs it) checks that every vendored file is still the one taken from the package.

To upgrade: change `version` and `integrity` in vendor.json (`npm view <name>@<version>
dist.integrity`), run the script, review the diff, run the browser tests."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "server" / "console" / "static" / "vendor"
MANIFEST = VENDOR / "vendor.json"
REGISTRY = "https://registry.npmjs.org"


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package: dict) -> None:
    url = tarball_url(package["name"], package["version"])
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (fixed host)
        data = response.read()
    got = integrity_of(data)
    if got != package["integrity"]:
        raise SystemExit(f"{package['name']}@{package['version']}: integrity {got} != recorded")
    folder = VENDOR / package["name"]
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for entry in package["files"]:
            member = archive.extractfile(f"package/{entry['from']}")
            target = folder / entry["to"]
            target.write_bytes(member.read())
            entry["sha256"] = sha256_of(target)
    print(f"{package['name']}@{package['version']}: {len(package['files'])} files, integrity ok")


def problems(manifest: dict) -> list[str]:
    """What differs between the vendored files and the manifest (empty: all is well)."""
    found = []
    for package in manifest["packages"]:
        folder = VENDOR / package["name"]
        for entry in package["files"]:
            path = folder / entry["to"]
            if not path.is_file():
                found.append(f"missing: {path.relative_to(ROOT)}")
            elif sha256_of(path) != entry["sha256"]:
                found.append(f"changed: {path.relative_to(ROOT)}")
        if not (folder / package["licence_file"]).is_file():
            found.append(f"no licence: {package['name']}")
    return found


def main(argv: list[str]) -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if "--check" not in argv:
        for package in manifest["packages"]:
            fetch(package)
        MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    found = problems(manifest)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
