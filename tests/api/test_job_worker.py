"""The real job worker (`flask jobs worker`, a separate process) on a real queue: the
SQLite queue file, and Redis. Uploads are processed through the queue; a consumer killed
with SIGKILL is started again by its supervisor and picks up the photo it was working on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from uuid import UUID, uuid4

import pytest

from server import create_app
from server.database import begin_writing_now
from server.extensions import db
from server.models import ContentStatus, Photo, Role, UnitKind, utcnow
from tests.api.sync_helpers import Device, World
from tests.api.test_evidence import GPS_JPEG, push_photo, upload
from tests.conftest import make_test_config
from tests.factories import Auth, Factory
from tests.processes import start_worker, stop

REDIS_URL = "redis://127.0.0.1:6379/13"
QUEUES = ["sqlite", "redis"]


def redis_reachable() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False
    return True


@pytest.fixture(params=QUEUES)
def queued_app(request, backend, tmp_path):
    """An app whose jobs go on a real queue, not run in the request."""
    name, url, _ = backend
    # A queue of its own: nothing else on this Redis takes its jobs.
    extra = {"JOBS_IMMEDIATE": False, "JOBS_WORKERS": 2, "JOBS_QUEUE": f"test-{uuid4().hex}"}
    if request.param == "redis":
        if not redis_reachable():
            pytest.skip("no Redis server on 127.0.0.1:6379")
        extra["REDIS_URL"] = REDIS_URL
    app = create_app(make_test_config(tmp_path, url, **extra))
    with app.app_context():
        yield app
        db.session.rollback()
        from tests.conftest import _empty_all_tables

        _empty_all_tables()
        db.engine.dispose()
        from server.jobs import huey

        huey.flush()  # the queue's own keys


def consumer_pid(worker: subprocess.Popen, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
        if found.stdout.split():
            return int(found.stdout.split()[0])
        time.sleep(0.1)
    raise AssertionError("the worker started no consumer")


def wait_until_settled(photo_ids: list[str], timeout_s: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        db.session.expire_all()
        states = {
            str(p.id): p.content_status.value
            for p in db.session.query(Photo).filter(Photo.id.in_([UUID(i) for i in photo_ids]))
        }
        db.session.rollback()
        if all(s != "processing" for s in states.values()) or time.monotonic() > deadline:
            return states


def test_uploads_are_processed_by_the_worker_which_survives_a_kill(queued_app):
    app = queued_app
    factory, client = Factory(), app.test_client()
    office = factory.unit("督查室", kind=UnitKind.office)
    target = factory.unit("住建局")
    inspector = factory.user(Role.inspector, office)
    supervisor = factory.user(Role.supervisor, office)
    site = factory.site(target, lat=26.4532, lon=106.9768)
    plan = factory.plan(office, supervisor, team=[inspector], sites=[site])
    db.session.commit()
    world = World(office, target, inspector, None, supervisor, None, plan, site, site)
    device = Device(client, Auth(client), inspector)

    def upload_photos(n: int) -> list[str]:
        ids = []
        for _ in range(n):
            photo, _ = push_photo(device, world)
            upload(client, device, photo["id"], GPS_JPEG)
            ids.append(photo["id"])
        return ids

    first = upload_photos(3)
    assert set(wait_until_settled(first, timeout_s=0).values()) == {"processing"}  # queued
    worker = start_worker(app)
    try:
        assert set(wait_until_settled(first).values()) == {"stored"}
        # SIGKILL the consumer: the photo it was working on and new uploads are done by
        # the consumer its supervisor starts again.
        killed = consumer_pid(worker)
        os.kill(killed, signal.SIGKILL)
        # A photo it was working on: claimed by it, just now (so not stale for the sweeper).
        db.session.rollback()
        begin_writing_now()
        stranded = db.session.get(Photo, UUID(first[0]))
        stranded.content_status = ContentStatus.processing
        stranded.processing_queued_at = utcnow()
        stranded.processing_claimed_by = f"{socket.gethostname()}:{killed}"
        db.session.commit()
        later = upload_photos(2)
        assert set(wait_until_settled([first[0], *later]).values()) == {"stored"}
        assert worker.poll() is None and consumer_pid(worker) != killed
    finally:
        code = stop(worker)
    assert code == 0  # stopped cleanly on SIGTERM
