"""Where evidence files live: the `EvidenceStorage` interface and its one backend today,
`LocalStorage` (the directory STORAGE_DIR). Everything that writes or reads a photo's
files goes through here: the tus upload's finish (server/evidence/uploads.py), the photos of
a request (server/evidence/intake.py), processing (operations.py) and reading (queries.py).

A file is named by a *key*, the relative POSIX path kept in the database
(`Photo.storage_path`, the values of `Photo.derived`):

    originals/YYYY/MM/<photo id>.<ext>         the exact bytes received, read-only
    derived/YYYY/MM/<photo id>/<copy>.jpg      thumbnail, display, evidence, public

Files still arriving (tus partial files, the photos of a request being received) are kept
in the *staging directory*, always local, until `put` turns one into an original.
docs/evidence.md says what another backend (an S3-compatible object store) must provide.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import current_app

from server.transaction import after_rollback

# The original's extension by its MIME type (the content was checked against the record).
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
ORIGINAL_MODE = 0o440  # an original is never written again


class EvidenceStorage(Protocol):
    """What a storage backend provides. Keys are relative POSIX paths (see the module
    docstring); the caller decides them, the backend never renames."""

    def staging_dir(self) -> Path:
        """A local directory for files still arriving; a file made there is what `put`
        takes. Created if missing."""

    def put(self, source: Path, key: str) -> None:
        """Keep the complete local file `source` under `key`: atomically (a reader finds
        the whole file or none, also after a crash), durably (on disk before this returns)
        and read-only. `source` is consumed. An existing `key` is replaced (a finish that
        was cut short may be repeated)."""

    def remove(self, key: str) -> None:
        """Forget `key`; a key that does not exist is no error."""

    def local_path(self, key: str) -> Path:
        """A local file holding the content of `key`, for reading (a download, the
        decoder). It may not exist (a key whose file was lost)."""

    def derived_dir(self, prefix: str) -> Path:
        """The local directory (created) the decoder writes a photo's copies into; each
        copy's key is `prefix/<name>`."""


class LocalStorage:
    """Evidence in one local directory; the staging directory is inside it (`uploads/`),
    so `put` is a rename on the same filesystem."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def staging_dir(self) -> Path:
        path = self.root / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, source: Path, key: str) -> None:
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        _fsync(source)  # the bytes on disk before a name points to them
        os.chmod(source, ORIGINAL_MODE)
        os.replace(source, target)
        _fsync(target.parent)  # the rename itself

    def remove(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        return self.root / _checked(key)

    def derived_dir(self, prefix: str) -> Path:
        path = self.local_path(prefix)
        path.mkdir(parents=True, exist_ok=True)
        return path


def storage_root() -> Path:
    """The local storage directory (STORAGE_DIR)."""
    return Path(current_app.config["STORAGE_DIR"])


def evidence_storage() -> EvidenceStorage:
    """The app's evidence storage."""
    return LocalStorage(storage_root())


def original_key(photo_id: uuid.UUID, received: datetime, mime_type: str) -> str:
    """Where a photo's original is kept: by month, named by the photo's id."""
    return f"originals/{received:%Y/%m}/{photo_id}.{EXTENSIONS.get(mime_type, 'bin')}"


def derived_prefix(photo_id: uuid.UUID, captured: datetime) -> str:
    """Where a photo's derived copies are kept."""
    return f"derived/{captured:%Y/%m}/{photo_id}"


def keep_original(source: Path, key: str) -> None:
    """Keep the received file `source` as an original under `key` (durably, read-only),
    and remove it again if this request's transaction rolls back: nothing in the database
    would point to it."""
    storage = evidence_storage()
    storage.put(source, key)
    after_rollback(lambda: storage.remove(key))


def _checked(key: str) -> str:
    """A key is a relative path inside the storage: no absolute path, no `..`."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
