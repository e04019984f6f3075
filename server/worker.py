"""The job worker: `flask jobs worker` is a small supervisor whose child, `flask jobs
consume`, runs the Huey consumer (job threads, periodic jobs, the decoder processes).

A child that dies (killed, out of memory) is started again after a short pause, so a dying
consumer never stops the supervisor, nor — under `make run`'s honcho — the web server.
SIGINT or SIGTERM to the supervisor stops the child (Huey finishes or abandons its jobs;
an abandoned photo is re-enqueued by the next consumer) and then the supervisor.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from flask import current_app
from huey.consumer import Consumer

log = logging.getLogger("zhicha.worker")
RESTART_PAUSE_S = (1, 2, 5, 10, 30)  # after quick successive deaths, wait longer
STABLE_AFTER_S = 60  # a child that lived this long resets the pause


def supervise(consumer_command: list[str]) -> int:
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deaths = 0
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen(consumer_command)
        log.info("job consumer started (pid %d)", child.pid)
        code = child.wait()
        if stopping:
            break
        deaths = 0 if time.monotonic() - started > STABLE_AFTER_S else deaths + 1
        pause = RESTART_PAUSE_S[min(deaths, len(RESTART_PAUSE_S) - 1)]
        log.warning("job consumer exited (%s); restarting in %d s", code, pause)
        time.sleep(pause)
    return 0


def consumer_command(workers: int) -> list[str]:
    app_name = os.environ.get("FLASK_APP", "wsgi")
    return [sys.executable, "-m", "flask", "--app", app_name, "jobs", "consume"] + [
        "--workers",
        str(workers),
    ]


def _with_retries(work, attempts: int = 6) -> int:
    """Startup work against a busy database: wait and try again rather than die (the
    minute's sweep does it anyway if every attempt fails)."""
    from sqlalchemy.exc import OperationalError

    from server.extensions import db

    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as error:
            db.session.rollback()
            log.warning("startup sweep: %s; again in %d s", error.orig, 2**attempt)
            time.sleep(2**attempt)
    return 0


def consume(workers: int) -> None:
    """Run the Huey consumer in this process until SIGINT/SIGTERM."""
    from server.database import begin_writes
    from server.evidence.jobs import requeue_orphaned
    from server.evidence.operations import decoder_pool
    from server.jobs import huey

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    begin_writes()  # the startup sweep writes: BEGIN IMMEDIATE, as the jobs do
    current_app.config["JOBS_WORKERS"] = workers  # one decoder per job thread
    pool = decoder_pool()  # pre-started before the first job
    requeued = _with_retries(requeue_orphaned)
    log.info("consumer %d: %d decoders, %d photos re-enqueued", os.getpid(), workers, requeued)
    consumer = Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=True,
        # SQLite queue: polled, soon after a job (the next is often already there), then
        # less often, at least every half second. (Redis blocks on BRPOP instead.)
        initial_delay=0.002,
        backoff=1.1,
        max_delay=0.5,
        check_worker_health=True,
    )
    try:
        consumer.run()
    finally:
        pool.close()
        current_app.logger.info("consumer %d stopped", os.getpid())
