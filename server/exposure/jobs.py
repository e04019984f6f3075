"""Exposure copy rendering: detection (once) and blurring, one copy per job, and a
sweeper for drafts whose message was lost."""

from __future__ import annotations

import logging
import uuid

from flask import current_app
from huey.exceptions import RetryTask
from sqlalchemy.exc import OperationalError

from server.exposure import operations
from server.extensions import db
from server.jobs import enqueue, every_minute, job, periodic_job

log = logging.getLogger(__name__)
SWEEP_LIMIT = 200
ROUNDS = 5  # boxes changed during a rendering: render again, this many times in one job


@job()
def render_exposure_job(copy_id: str) -> None:
    try:
        for _ in range(ROUNDS):
            if operations.render_copy(uuid.UUID(copy_id)):
                return
        enqueue(render_exposure_job, copy_id)
    except OperationalError as error:  # e.g. the database stayed locked past its timeout
        db.session.rollback()
        log.warning("exposure copy %s: %r; retrying", copy_id, error)
        raise RetryTask(delay=current_app.config["PHOTO_PROCESSING_RETRY_S"]) from None


@periodic_job(every_minute)
def sweep_stranded_exposure_copies() -> int:
    ids = operations.stranded(SWEEP_LIMIT)
    db.session.rollback()
    return sum(enqueue(render_exposure_job, str(copy_id)) for copy_id in ids)
