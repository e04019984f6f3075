"""Dashboards (统计看板) with 200,000 items and 20,000 findings: server time per role.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database), schema
by the real migrations:

1. The ledger bench's world and items (bench/ledger.py: one office, 200 units in 10
   regions, 20 lead officials, 10 plans; N items with real `red_from`), then F findings
   over the last 13 months in every triage status, inserted with Core in batches.
   PostgreSQL gets VACUUM ANALYZE; SQLite what `flask analyze-db` does.
2. `GET /console/dashboard` through the in-process test client (console cookie from
   `POST /console/session`) as the office's supervisor, a lead official (who also
   follows the office's ~10,000 挂牌督办 items) and the responder of the largest unit;
   the supervisor filtered by one unit and by a period; the start pages. Two warm-up
   runs, then the median and p95 of R runs, with the garbage collector's long-lived
   objects frozen as gunicorn.conf.py has a worker do. Target: ≤ 300 ms.

Timings are printed, never asserted; the script fails only when a page is not a 200.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ledger
from _common import (
    PASSWORD,
    backends,
    database,
    footer,
    frozen_collector,
    header,
    make_app,
    median,
    percentile,
    table,
)
from sqlalchemy import insert, text

TARGET_MS = 300.0
ITEMS, FINDINGS = 200_000, 20_000
QUICK_ITEMS, QUICK_FINDINGS = 20_000, 2_000
REPEATS, WARMUP, BATCH = 10, 2, 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("all", "both", "sqlite", "postgresql"), default="all")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--findings", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.backend = "all" if args.backend == "both" else args.backend
    args.items = args.items or (QUICK_ITEMS if args.quick else ITEMS)
    args.findings = args.findings or (QUICK_FINDINGS if args.quick else FINDINGS)
    return args


def fill_findings(app, backend: str, world: dict, count: int) -> float:
    from server.extensions import db
    from server.models import Finding, Severity, TriageStatus

    rng = random.Random(14)
    now = datetime.now(UTC)
    statuses, severities = list(TriageStatus), list(Severity)
    started = time.perf_counter()
    with app.app_context():
        statement = insert(Finding.__table__)
        for first in range(0, count, BATCH):
            rows = []
            for _ in range(first, min(count, first + BATCH)):
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "created_by_id": world["supervisor"],
                        "plan_id": rng.choice(world["plans"]),
                        "title": "工地未设置安全围挡",
                        "description": "现场发现",
                        "category": "other",
                        "severity": rng.choice(severities),
                        "observed_at": now - timedelta(minutes=rng.randint(0, 395 * 24 * 60)),
                        "triage_status": rng.choice(statuses),
                        "triage_reason": "",
                        "version": 1,
                    }
                )
            with db.engine.begin() as conn:
                conn.execute(statement, rows)
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE finding"))
        else:
            from server.database import refresh_statistics

            refresh_statistics()
        db.engine.dispose()
    return time.perf_counter() - started


def console_client(app, username: str):
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    token = token.get_json()["access_token"]
    answer = client.post("/console/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 204, answer.status_code
    return client


def cases(world: dict, today) -> list[tuple[str, str, str]]:
    start = (today - timedelta(days=90)).isoformat()
    return [
        ("supervisor", "bench-supervisor", ""),
        ("supervisor, one unit", "bench-supervisor", f"?unit_id={world['units'][0][0]}"),
        ("supervisor, 90 days", "bench-supervisor", f"?date_from={start}"),
        ("leader", "bench-leader-00", ""),
        ("responder", "bench-responder", ""),
        ("start page, supervisor", "bench-supervisor", "/"),
        ("start page, leader", "bench-leader-00", "/"),
    ]


def measure(app, world, today, repeats) -> list[dict]:
    results = []
    for name, username, query in cases(world, today):
        client = console_client(app, username)
        url = "/console/" if query == "/" else f"/console/dashboard{query}"
        times = []
        for n in range(WARMUP + repeats):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            if n >= WARMUP:
                times.append(elapsed)
        results.append({"name": name, "times": times, "bytes": len(response.data)})
    return results


def run_backend(backend: str, args, tmp: Path) -> list[dict]:
    from server.extensions import db
    from server.timeutil import local_today

    with database(backend, tmp, "bench_dash") as url:
        app = make_app(tmp / backend, url)
        today = local_today()
        with app.app_context():
            world = ledger.build_world(db.session)
            db.engine.dispose()
        fill_s = ledger.fill(app, backend, world, args.items, today)
        fill_s += fill_findings(app, backend, world, args.findings)
        print(
            f"  [{backend}] {args.items:,} items, {args.findings:,} findings in {fill_s:.1f}s",
            flush=True,
        )
        with frozen_collector():
            results = measure(app, world, today, args.repeats)
        rows = []
        for r in results:
            p50, p95 = median(r["times"]) * 1000, percentile(r["times"], 95) * 1000
            rows.append([r["name"], p50, p95, f"{p95 / TARGET_MS:.2f}", r["bytes"]])
        table(
            ["case", "median ms", "p95 ms", "p95/300ms", "bytes"],
            rows,
            title=f"{backend}: /console/dashboard ({args.items:,} items)",
        )
        with app.app_context():
            db.engine.dispose()
    return results


def main() -> int:
    args = parse_args()
    watch = header(f"dashboards with {args.items:,} items (bench/dashboards.py)", args)
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-dash-") as tmp:
        for backend in backends(args):
            run_backend(backend, args, Path(tmp))
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
