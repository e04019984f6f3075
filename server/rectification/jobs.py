"""Daily reminders and escalation (the same run as `flask send-reminders`; idempotent);
XLSX exports (导出任务) and their sweeper."""

from __future__ import annotations

import logging
import uuid

from server.extensions import db
from server.jobs import daily_at, enqueue, every_minute, job, periodic_job
from server.rectification import exports
from server.rectification.reminders import run_reminders

log = logging.getLogger(__name__)


@periodic_job(daily_at("REMINDERS_HOUR"))
def send_reminders_job() -> dict:
    counts = run_reminders(None)
    db.session.commit()
    log.info("reminders: %s", counts)
    return counts


@job()
def export_xlsx_job(export_id: str) -> str:
    from server.rectification.schemas import LedgerArgsSchema, ThreeListsArgsSchema

    job_id = uuid.UUID(export_id)
    kind = exports.kind_of(job_id)
    schema = ThreeListsArgsSchema() if kind == "three_lists" else LedgerArgsSchema()
    return exports.run_export(job_id, schema)


@periodic_job(every_minute)
def sweep_exports() -> dict:
    """Delete expired export files; re-enqueue exports whose message or worker was lost."""
    expired = exports.expire_exports()
    requeued = exports.stranded()
    for export_id in requeued:
        enqueue(export_xlsx_job, str(export_id))
    return {"expired": expired, "requeued": len(requeued)}
