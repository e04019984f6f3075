"""A demo problem photo: a portrait with one face (server/demo_assets/README.md), kept as
an original like an upload and left `processing`, so the job worker makes its copies as it
does for any photo (the sweeper picks up a photo that was never queued)."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

from server.evidence.storage import evidence_storage, original_key
from server.extensions import db
from server.models import ContentStatus, Finding, LocationSource, Photo, PhotoParent, utcnow

SAMPLE = Path(__file__).parent / "demo_assets" / "astronaut.jpg"


def seed_demo_photo(finding: Finding, lat: float | None, lon: float | None) -> Photo:
    data = SAMPLE.read_bytes()
    photo_id, received = uuid.uuid4(), utcnow()
    storage = evidence_storage()
    staging = storage.staging_dir() / f"demo-{photo_id}.jpg"
    shutil.copyfile(SAMPLE, staging)
    key = original_key(photo_id, received, "image/jpeg")
    storage.put(staging, key)
    photo = Photo(
        id=photo_id,
        created_by_id=finding.created_by_id,
        parent_type=PhotoParent.finding,
        parent_id=finding.id,
        plan_id=finding.plan_id,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        mime_type="image/jpeg",
        captured_at=finding.observed_at,
        received_at=received,
        lat=lat,
        lon=lon,
        accuracy_m=10 if lat is not None else None,
        location_source=LocationSource.geolocation if lat is not None else LocationSource.none,
        content_status=ContentStatus.processing,
        storage_path=key,
        capture_source="camera",
    )
    db.session.add(photo)
    db.session.flush()
    return photo
