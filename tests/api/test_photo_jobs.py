"""Photo processing as a job: idempotent, retried, swept when stranded, `failed` with a
reason after its attempts; a queue outage never loses an upload. (Jobs run immediately in
these tests; tests/api/test_job_worker.py runs the real worker.)"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

import server.evidence.operations as operations
from server.evidence.imaging import ImageRefused
from server.evidence.jobs import sweep_stranded_photos
from server.extensions import db
from server.models import ContentStatus, utcnow
from tests.api.test_evidence import GPS_JPEG, console_session, push_photo, record, upload


@pytest.fixture
def device(client, auth, world):
    from tests.api.sync_helpers import Device

    return Device(client, auth, world.inspector)


class Failing:
    """A decoder pool whose every photo fails as `error` does."""

    def __init__(self, error: Exception):
        self.error, self.calls = error, 0

    def process(self, *args, **kwargs):
        self.calls += 1
        raise self.error


def fail_with(monkeypatch, error: Exception) -> Failing:
    failing = Failing(error)
    monkeypatch.setattr(operations, "decoder_pool", lambda: failing)
    return failing


def derived_files(app, photo) -> list[str]:
    root = Path(app.config["STORAGE_DIR"])
    paths = record(photo).derived.values()
    return sorted(p.name for p in (root / next(iter(paths))).parent.iterdir())


def test_a_photo_processed_twice_gives_the_same_rows_and_files(app, client, device, world):
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    first = record(photo)
    assert first.content_status == ContentStatus.stored
    derived, files, version = dict(first.derived), derived_files(app, photo), first.version
    # A second message for a done photo does nothing at all.
    operations.process_photo_content(first.id)
    assert record(photo).version == version and record(photo).processing_attempts == 1
    # A second full run (e.g. two workers took the same photo) writes the same files.
    again = record(photo)
    again.content_status = ContentStatus.processing
    db.session.commit()
    operations.process_photo_content(again.id)
    done = record(photo)
    assert done.content_status == ContentStatus.stored and done.derived == derived
    assert derived_files(app, photo) == files  # no second derivative, no partial left
    assert len(files) == len(set(derived.values()))


def test_passing_failures_are_retried_with_backoff_then_failed(
    app, client, device, world, monkeypatch
):
    app.config.update(PHOTO_PROCESSING_MAX_ATTEMPTS=3, PHOTO_PROCESSING_RETRY_S=2)
    failing = fail_with(monkeypatch, ImageRefused("worker_failed", reason="killed by SIGKILL"))
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)  # the first attempt, right after commit
    assert record(photo).content_status == ContentStatus.processing
    assert record(photo).processing_attempts == 1
    with pytest.raises(operations.RetryLater) as later:
        operations.process_photo_content(record(photo).id)
    assert later.value.delay_s == 4  # 2 s after the first attempt, doubled after the second
    operations.process_photo_content(record(photo).id)  # the last: no retry after it
    assert failing.calls == 3
    failed = record(photo)
    assert failed.content_status == ContentStatus.failed
    assert failed.content_error.startswith("已尝试 3 次:图片处理进程异常退出")
    # Out of attempts: another message does not try again.
    operations.process_photo_content(failed.id)
    assert failing.calls == 3


def test_a_refused_image_is_invalid_at_once_not_retried(app, client, device, world, monkeypatch):
    failing = fail_with(monkeypatch, ImageRefused("corrupt", "图片文件已损坏,无法识别"))
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    refused = record(photo)
    assert refused.content_status == ContentStatus.invalid and failing.calls == 1
    assert refused.content_error == "图片文件已损坏,无法识别"


def test_a_failed_photo_is_shown_with_its_reason_and_can_be_retried(
    app, client, auth, device, world, monkeypatch
):
    app.config.update(PHOTO_PROCESSING_MAX_ATTEMPTS=1)
    real = operations.decoder_pool
    fail_with(monkeypatch, OSError(5, "Input/output error"))
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    assert record(photo).content_status == ContentStatus.failed
    reason = record(photo).content_error
    assert "读写照片文件出错" in reason
    # The inspector's device hears of it (pull), the supervisor sees it in the console.
    pulled = {c["id"]: c for c in device.pull() if c["entity"] == "photo"}[photo["id"]]
    assert pulled["data"]["content_status"] == "failed"
    assert pulled["data"]["content_error"] == reason
    api = client.get(f"/api/photos/{photo['id']}", headers=auth.headers(world.supervisor))
    assert api.get_json()["data"]["content_status"] == "failed"
    console_session(client, auth, world.supervisor)
    page = client.get("/console/evidence").get_data(as_text=True)
    assert "处理失败" in page and "读写照片文件出错" in page
    # An admin's retry gives fresh attempts; the job runs and the photo is stored.
    monkeypatch.setattr(operations, "decoder_pool", real)
    result = app.test_cli_runner().invoke(args=["evidence", "retry"])
    assert result.exit_code == 0 and "1 张" in result.output, result.output
    assert record(photo).content_status == ContentStatus.stored


def test_a_queue_outage_loses_no_upload_and_the_sweeper_recovers_it(
    app, client, device, world, monkeypatch
):
    from server.evidence import jobs

    def outage(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(jobs.process_photo_job, "__call__", outage, raising=False)
    monkeypatch.setattr("server.jobs.huey.enqueue", outage)
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)  # 204 all the same: the content is safe
    kept = record(photo)
    assert kept.content_status == ContentStatus.processing and kept.processing_attempts == 0
    monkeypatch.undo()
    # Not yet stale: the sweeper leaves it (its message may still be on its way).
    assert sweep_stranded_photos.call_local() == 0
    kept.processing_queued_at = utcnow() - timedelta(
        seconds=app.config["PHOTO_REQUEUE_AFTER_S"] + 1
    )
    db.session.commit()
    assert sweep_stranded_photos.call_local() == 1
    assert record(photo).content_status == ContentStatus.stored


def test_the_job_itself_retries_a_locked_database(app, client, device, world, monkeypatch):
    from huey.exceptions import RetryTask
    from sqlalchemy.exc import OperationalError

    from server.evidence.jobs import process_photo_job

    photo, _ = push_photo(device, world)
    app.config["JOBS_IMMEDIATE"] = True
    monkeypatch.setattr("server.jobs.huey.enqueue", lambda task: None)  # keep it queued
    upload(client, device, photo["id"], GPS_JPEG)
    monkeypatch.undo()

    def locked(photo_id):
        raise OperationalError("UPDATE photo", {}, Exception("database is locked"))

    monkeypatch.setattr(operations, "_claim", locked)
    with pytest.raises(RetryTask) as retry:
        process_photo_job.call_local(photo["id"])
    assert retry.value.delay == app.config["PHOTO_PROCESSING_RETRY_S"]
    assert record(photo).content_status == ContentStatus.processing


def _leave_processing(photo, claimed_by: str | None, ago_s: float = 0):
    kept = record(photo)
    kept.content_status = ContentStatus.processing
    kept.processing_claimed_by = claimed_by
    kept.processing_queued_at = utcnow() - timedelta(seconds=ago_s)
    db.session.commit()
    return kept


def dead_local_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_photo_another_live_consumer_claimed_is_left_to_it(app, client, device, world):
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    busy = _leave_processing(photo, "other-host:4242")  # claimed just now elsewhere
    operations.process_photo_content(busy.id)  # a doubled message
    assert record(photo).content_status == ContentStatus.processing
    assert record(photo).processing_claimed_by == "other-host:4242"
    # Past its lease (decode timeout + 60 s) the claim no longer holds.
    lease = app.config["PHOTO_PROCESSING_TIMEOUT_S"] + 61
    _leave_processing(photo, "other-host:4242", ago_s=lease)
    operations.process_photo_content(busy.id)
    assert record(photo).content_status == ContentStatus.stored
    assert record(photo).processing_claimed_by is None


def test_the_photo_of_a_consumer_that_died_here_is_requeued_at_once(app, client, device, world):
    import socket

    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    _leave_processing(photo, f"{socket.gethostname()}:{dead_local_pid()}")  # killed mid-job
    other = push_photo(device, world)[0]
    upload(client, device, other["id"], GPS_JPEG)
    _leave_processing(other, f"{socket.gethostname()}:{os.getpid()}")  # alive: this process
    assert operations.orphaned(10) == [record(photo).id]
    assert sweep_stranded_photos.call_local() == 1  # not stale, yet re-enqueued (and done)
    db.session.rollback()  # the job ran in its own session: read after it
    assert record(photo).content_status == ContentStatus.stored
    assert record(other).content_status == ContentStatus.processing


def test_the_sweeper_leaves_a_photo_claimed_within_its_lease(app, client, device, world):
    photo, _ = push_photo(device, world)
    upload(client, device, photo["id"], GPS_JPEG)
    stale = app.config["PHOTO_REQUEUE_AFTER_S"] + 1
    _leave_processing(photo, "other-host:4242", ago_s=stale)  # being decoded elsewhere
    assert operations.stranded(10) == []
    _leave_processing(photo, None, ago_s=stale)  # queued, never claimed: the message is lost
    assert operations.stranded(10) == [record(photo).id]
