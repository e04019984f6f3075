"""Push throughput: mutations/s through the real app, against the ORM floor.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database), in one
run on the same database:

- push      POST /api/sync/push through the in-process test client, batches of 100
            `finding` creates (with a visit): JWT auth and the session lookup, JSON,
            marshmallow validation, the run of mutations in one savepoint and one flush
            (sync/apply.py), stored results, change log.
- core      sync.push() + commit called directly (same mutations, shape-checked
            beforehand): the protocol core without HTTP, JSON and schema loading.
- bare ORM  the floor: the same Finding rows as ORM objects, add_all + one commit per 100.
- replay    the push batches sent again: every result is "duplicate".
- refused   batches of 100 where the 50th is refused (unknown category): the run is rolled
            back at it, the first 49 apply again, the refused one gets its own savepoint.

Push and bare batches alternate, so both see the same table sizes. One more batch is
profiled (cProfile) and one is traced (SQL statements and time spent in the driver).
Timings are printed, never asserted.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from _common import (
    World,
    backends,
    build_world,
    database,
    finding_data,
    footer,
    header,
    login_headers,
    make_app,
    median,
    mutation,
    new_id,
    parse_args,
    percentile,
    table,
    trace_statements,
    verdict,
    visit_data,
)

BATCH = 100
TARGETS = {"sqlite": 2000, "postgresql": 1000}
DUPLICATE_TARGET = 5000


def make_batches(world: World, visit_id: str, count: int, start: int = 0) -> list[list[dict]]:
    return [
        [
            mutation("finding", finding_data(world, visit_id, (start + b) * BATCH + i))
            for i in range(BATCH)
        ]
        for b in range(count)
    ]


def post_push(client, headers, device_id, batch, expect: str | Counter) -> float:
    started = time.perf_counter()
    response = client.post(
        "/api/sync/push", headers=headers, json={"device_id": device_id, "mutations": batch}
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"push answered {response.status_code}: {response.get_json()}")
    statuses = Counter(r["status"] for r in response.get_json()["results"])
    if statuses != (expect if isinstance(expect, Counter) else {expect: len(batch)}):
        sample = response.get_json()["results"][0]
        raise RuntimeError(f"expected all {expect}, got {dict(statuses)}; first: {sample}")
    return elapsed


def bare_insert(app, world: World, batch: list[dict]) -> float:
    """The same rows as plain ORM objects: construct, add_all, one commit. Without the
    app's change log (server/sync_api/changes.py notes every flushed synced row): the
    floor is what the ORM alone costs."""
    from server.extensions import db
    from server.models import Finding, Severity

    observed = datetime.fromisoformat(batch[0]["data"]["observed_at"])
    with app.app_context(), _without_change_log():
        started = time.perf_counter()
        now = datetime.now().astimezone()
        rows = []
        for m in batch:
            d = m["data"]
            rows.append(
                Finding(
                    id=_uuid(new_id()),
                    created_by_id=world.inspector_id,
                    plan_id=world.plan_id,
                    site_id=world.site_id,
                    visit_id=_uuid(d["visit_id"]),
                    title=d["title"],
                    description=d["description"],
                    category=d["category"],
                    severity=Severity(d["severity"]),
                    unit_id=world.target_id,
                    lat=d["lat"],
                    lon=d["lon"],
                    accuracy_m=d["accuracy_m"],
                    observed_at=observed,
                    client_time=m["client_time"],
                    received_at=now,
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        return time.perf_counter() - started


@contextmanager
def _without_change_log():
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from server.sync_api.changes import note_flushed

    installed = event.contains(Session, "after_flush", note_flushed)
    if installed:
        event.remove(Session, "after_flush", note_flushed)
    try:
        yield
    finally:
        if installed:
            event.listen(Session, "after_flush", note_flushed)


def _uuid(value):
    import uuid

    return uuid.UUID(value) if value else None


def core_push(app, world: World, device_id: str, batch: list[dict]) -> float:
    """sync.push() + commit in a request context, without HTTP/JSON/marshmallow."""
    import sync
    from server.extensions import db
    from server.models import User, utcnow
    from server.sync_api.principal import principal_for
    from server.sync_api.registry import registry
    from server.sync_api.schemas import PushSchema

    body = PushSchema().load({"device_id": device_id, "mutations": batch})
    with app.test_request_context("/api/sync/push", method="POST"):
        user = db.session.get(User, world.inspector_id)
        principal = principal_for(user)
        db.session.info["upload_max_bytes"] = app.config["UPLOAD_MAX_BYTES"]
        started = time.perf_counter()
        results = sync.push(
            db.session,
            registry,
            principal,
            body["mutations"],
            device_id=body["device_id"],
            received_at=utcnow(),
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
    statuses = Counter(r["status"] for r in results)
    if statuses != {"applied": len(batch)}:
        raise RuntimeError(f"core push: expected all applied, got {dict(statuses)}")
    return elapsed


# Functions whose cumulative time makes a readable phase breakdown of one push request.
PHASES = [
    ("request total (test client)", "werkzeug/test.py", "open"),
    (
        "  auth: verify_jwt_in_request",
        "flask_jwt_extended/view_decorators.py",
        "verify_jwt_in_request",
    ),
    ("  PushSchema load (marshmallow)", "marshmallow/schema.py", "load"),
    ("  sync.push (core)", "sync/push.py", "push"),
    ("    payload_hash", "sync/push.py", "payload_hash"),
    ("    _preload (records touched)", "sync/push.py", "_preload"),
    ("    Applier._run (a run, one savepoint)", "sync/apply.py", "_run"),
    ("    Applier.apply_one (own savepoint)", "sync/apply.py", "apply_one"),
    ("      Applier._flush (rows of a run)", "sync/apply.py", "_flush"),
    ("      handler.create (schema+checks)", "server/sync_api/handlers.py", "create"),
    ("      FindingHandler.check", "server/findings/sync.py", "check"),
    ("      Session.flush", "sqlalchemy/orm/session.py", "flush"),
    ("  commit (after_request)", "server/transaction.py", "commit_or_roll_back"),
    ("    change log: _write_pending", "sync/changelog.py", "_write_pending"),
    ("  response dump (marshmallow)", "marshmallow/schema.py", "dump"),
    ("DB driver execute (all)", "sqlalchemy/engine/default.py", "do_execute"),
    ("DB driver executemany (all)", "sqlalchemy/engine/default.py", "do_executemany"),
]


# Request plumbing that wraps the whole call: left out of the cumulative top 10.
PLUMBING = (
    "/flask/",
    "/werkzeug/",
    "/flask_smorest/",
    "/webargs/",
    "/bench/",
    "server/auth/guards.py",
    "server/sync_api/routes.py",
    "sqlalchemy/util/deprecations.py",
)


def profile_one(client, headers, device_id, batch) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    post_push(client, headers, device_id, batch, "applied")
    profiler.disable()
    return pstats.Stats(profiler)


def print_profile(stats: pstats.Stats, backend: str) -> None:
    raw = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    total = max(ct for (_, _, _), (_, _, _, ct, _) in raw.items())

    def find(path_end: str, func: str) -> tuple[int, float] | None:
        hits = [
            (nc, ct)
            for (file, _, name), (_, nc, _, ct, _) in raw.items()
            if name == func and file.replace("\\", "/").endswith(path_end)
        ]
        if not hits:
            return None
        # Recursive/duplicate entries: the largest cumulative figure is the outer call.
        return sum(h[0] for h in hits), max(h[1] for h in hits)

    rows = []
    for label, path_end, func in PHASES:
        hit = find(path_end, func)
        if hit:
            rows.append([label, hit[0], hit[1] * 1000, f"{100 * hit[1] / total:.0f}%"])
    table(
        ["phase (cProfile of 1 batch of 100)", "calls", "cum ms", "share"],
        rows,
        title=f"[{backend}] where one push of {BATCH} goes (times inflated by the profiler)",
    )

    def short(file: str) -> str:
        file = file.replace("\\", "/")
        for marker in ("site-packages/", "/work/main/"):
            if marker in file:
                return file.split(marker, 1)[1]
        return file

    ranked = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)
    interesting = [
        (key, value)
        for key, value in ranked
        if not key[0].startswith(("~", "<"))
        and not any(part in key[0].replace("\\", "/") for part in PLUMBING)
    ][:10]
    table(
        ["top 10 by cumulative time (below the HTTP plumbing)", "calls", "self ms", "cum ms"],
        [
            [f"{short(f)}:{line}({func})", nc, tt * 1000, ct * 1000]
            for (f, line, func), (_, nc, tt, ct, _) in interesting
        ],
        title=f"[{backend}] cProfile, one push of {BATCH}",
    )
    by_self = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:10]
    table(
        ["top 10 by self time", "calls", "self ms", "cum ms"],
        [
            [f"{short(f)}:{line}({func})", nc, tt * 1000, ct * 1000]
            for (f, line, func), (_, nc, tt, ct, _) in by_self
        ],
    )


def run_backend(backend: str, args, tmp: Path) -> dict:
    from server.extensions import db

    count = 5 if args.quick else 20
    with database(backend, tmp, "bench_push") as url:
        # The instance folder holds the job queue's SQLite file, whatever the database.
        (tmp / backend / "instance").mkdir(parents=True, exist_ok=True)
        app = make_app(tmp / backend, url)
        with app.app_context():
            world = build_world(db.session)
        client = app.test_client()
        headers = login_headers(client, world.inspector_username)
        device_id = new_id()
        visit_id = new_id()
        post_push(
            client,
            headers,
            device_id,
            [mutation("visit", visit_data(world), record_id=visit_id)],
            "applied",
        )
        # Warm-up (not counted): first requests compile SQL and fill caches.
        for batch in make_batches(world, visit_id, 2, start=1000):
            post_push(client, headers, device_id, batch, "applied")
            bare_insert(app, world, batch)
            core_push(app, world, device_id, make_batches(world, visit_id, 1, 2000)[0])

        batches = make_batches(world, visit_id, count)
        core_batches = make_batches(world, visit_id, count, start=count)
        push_times, bare_times, core_times = [], [], []
        started = time.perf_counter()
        for batch, core_batch in zip(batches, core_batches, strict=False):
            push_times.append(post_push(client, headers, device_id, batch, "applied"))
            bare_times.append(bare_insert(app, world, batch))
            core_times.append(core_push(app, world, device_id, core_batch))
        dup_times = [post_push(client, headers, device_id, b, "duplicate") for b in batches]
        refused_times = []
        for batch in make_batches(world, visit_id, count, start=6000):
            batch[BATCH // 2]["data"]["category"] = "no_such_category"
            expect = Counter(applied=BATCH - 1, rejected=1)
            refused_times.append(post_push(client, headers, device_id, batch, expect))
        phase_seconds = time.perf_counter() - started

        # One traced batch (statements, driver time) and one profiled batch, not counted.
        traced = make_batches(world, visit_id, 1, start=3000)[0]
        trace = trace_statements(
            app, lambda: post_push(client, headers, device_id, traced, "applied")
        )
        dup_trace = trace_statements(
            app, lambda: post_push(client, headers, device_id, traced, "duplicate")
        )
        bare_trace = trace_statements(
            app, lambda: bare_insert(app, world, make_batches(world, visit_id, 1, 4000)[0])
        )
        stats = profile_one(
            client, headers, device_id, make_batches(world, visit_id, 1, start=5000)[0]
        )
        with app.app_context():
            db.engine.dispose()
    return {
        "count": count,
        "push": push_times,
        "core": core_times,
        "bare": bare_times,
        "dup": dup_times,
        "refused": refused_times,
        "trace": trace,
        "dup_trace": dup_trace,
        "bare_trace": bare_trace,
        "stats": stats,
        "seconds": phase_seconds,
    }


def rate(times: list[float]) -> float:
    return BATCH * len(times) / sum(times)


def report(backend: str, r: dict) -> None:
    target = TARGETS[backend]
    push, core, bare, dup = (rate(r[k]) for k in ("push", "core", "bare", "dup"))

    def row(label, times, per_s, target_text, ok):
        return [
            label,
            BATCH * len(times),
            sum(times),
            per_s,
            median(times) * 1000,
            percentile(times, 95) * 1000,
            target_text,
            ok,
        ]

    table(
        ["path", "mutations", "seconds", "per s", "median ms/100", "p95 ms/100", "target", ""],
        [
            row("push (HTTP, applied)", r["push"], push, f">= {target:,}/s", verdict(push, target)),
            row("core sync.push+commit", r["core"], core, "", ""),
            row("bare ORM insert (floor)", r["bare"], bare, "", ""),
            row("push, 1 refused mid-batch", r["refused"], rate(r["refused"]), "", ""),
            row(
                "replay (all duplicate)",
                r["dup"],
                dup,
                f">= {DUPLICATE_TARGET:,}/s",
                verdict(dup, DUPLICATE_TARGET),
            ),
        ],
        title=f"[{backend}] {r['count']} batches of {BATCH} finding creates",
    )
    print(
        f"  ratios: push/bare = {push / bare:.2f}   core/bare = {core / bare:.2f}   "
        f"push/core = {push / core:.2f}   duplicates/push = {dup / push:.1f}"
    )

    rows = []
    for label, (wall, verbs, driver, total) in (
        ("push, applied", r["trace"]),
        ("push, duplicate", r["dup_trace"]),
        ("bare ORM insert", r["bare_trace"]),
    ):
        top = ", ".join(f"{v} {n}" for v, n in verbs.most_common(6))
        rows.append(
            [
                label,
                total,
                total / BATCH,
                wall * 1000,
                driver * 1000,
                f"{100 * driver / wall:.0f}%",
                top,
            ]
        )
    table(
        [
            "traced batch of 100",
            "SQL stmts",
            "per mutation",
            "wall ms",
            "in driver ms",
            "driver share",
            "by verb",
        ],
        rows,
        title=f"[{backend}] SQL statements per batch (traced separately)",
    )
    print_profile(r["stats"], backend)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    watch = header("push throughput (bench/push_throughput.py)", args)
    results = {}
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-push-") as tmp:
        for backend in backends(args):
            started = time.perf_counter()
            results[backend] = run_backend(backend, args, Path(tmp))
            report(backend, results[backend])
            print(f"  ({backend}: {time.perf_counter() - started:.1f}s including setup)")

    summary = []
    for backend, r in results.items():
        push, bare, dup = rate(r["push"]), rate(r["bare"]), rate(r["dup"])
        summary.append(
            [
                backend,
                push,
                f">= {TARGETS[backend]:,}",
                verdict(push, TARGETS[backend]),
                bare,
                f"{push / bare:.2f}",
                dup,
                f">= {DUPLICATE_TARGET:,}",
                verdict(dup, DUPLICATE_TARGET),
            ]
        )
    table(
        ["backend", "push/s", "target", "", "bare/s", "push/bare", "dup/s", "target", ""],
        summary,
        title="summary",
    )
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
