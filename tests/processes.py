"""Real processes beside the app under test (the job worker), for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_worker(app, workers: int = 2, **popen) -> subprocess.Popen:
    """`flask jobs worker` on the same database, queue and storage as `app` (its own
    process group: stop it with `stop`)."""
    cfg = app.config
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "ZHICHA_ENV": "test",
        "ZHICHA_DATABASE_URL": cfg["DATABASE_URL"],
        "ZHICHA_INSTANCE_DIR": cfg["INSTANCE_DIR"],
        "ZHICHA_STORAGE_DIR": cfg["STORAGE_DIR"],
        "ZHICHA_JOBS_DB": cfg["JOBS_DB"],
        "ZHICHA_REDIS_URL": cfg["REDIS_URL"],
        "ZHICHA_JOBS_QUEUE": cfg["JOBS_QUEUE"],
        "ZHICHA_SECRET_KEY": cfg["SECRET_KEY"],
        "ZHICHA_JWT_SECRET_KEY": cfg["JWT_SECRET_KEY"],
    }
    command = [sys.executable, "-m", "flask", "jobs", "worker", "--workers", str(workers)]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **popen)


def stop(process: subprocess.Popen, timeout_s: float = 20) -> int:
    """SIGTERM to its process group; SIGKILL if it does not end in time."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


def take_sqlite_write_lock(app) -> None:
    """Take and release SQLite's write lock from another connection that will not wait:
    raises "database is locked" if anyone holds it. No-op on PostgreSQL."""
    if app.config["BACKEND"] != "sqlite":
        return
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
    finally:
        other.close()
