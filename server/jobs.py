"""The job queue: Huey (a maintained task queue), storing its queue in a SQLite file in
the instance folder by default (`make run` needs no other server) or in Redis when
ZHICHA_REDIS_URL is set (several app servers and workers share it).

Domains define their jobs with `job` / `periodic_job` (in their own jobs.py) and
`create_app` imports those modules. A job:
- runs in its own app context, as a writer (each transaction BEGIN IMMEDIATE on SQLite;
  slow work between transactions, never inside one);
- is idempotent: the database row it works on is the truth, the queue only a hint. A
  lost or doubled message costs time, never data (sweepers re-enqueue stranded work).

`enqueue` never raises: a queue outage must not turn a committed upload into an error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from server.database import begin_writes
from server.timeutil import CHINA

log = logging.getLogger(__name__)

# Storage is chosen by init_jobs(app); until then jobs only live in memory.
huey = Huey("zhicha", results=False, utc=True, storage_class=MemoryStorage)
_state: dict[str, Flask] = {}

# Modules whose import registers jobs (create_app imports them, the worker too).
JOB_MODULES = (
    "server.evidence.jobs",
    "server.exposure.jobs",
    "server.rectification.jobs",
    "server.system.jobs",
    "server.points.jobs",
)


def init_jobs(app: Flask) -> None:
    """Point the queue at this app's storage and register the domains' jobs."""
    import importlib

    _state["app"] = app
    cfg = app.config
    huey.immediate = bool(cfg["JOBS_IMMEDIATE"])  # immediate: an in-memory queue
    if not huey.immediate:
        huey.storage = _storage(cfg)
    for name in JOB_MODULES:
        importlib.import_module(name)


def _storage(cfg) -> SqliteStorage | RedisStorage:
    if cfg["REDIS_URL"]:
        # blocking: the worker waits on BRPOP instead of polling
        return RedisStorage(cfg["JOBS_QUEUE"], url=cfg["REDIS_URL"], blocking=True, read_timeout=1)
    Path(cfg["JOBS_DB"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(
        cfg["JOBS_QUEUE"], filename=cfg["JOBS_DB"], timeout=cfg["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    )


def _app() -> Flask:
    return current_app._get_current_object() if has_app_context() else _state["app"]


def _in_app_context(func: Callable) -> Callable:
    @functools.wraps(func)
    def run(*args, **kwargs):
        # A fresh app context: its own session and `g`, even when an immediate job runs
        # inside the request that enqueued it.
        with _app().app_context():
            begin_writes()
            return func(*args, **kwargs)

    return run


def job(**options) -> Callable:
    """A background job (Huey task options: retries, retry_delay, retry_backoff, …)."""

    def decorate(func: Callable):
        return huey.task(name=func.__name__, **options)(_in_app_context(func))

    return decorate


def periodic_job(when: Callable[[datetime], bool]) -> Callable:
    """A job the worker runs whenever `when(now_utc)` is true (checked each minute)."""

    def decorate(func: Callable):
        return huey.periodic_task(when, name=func.__name__)(_in_app_context(func))

    return decorate


def every_minute(_now: datetime) -> bool:
    return True


def daily_at(config_key: str) -> Callable[[datetime], bool]:
    """Once a day at the hour (China Standard Time) held in the app's config key."""

    def when(now_utc: datetime) -> bool:
        local = now_utc.replace(tzinfo=UTC).astimezone(CHINA)  # Huey passes naive UTC
        return local.minute == 0 and local.hour == _state["app"].config[config_key]

    return when


def enqueue(task, *args) -> bool:
    """Put a job on the queue; False (logged) if the queue cannot be reached."""
    try:
        task(*args)
    except Exception:
        log.exception("could not enqueue %s%r; its sweeper will pick it up", task.name, args)
        return False
    return True


def pending_count() -> int:
    return huey.pending_count()
