"""The production path of a photo, for bench/photo_ingest.py: the real app on a SQLite
file, a tus upload through the app, the job on the SQLite queue, the real worker process
(`flask jobs worker`, one job thread, a pre-started decoder) until the photo is `stored`.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from _common import build_world, finding_data, login_headers, make_app, mutation
from tests.processes import start_worker, stop

TUS = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Pipeline:
    """An app, a signed-in inspector with a finding, and a worker consuming the queue."""

    def __init__(self, app, headers: dict, finding_id: str):
        self.app, self.headers, self.finding_id = app, headers, finding_id
        self.client = app.test_client()

    def upload(self, content: bytes) -> str:
        """Push a photo record and upload its content; returns when the last PATCH is
        answered (the original is kept and the job is on the queue)."""
        sha256 = hashlib.sha256(content).hexdigest()
        photo = mutation(
            "photo",
            {
                "parent_type": "finding",
                "parent_id": self.finding_id,
                "sha256": sha256,
                "size_bytes": len(content),
                "mime_type": "image/jpeg",
                "captured_at": datetime.now(UTC).isoformat(),
                "lat": 26.4533,
                "lon": 106.9769,
                "accuracy_m": 8.5,
                "location_source": "geolocation",
            },
        )
        self._push(photo)
        created = self.client.post(
            "/api/uploads",
            headers={
                **self.headers,
                **TUS,
                "Upload-Length": str(len(content)),
                "Upload-Metadata": f"photo_id {_b64(photo['id'])},sha256 {_b64(sha256)}",
            },
        )
        assert created.status_code == 201, created.get_data(as_text=True)
        done = self.client.patch(
            created.headers["Location"],
            data=content,
            headers={
                **self.headers,
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert done.status_code == 204, done.get_data(as_text=True)
        return photo["id"]

    def _push(self, *mutations) -> None:
        response = self.client.post(
            "/api/sync/push",
            headers=self.headers,
            json={"device_id": str(uuid.uuid4()), "mutations": list(mutations)},
        )
        results = response.get_json()["results"]
        assert all(r["status"] == "applied" for r in results), results

    def wait_stored(self, photo_ids: list[str], timeout_s: float = 120) -> float:
        """Poll until every photo is `stored`; returns the time it happened (monotonic)."""
        from sqlalchemy import func, select

        from server.extensions import db
        from server.models import ContentStatus, Photo

        ids = [uuid.UUID(i) for i in photo_ids]
        deadline = time.monotonic() + timeout_s
        with self.app.app_context():
            while time.monotonic() < deadline:
                rows = db.session.execute(
                    select(Photo.content_status, func.count())
                    .where(Photo.id.in_(ids))
                    .group_by(Photo.content_status)
                ).all()
                db.session.rollback()
                states = dict(rows)
                if states.get(ContentStatus.stored) == len(ids):
                    return time.monotonic()
                if set(states) - {ContentStatus.stored, ContentStatus.processing}:
                    raise RuntimeError(f"photos not stored: {states}")
                time.sleep(0.004)  # leave the CPU to the worker
        raise RuntimeError("photos still processing after the timeout")


@contextmanager
def pipeline(tmp: Path, workers: int = 1) -> Iterator[Pipeline]:
    url = f"sqlite:///{tmp / 'queue-path.sqlite3'}"
    app = make_app(tmp, url, JOBS_IMMEDIATE=False, JOBS_WORKERS=workers)
    with app.app_context():
        from server.extensions import db

        world = build_world(db.session)
    headers = login_headers(app.test_client(), world.inspector_username)
    finding = mutation("finding", finding_data(world))
    path = Pipeline(app, headers, finding["id"])
    path._push(finding)
    worker = start_worker(app, workers, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield path
    finally:
        stop(worker)
