"""Photo processing jobs: one photo per job, and a sweeper for stranded ones."""

from __future__ import annotations

import logging
import uuid

from flask import current_app
from huey.exceptions import RetryTask

from server.evidence import operations
from server.extensions import db
from server.jobs import every_minute, job, periodic_job

log = logging.getLogger(__name__)
SWEEP_LIMIT = 1000  # photos re-enqueued by one sweep


@job()
def process_photo_job(photo_id: str) -> None:
    try:
        operations.process_photo_content(uuid.UUID(photo_id))
    except operations.RetryLater as later:
        raise RetryTask(delay=later.delay_s) from None
    except operations.TRANSIENT as error:  # e.g. the database stayed locked past its timeout
        db.session.rollback()
        log.warning("photo %s: %r; retrying", photo_id, error)
        raise RetryTask(delay=current_app.config["PHOTO_PROCESSING_RETRY_S"]) from None


@periodic_job(every_minute)
def sweep_stranded_photos() -> int:
    """Re-enqueue photos whose job was lost: claimed by a consumer of this host that died,
    or queued too long ago (a wiped queue, an outage when enqueuing)."""
    count = requeue_orphaned() + operations.requeue(operations.stranded(SWEEP_LIMIT))
    if count:
        log.info("re-enqueued %d stranded photos", count)
    return count


def requeue_orphaned() -> int:
    """Photos a dead consumer of this host was working on (at worker start, each sweep)."""
    return operations.requeue(operations.orphaned(SWEEP_LIMIT))
