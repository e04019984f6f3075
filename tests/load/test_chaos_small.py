"""A small chaos run (bench/chaos.py) inside `make test`: gunicorn as production starts
it, the job worker when `flask jobs --help` lists `worker`, a few devices pushing and
uploading over tus, desk users triaging, a login storm, one kill -9 of a web worker and
one of the job consumer. Asserts the correctness half only (never timings):
- every acknowledged mutation is in the database exactly once, none refused;
- every completely uploaded photo is stored (good) or invalid/failed with a reason (bad);
- no 5xx, and no connection cut except by the kills;
- the killed processes were replaced, and devices could log in again during the storm.

SQLite always; PostgreSQL with Redis (two app servers, two job workers, uploads switching
server) when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import warnings

import pytest

from bench import chaos

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=BACKENDS)
def small_run(request):
    opts = chaos.Options(
        db=request.param,
        devices=4,
        duration=25,
        max_requests=5_000,
        max_photos=24,
        desks=2,
        storm_rate=3.0,
        web_kills=1,
        worker_kills=1,
        pg_url=os.environ.get("TEST_DATABASE_URL", ""),
        redis_url=os.environ.get("TEST_REDIS_URL", chaos.DEFAULT_REDIS),
        redis_db=14,  # not the benchmark's 13: both may run at once
        quiet=True,
    )
    if opts.db == "postgresql" and not _redis_reachable(f"{opts.redis_url}/{opts.redis_db}"):
        pytest.skip(f"PostgreSQL mode needs Redis at {opts.redis_url} (TEST_REDIS_URL)")
    lines: list[str] = []
    result = chaos.run(opts, say=lines.append)
    chaos.report(opts, result, say=lines.append)
    return opts, result, "\n".join(lines)


@pytest.mark.xdist_group("chaos")  # one run at a time: each loads every core
def test_chaos_small(small_run):
    opts, r, text = small_run
    if not r["worker"]:
        warnings.warn(
            "`flask jobs worker` does not exist: photos were processed inside gunicorn and "
            "no job consumer was killed",
            stacklevel=1,
        )
    assert r["acked"] > 0, text
    assert r["checks"]["exactly_once"], text
    assert r["checks"]["no_refusals"], text
    assert r["photos_complete"] > 0, text
    assert r["checks"]["photos"], text
    assert r["checks"]["no_5xx"], text
    kinds = [k["kind"] for k in r["kills"]]
    assert kinds.count("web") == 1, text
    assert kinds.count("worker") == (1 if r["worker"] else 0), text
    assert all(k.get("restarted_s") is not None for k in r["kills"]), text
    assert r["relogins"].get(False, 0) == 0, text
    if opts.db == "postgresql":
        assert r["servers"] == 2 and r["switched_uploads"] > 0, text
