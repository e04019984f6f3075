"""server/evidence/storage.py: the local backend keeps originals atomically, durably and
read-only, and names files only inside its directory."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.evidence import storage as storage_module
from server.evidence.storage import LocalStorage, derived_prefix, original_key


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def staged(storage: LocalStorage, content: bytes) -> Path:
    path = storage.staging_dir() / f"intake-{uuid.uuid4()}"
    path.write_bytes(content)
    return path


def test_keys_name_originals_by_month_and_photo():
    photo_id = uuid.UUID("0b1e7a52-6f0e-4a43-9d0e-3c1f2a4b5c6d")
    when = datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    assert original_key(photo_id, when, "image/heic") == f"originals/2026/11/{photo_id}.heic"
    assert original_key(photo_id, when, "video/mp4") == f"originals/2026/11/{photo_id}.bin"
    assert derived_prefix(photo_id, when) == f"derived/2026/11/{photo_id}"


def test_put_moves_the_file_under_its_key_read_only(storage):
    source = staged(storage, b"\xff\xd8\xff original bytes")
    storage.put(source, "originals/2026/11/a.jpg")
    kept = storage.local_path("originals/2026/11/a.jpg")
    assert kept == storage.root / "originals/2026/11/a.jpg"
    assert kept.read_bytes() == b"\xff\xd8\xff original bytes"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o440
    assert not source.exists()
    assert storage.staging_dir() == storage.root / "uploads"


def test_put_syncs_the_bytes_before_the_name_and_then_the_directory(storage, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(storage_module.os, "fsync", fsync)
    source = staged(storage, b"photo")
    storage.put(source, "originals/2026/11/b.jpg")
    target = storage.local_path("originals/2026/11/b.jpg")
    assert synced == [str(source), str(target.parent)]


def test_put_replaces_a_file_left_by_a_finish_that_was_cut_short(storage):
    storage.put(staged(storage, b"first"), "originals/2026/11/c.jpg")
    storage.put(staged(storage, b"second"), "originals/2026/11/c.jpg")
    assert storage.local_path("originals/2026/11/c.jpg").read_bytes() == b"second"


def test_remove_forgets_a_key_and_a_missing_one_is_no_error(storage):
    storage.put(staged(storage, b"x"), "originals/2026/11/d.jpg")
    storage.remove("originals/2026/11/d.jpg")
    assert not storage.local_path("originals/2026/11/d.jpg").exists()
    storage.remove("originals/2026/11/d.jpg")


def test_derived_dir_is_made(storage):
    out = storage.derived_dir("derived/2026/11/e")
    assert out.is_dir() and out == storage.root / "derived/2026/11/e"


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside.jpg", "originals/../../x"])
def test_keys_stay_inside_the_storage(storage, key):
    with pytest.raises(ValueError):
        storage.local_path(key)
    with pytest.raises(ValueError):
        storage.put(staged(storage, b"x"), key)
