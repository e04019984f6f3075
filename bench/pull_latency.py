"""Pull latency for 100 new changes with a 10 k and a 1 M row change log.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database):

1. A real world (office, inspector on a live plan) and some real history: the inspector
   pushes a visit and 100 findings.
2. The change log is filled with bulk INSERT ... SELECT (a recursive CTE on SQLite,
   generate_series on PostgreSQL) up to N rows in `sync_change`, with ~3 audience rows
   each in `sync_change_audience`: mostly other users' changes (300 other inspectors,
   7 offices, role:admin), 2 % tagged with the measured inspector's own tag and 0.2 %
   reference data tagged `all`: all of them before the cursor.
3. The inspector takes a cursor (pull without cursor until has_more is false), then
   pushes 100 new findings: 100 changes visible to them after the cursor.
4. The pull of those 100 from that fixed cursor is timed 20 times (it is read-only, so
   each repetition returns the same 100): through the HTTP stack (test client: JWT,
   query parsing, JSON) and as sync.pull() alone.

N is 10,000 and then 1,000,000 (the same database grows). PostgreSQL gets an ANALYZE
after each fill (autovacuum does that in a normal deployment); SQLite does not (a normal
SQLite deployment never runs ANALYZE). Timings are printed, never asserted.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
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
from sqlalchemy import func, select, text

NEW_CHANGES = 100
REPEATS = 20
TARGET_MS = 50.0
FLAT_TARGET = 1.5  # "flat": what this script calls flat enough, for the verdict column

# One statement per table; :a..:b are the sequence numbers to generate.
SQLITE_SERIES = "WITH RECURSIVE s(n) AS (SELECT :a UNION ALL SELECT n + 1 FROM s WHERE n < :b) "
SQLITE_FILL = [
    SQLITE_SERIES
    + """INSERT INTO sync_change (seq, entity, record_id, version, op, at)
    SELECT n,
           CASE WHEN n % 500 = 0 THEN 'category' WHEN n % 10 < 2 THEN 'visit'
                WHEN n % 10 < 8 THEN 'finding' WHEN n % 10 = 8 THEN 'photo'
                ELSE 'interview' END,
           lower(hex(randomblob(16))), 1 + n % 3,
           CASE WHEN n % 97 = 0 THEN 'delete' ELSE 'upsert' END, :at
    FROM s""",
    SQLITE_SERIES
    + """INSERT INTO sync_change_audience (tag, seq)
    SELECT CASE WHEN n % 500 = 0 THEN 'all' WHEN n % 50 = 1 THEN :me
                ELSE 'u:00000000-0000-4000-8000-' || printf('%012d', n % 300) END, n
    FROM s""",
    SQLITE_SERIES
    + """INSERT INTO sync_change_audience (tag, seq)
    SELECT 'role:admin', n FROM s WHERE n % 500 != 0""",
    SQLITE_SERIES
    + """INSERT INTO sync_change_audience (tag, seq)
    SELECT 'office:00000000-0000-4000-9000-' || printf('%012d', n % 7), n
    FROM s WHERE n % 500 != 0""",
]
PG_FILL = [
    """INSERT INTO sync_change (seq, entity, record_id, version, op, at)
    SELECT n,
           CASE WHEN n % 500 = 0 THEN 'category' WHEN n % 10 < 2 THEN 'visit'
                WHEN n % 10 < 8 THEN 'finding' WHEN n % 10 = 8 THEN 'photo'
                ELSE 'interview' END,
           gen_random_uuid(), 1 + (n % 3)::int,
           CASE WHEN n % 97 = 0 THEN 'delete' ELSE 'upsert' END, :at
    FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS n""",
    """INSERT INTO sync_change_audience (tag, seq)
    SELECT CASE WHEN n % 500 = 0 THEN 'all' WHEN n % 50 = 1 THEN :me
                ELSE 'u:00000000-0000-4000-8000-' || lpad((n % 300)::text, 12, '0') END, n
    FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS n
    UNION ALL
    SELECT 'role:admin', n
    FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS n WHERE n % 500 != 0
    UNION ALL
    SELECT 'office:00000000-0000-4000-9000-' || lpad((n % 7)::text, 12, '0'), n
    FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS n WHERE n % 500 != 0""",
]
CHUNK = 250_000


def counter_value(app) -> int:
    from server.extensions import db
    from sync.models import SyncCounter

    with app.app_context():
        return db.session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1))


def fill_log(app, backend: str, upto: int, me_tag: str) -> tuple[int, float]:
    """Append rows to the change log until the counter reaches `upto`; returns (added, s)."""
    from server.extensions import db

    start = counter_value(app) + 1
    if start > upto:
        return 0, 0.0
    statements = SQLITE_FILL if backend == "sqlite" else PG_FILL
    at = datetime.now(UTC)
    at_param = at.replace(tzinfo=None).isoformat(sep=" ") if backend == "sqlite" else at
    started = time.perf_counter()
    with app.app_context():
        for a in range(start, upto + 1, CHUNK):
            b = min(upto, a + CHUNK - 1)
            with db.engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement), {"a": a, "b": b, "at": at_param, "me": me_tag})
                conn.execute(text("UPDATE sync_counter SET value = :b WHERE id = 1"), {"b": b})
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE sync_change"))
                conn.execute(text("ANALYZE sync_change_audience"))
    return upto - start + 1, time.perf_counter() - started


def log_size(app) -> tuple[int, int]:
    from server.extensions import db
    from sync.models import Change, ChangeAudience

    with app.app_context():
        changes = db.session.scalar(select(func.count()).select_from(Change))
        audience = db.session.scalar(select(func.count()).select_from(ChangeAudience))
        db.session.rollback()
    return changes, audience


def pull_all(client, headers, cursor=None) -> tuple[list[dict], str, int]:
    changes, requests = [], 0
    while True:
        query = {"cursor": cursor} if cursor else {}
        response = client.get("/api/sync/pull", headers=headers, query_string=query)
        requests += 1
        if response.status_code != 200:
            raise RuntimeError(f"pull answered {response.status_code}: {response.get_json()}")
        body = response.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor, requests


def push(client, headers, device_id, mutations) -> None:
    response = client.post(
        "/api/sync/push", headers=headers, json={"device_id": device_id, "mutations": mutations}
    )
    results = response.get_json()["results"]
    if response.status_code != 200 or {r["status"] for r in results} != {"applied"}:
        raise RuntimeError(f"push failed: {response.status_code} {results[:1]}")


def timed_http_pull(client, headers, cursor, expected_ids: set[str]) -> float:
    started = time.perf_counter()
    response = client.get("/api/sync/pull", headers=headers, query_string={"cursor": cursor})
    elapsed = time.perf_counter() - started
    body = response.get_json()
    got = {c["id"] for c in body["changes"] if c["op"] == "upsert"}
    if response.status_code != 200 or got != expected_ids or body["has_more"]:
        raise RuntimeError(
            f"pull from the fixed cursor: status {response.status_code}, "
            f"{len(body.get('changes', []))} changes, has_more {body.get('has_more')}"
        )
    return elapsed


def timed_core_pull(app, world: World, cursor: str) -> float:
    import sync
    from server.extensions import db
    from server.models import User
    from server.sync_api.api import cursor_key
    from server.sync_api.principal import principal_for
    from server.sync_api.registry import registry

    with app.test_request_context("/api/sync/pull"):
        principal = principal_for(db.session.get(User, world.inspector_id))
        key = cursor_key()
        started = time.perf_counter()
        result = sync.pull(db.session, registry, principal, cursor, 200, key)
        elapsed = time.perf_counter() - started
        db.session.rollback()
    if len(result["changes"]) != NEW_CHANGES:
        raise RuntimeError(f"core pull returned {len(result['changes'])} changes")
    return elapsed


def explain_log_query(app, backend: str, world: World, after_seq: int) -> list[str]:
    """The plan of pull's audience query (sync/pull.py _log_page) from the cursor."""
    from server.extensions import db
    from server.models import User
    from server.sync_api.principal import principal_for
    from sync.models import ChangeAudience

    with app.app_context():
        principal = principal_for(db.session.get(User, world.inspector_id))
        query = (
            select(ChangeAudience.seq)
            .where(ChangeAudience.tag.in_(sorted(principal.tags)), ChangeAudience.seq > after_seq)
            .distinct()
            .order_by(ChangeAudience.seq)
            .limit(201)
        )
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
        rows = db.session.execute(text(prefix + sql)).all()
        db.session.rollback()
    if backend == "sqlite":
        return [f"{row[-1]}" for row in rows]
    return [row[0] for row in rows]


def cursor_seq(app, cursor: str, world: World) -> int:
    from sync.cursor import decode_cursor

    with app.test_request_context("/"):
        from server.sync_api.api import cursor_key

        return decode_cursor(cursor_key(), world.inspector_id, cursor)["s"]


def measure(app, backend, world, client, headers, device_id, size, repeats) -> dict:
    me_tag = f"u:{world.inspector_id}"
    added, fill_seconds = fill_log(app, backend, size, me_tag)
    changes, audience = log_size(app)
    # A fresh cursor: snapshot of what the inspector sees now, then the log from its end.
    started = time.perf_counter()
    _, cursor, requests = pull_all(client, headers)
    cursor_seconds = time.perf_counter() - started
    after_seq = cursor_seq(app, cursor, world)
    # 100 new changes visible to the inspector, after the cursor.
    new = [mutation("finding", finding_data(world, None, n)) for n in range(NEW_CHANGES)]
    push(client, headers, device_id, new)
    expected = {m["id"] for m in new}
    for _ in range(2):  # warm-up
        timed_http_pull(client, headers, cursor, expected)
        timed_core_pull(app, world, cursor)
    http = [timed_http_pull(client, headers, cursor, expected) for _ in range(repeats)]
    core = [timed_core_pull(app, world, cursor) for _ in range(repeats)]
    _, verbs, in_driver, statements = trace_statements(
        app, lambda: timed_http_pull(client, headers, cursor, expected)
    )
    plan = explain_log_query(app, backend, world, after_seq)
    return {
        "size": size,
        "changes": changes,
        "audience": audience,
        "added": added,
        "fill_s": fill_seconds,
        "cursor_s": cursor_seconds,
        "cursor_requests": requests,
        "http": http,
        "core": core,
        "statements": statements,
        "in_driver_ms": in_driver * 1000,
        "plan": plan,
    }


def run_backend(backend: str, args, tmp: Path) -> list[dict]:
    from server.extensions import db

    sizes = (10_000, 100_000) if args.quick else (10_000, 1_000_000)
    repeats = 10 if args.quick else REPEATS
    results = []
    with database(backend, tmp, "bench_pull") as url:
        app = make_app(tmp / backend, url)
        with app.app_context():
            world = build_world(db.session)
        client = app.test_client()
        headers = login_headers(client, world.inspector_username)
        device_id = new_id()
        # Real history of the inspector (records that exist, before any cursor).
        visit_id = new_id()
        push(client, headers, device_id, [mutation("visit", visit_data(world), record_id=visit_id)])
        push(
            client,
            headers,
            device_id,
            [mutation("finding", finding_data(world, visit_id, n)) for n in range(100)],
        )
        for size in sizes:
            r = measure(app, backend, world, client, headers, device_id, size, repeats)
            results.append(r)
            print(
                f"  [{backend}] log {r['changes']:,} changes / {r['audience']:,} audience rows "
                f"(+{r['added']:,} in {r['fill_s']:.1f}s); pull of {NEW_CHANGES}: median "
                f"{median(r['http']) * 1000:.1f} ms",
                flush=True,
            )
        with app.app_context():
            db.engine.dispose()
    return results


def report(backend: str, results: list[dict]) -> None:
    rows = []
    for r in results:
        http_med, http_p95 = median(r["http"]) * 1000, percentile(r["http"], 95) * 1000
        rows.append(
            [
                f"{r['size']:,}",
                r["changes"],
                r["audience"],
                r["fill_s"],
                http_med,
                http_p95,
                median(r["core"]) * 1000,
                percentile(r["core"], 95) * 1000,
                r["statements"],
                r["in_driver_ms"],
                f"<= {TARGET_MS:.0f} ms",
                verdict(http_p95, TARGET_MS, higher_is_better=False),
            ]
        )
    table(
        [
            "log size",
            "sync_change",
            "audience rows",
            "fill s",
            "HTTP med ms",
            "HTTP p95 ms",
            "core med ms",
            "core p95 ms",
            "SQL stmts",
            "in driver ms",
            "target",
            "",
        ],
        rows,
        title=f"[{backend}] pull of {NEW_CHANGES} new changes from a fixed cursor "
        f"({len(results[0]['http'])} repetitions)",
    )
    small, big = results[0], results[-1]
    ratio_http = median(big["http"]) / median(small["http"])
    ratio_core = median(big["core"]) / median(small["core"])
    print(
        f"  ratio {big['size']:,}/{small['size']:,} (median): HTTP {ratio_http:.2f}, "
        f"core {ratio_core:.2f}  (flat target <= {FLAT_TARGET}: "
        f"{verdict(ratio_http, FLAT_TARGET, higher_is_better=False)})"
    )
    print(
        "  taking the cursor (pull without cursor until has_more is false): "
        + ", ".join(
            f"{r['size']:,}: {r['cursor_s'] * 1000:.0f} ms in {r['cursor_requests']} requests"
            for r in results
        )
    )
    print(f"  plan of the audience query at {big['changes']:,} changes:")
    for line in big["plan"]:
        print(f"    {line}")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    watch = header("pull latency (bench/pull_latency.py)", args)
    summary = []
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-pull-") as tmp:
        for backend in backends(args):
            started = time.perf_counter()
            results = run_backend(backend, args, Path(tmp))
            report(backend, results)
            print(f"  ({backend}: {time.perf_counter() - started:.1f}s including setup and fill)")
            small, big = results[0], results[-1]
            summary.append(
                [
                    backend,
                    median(small["http"]) * 1000,
                    median(big["http"]) * 1000,
                    percentile(big["http"], 95) * 1000,
                    f"{median(big['http']) / median(small['http']):.2f}",
                    f"<= {TARGET_MS:.0f} ms, flat",
                    verdict(percentile(big["http"], 95), TARGET_MS, higher_is_better=False),
                ]
            )
    sizes = "10k / 100k" if args.quick else "10k / 1M"
    table(
        ["backend", "median 10k ms", "median big ms", "p95 big ms", "big/10k", "target", ""],
        summary,
        title=f"summary (pull of {NEW_CHANGES} new changes; log sizes {sizes})",
    )
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
