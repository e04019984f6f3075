"""Daily reminders and escalation (the same run as `flask send-reminders`; idempotent)."""

from __future__ import annotations

import logging

from server.extensions import db
from server.jobs import daily_at, periodic_job
from server.rectification.reminders import run_reminders

log = logging.getLogger(__name__)


@periodic_job(daily_at("REMINDERS_HOUR"))
def send_reminders_job() -> dict:
    counts = run_reminders(None)
    db.session.commit()
    log.info("reminders: %s", counts)
    return counts
