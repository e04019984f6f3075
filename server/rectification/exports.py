"""XLSX exports of the ledger and the three lists: at once when small, as a job (导出任务)
when the filters give more than `export_inline_max_rows` rows.

The ExportJob row is the truth: the job (rectification/jobs.py) re-reads it, scopes the
rows by the requester as they are now, overwrites its file if run twice, and commits its
progress between batches (short transactions: the workbook is written outside them).
Files live in STORAGE_DIR/exports and are deleted `export_keep_hours` after they are done;
only the requester may download one."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from server.audit import record_event
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import ExportJob, ExportStatus, User
from server.models.base import utcnow
from server.rectification import export_rows, xlsx
from server.settings import get_setting

log = logging.getLogger(__name__)
KINDS = {"ledger": "整改台账", "three_lists": "三个清单"}
# A queued or running export untouched this long lost its message or its worker.
STRANDED_AFTER = timedelta(minutes=10)
NOT_FOUND = "导出任务不存在"


def export_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def row_limit() -> int:
    return int(get_setting("export_max_rows"))


def is_large(user: User, args: dict) -> tuple[bool, int]:
    """(runs as a job, rows the filters give)."""
    total = min(export_rows.count(user, args), row_limit())
    return total > int(get_setting("export_inline_max_rows")), total


def write_inline(target, user: User, kind: str, args: dict) -> int:
    return xlsx.write(target, kind, export_rows.batches(user, args, row_limit()))


def request_export(user: User, kind: str, filters: dict, total: int) -> ExportJob:
    """A queued export job (the caller enqueues it after commit)."""
    job = ExportJob(requester_id=user.id, kind=kind, filters=filters, rows_total=total)
    db.session.add(job)
    db.session.flush()
    record_event("export.requested", "export_job", job.id, user.id, kind=kind, rows=total)
    return job


def jobs_of(user: User, limit: int = 50) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.requester_id == user.id)
            .order_by(ExportJob.created_at.desc())
            .limit(limit)
        )
    )


def own_file(user: User, job_id: uuid.UUID) -> tuple[ExportJob, Path]:
    """The requester's finished file; anyone else (or a gone file) is told it does not exist."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.requester_id != user.id or job.status != ExportStatus.done:
        raise not_found(NOT_FOUND)
    path = export_dir() / (job.file_name or "")
    if not job.file_name or not path.is_file():
        raise not_found(NOT_FOUND)
    return job, path


def kind_of(job_id: uuid.UUID) -> str | None:
    job = db.session.get(ExportJob, job_id)
    return job.kind if job else None


def file_name(job: ExportJob) -> str:
    return f"{job.kind}-{job.id}.xlsx"


def run_export(job_id: uuid.UUID, schema) -> str:
    """Write the export's file. Idempotent: a done job is left alone, anything else is
    (re)written from the start. Returns the job's status."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status in (ExportStatus.done, ExportStatus.expired):
        db.session.rollback()
        return job.status.value if job else "missing"
    user = db.session.get(User, job.requester_id)
    job.status, job.rows_done, job.error = ExportStatus.running, 0, None
    job.started_at = job.touched_at = utcnow()
    kind, filters = job.kind, dict(job.filters)
    db.session.commit()
    # A run of its own: a doubled message never writes into another run's file.
    name, partial = file_name(job), export_dir() / f"{job_id}-{uuid.uuid4().hex}.partial"

    def progress(done: int) -> None:
        row = db.session.get(ExportJob, job_id)
        row.rows_done, row.touched_at = done, utcnow()
        db.session.commit()  # the next batch's read begins a fresh, short transaction

    try:
        if user is None or not user.active:
            raise PermissionError("申请人账号已停用")
        args = schema.load(filters)
        total = xlsx.write(
            str(partial), kind, export_rows.batches(user, args, row_limit()), progress
        )
    except Exception as error:  # the row says why; the sweeper does not retry a failure
        db.session.rollback()
        log.exception("export %s failed", job_id)
        partial.unlink(missing_ok=True)
        job = db.session.get(ExportJob, job_id)
        job.status, job.finished_at = ExportStatus.failed, utcnow()
        job.error = _reason(error)
        db.session.commit()
        return job.status.value
    partial.replace(export_dir() / name)
    job = db.session.get(ExportJob, job_id)
    job.status, job.file_name, job.rows_done, job.rows_total = ExportStatus.done, name, total, total
    job.finished_at = utcnow()
    job.expires_at = job.finished_at + timedelta(hours=float(get_setting("export_keep_hours")))
    db.session.commit()
    return job.status.value


def _reason(error: Exception) -> str:
    """What the requester is told: a refusal's own words; anything else in general terms
    (its details are in the log, not for the page)."""
    if isinstance(error, ApiError):
        return error.message[:300]
    if isinstance(error, PermissionError | ValidationError):
        return str(error)[:300]
    return "生成文件时出错,请重新导出;仍不成功请联系系统管理员"


def expire_exports(now=None) -> int:
    """Delete the files of exports past their expiry, and what a run killed mid-way left
    (a partial file is written only while the workbook closes: minutes old, it is lost)."""
    now = now or utcnow()
    for partial in export_dir().glob("*.partial"):
        if partial.stat().st_mtime < (now - STRANDED_AFTER).timestamp():
            partial.unlink(missing_ok=True)
    jobs = db.session.scalars(
        select(ExportJob).where(ExportJob.status == ExportStatus.done, ExportJob.expires_at <= now)
    ).all()
    for job in jobs:
        (export_dir() / (job.file_name or f"{job.id}.xlsx")).unlink(missing_ok=True)
        job.status, job.file_name = ExportStatus.expired, None
    db.session.commit()
    return len(jobs)


def stranded(now=None) -> list[uuid.UUID]:
    """Queued or running exports untouched for STRANDED_AFTER: re-queued by the sweeper."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(ExportJob.id).where(
            ExportJob.status.in_((ExportStatus.queued, ExportStatus.running)),
            ExportJob.touched_at < now - STRANDED_AFTER,
        )
    ).all()
    for job_id in ids:
        job = db.session.get(ExportJob, job_id)
        job.status, job.touched_at = ExportStatus.queued, now
    db.session.commit()
    return list(ids)
