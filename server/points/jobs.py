"""The daily points job: the rules of rules.py over the day's facts (idempotent, so a
re-run, a retry or `flask apply-points` by hand adds nothing twice). It runs with the
reminders, at ZHICHA_REMINDERS_HOUR (Beijing time)."""

from __future__ import annotations

import logging

from server.extensions import db
from server.jobs import daily_at, periodic_job
from server.points.rules import apply_rules

log = logging.getLogger(__name__)


@periodic_job(daily_at("REMINDERS_HOUR"))
def apply_points_job() -> dict:
    added = apply_rules()
    db.session.commit()
    log.info("points: %s", added)
    return added
