"""Daily upkeep of the database."""

from __future__ import annotations

import logging

from server.database import refresh_statistics
from server.jobs import daily_at, periodic_job

log = logging.getLogger(__name__)


@periodic_job(daily_at("ANALYZE_HOUR"))
def analyze_db_job() -> None:
    log.info(refresh_statistics())
