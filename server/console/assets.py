"""The console's scripts and stylesheets are linked with a hash of their content (`?v=…`),
and a file asked for with its current hash may be kept by the browser for a year. A page
then loads without revalidating each file (a round trip each on a phone's network, and
until they were back a page could be drawn without its stylesheet), and a new release
changes the links, so nobody keeps running an old script. A link without the hash, or
with an old one, is served to be revalidated, as before."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600

# Path → (modification time, hash): each file is read once per process and version.
_hashes: dict[str, tuple[int, str]] = {}


def content_hash(folder: str, filename: str) -> str | None:
    """The first 16 hex digits of the file's SHA-256, or None when there is no such file
    under `folder` (a name that climbs out of it included)."""
    joined = safe_join(folder, filename)
    if joined is None:
        return None
    path = Path(joined)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    known = _hashes.get(joined)
    if known and known[0] == mtime:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    _hashes[joined] = (mtime, digest)
    return digest


class VersionedStatic(Blueprint):
    """A blueprint whose static files are linked with their hash and cached by it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_defaults(self._add_version)

    def _add_version(self, endpoint: str, values: dict) -> None:
        if endpoint == f"{self.name}.static" and "v" not in values:
            digest = content_hash(self.static_folder, values.get("filename", ""))
            if digest:
                values["v"] = digest

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        asked = request.args.get("v")
        if filename and asked and asked == content_hash(self.static_folder, filename):
            return YEAR
        return super().get_send_file_max_age(filename)
