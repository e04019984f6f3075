"""Shared helpers for the benchmarks in bench/*.py (not a benchmark itself).

Every benchmark builds its own throwaway databases (a SQLite file in a temporary
directory, and a fresh PostgreSQL database created and dropped like tests/conftest.py's
TempPostgres), applies the real migrations, and prints its figures as plain tables."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import logging
import os
import secrets
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


from tests.pg import TempPostgres  # noqa: E402,F401  (re-exported)

# Where throwaway PostgreSQL databases are created (trust auth on the bench machine).
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-password-9"
BACKENDS = ("sqlite", "postgresql")


def pg_base_url() -> str:
    return (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_PG_URL
    )


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument(
        "--backend",
        choices=("all", *BACKENDS),
        default="all",
        help="run on one database only (default: SQLite and PostgreSQL)",
    )
    return parser.parse_args()


def backends(args: argparse.Namespace) -> list[str]:
    wanted = list(BACKENDS) if args.backend == "all" else [args.backend]
    if "postgresql" in wanted and not TempPostgres.available(pg_base_url()):
        print(f"!! PostgreSQL not reachable at {pg_base_url()}: PostgreSQL runs skipped")
        wanted.remove("postgresql")
    return wanted


@contextlib.contextmanager
def database(backend: str, tmp: Path, prefix: str) -> Iterator[str]:
    """A fresh, empty database URL; a PostgreSQL database is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'{prefix}.sqlite3'}"
        return
    pg = TempPostgres(pg_base_url())
    url = pg.create(prefix)
    try:
        yield url
    finally:
        pg.drop(url)
        pg.dispose()


@contextlib.contextmanager
def frozen_collector() -> Iterator[None]:
    """What is alive now frozen out of the garbage collector's generations, as
    gunicorn.conf.py has a worker do once the app is loaded: a full collection then no
    longer walks the app's long-lived objects in the middle of a timed request."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def random_secret() -> str:
    return secrets.token_urlsafe(36)  # 48 characters


def make_app(tmp: Path, url: str, **extra):
    """The real application on `url`, with the schema built by the real migrations."""
    from flask_migrate import upgrade

    from server import create_app

    config = {
        "ENV": "test",
        "INSTANCE_DIR": str(tmp / "instance"),
        "DATABASE_URL": url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "SECRET_KEY": random_secret(),
        "JWT_SECRET_KEY": random_secret(),
        # Tokens must outlive a benchmark run.
        "ACCESS_TOKEN_MINUTES": 120,
        **extra,
    }
    app = create_app(config)
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade()  # Alembic's INFO lines are not figures
    quiet_logs()
    return app


def quiet_logs() -> None:
    for name in ("alembic", "sqlalchemy", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)


@dataclass
class World:
    """Ids of a small field world: an office, a target unit, an inspector on a live plan."""

    office_id: uuid.UUID
    target_id: uuid.UUID
    inspector_id: uuid.UUID
    inspector_username: str
    supervisor_id: uuid.UUID
    plan_id: uuid.UUID
    site_id: uuid.UUID


def build_world(session) -> World:
    """Like tests/api/conftest.py's `world`, committed."""
    from server.auth.passwords import hash_password
    from server.models import Plan, PlanKind, PlanMode, PlanStatus, Role, Site, Unit, UnitKind, User

    tag = uuid.uuid4().hex[:6]
    office = Unit(name="督查室", code=f"B-DCS-{tag}", kind=UnitKind.office, region_code="522730")
    target = Unit(
        name="住建局", code=f"B-ZJJ-{tag}", kind=UnitKind.department, region_code="522730"
    )
    session.add_all([office, target])
    session.flush()

    def user(role, name):
        u = User(
            username=f"{name}-{tag}",
            display_name=name,
            role=role,
            unit=office,
            password_hash=hash_password(PASSWORD),
        )
        session.add(u)
        return u

    inspector = user(Role.inspector, "inspector")
    supervisor = user(Role.supervisor, "supervisor")
    site = Site(
        name="点位",
        address="测试地址",
        lat=26.4532,
        lon=106.9768,
        radius_m=200,
        unit=target,
        region_code="522730",
    )
    session.add(site)
    session.flush()
    plan = Plan(
        code=f"P-{tag}",
        title="暗访计划",
        mode=PlanMode.sanbu_sanzhi,
        kind=PlanKind.routine_special,
        window_start=date.today() - timedelta(days=1),
        window_end=date.today() + timedelta(days=10),
        status=PlanStatus.active,
        office_unit=office,
        created_by_id=supervisor.id,
        team=[inspector],
        sites=[site],
    )
    session.add(plan)
    session.commit()
    return World(
        office.id, target.id, inspector.id, inspector.username, supervisor.id, plan.id, site.id
    )


def login_headers(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"login failed: {response.status_code} {response.get_json()}")
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def new_id() -> str:
    return str(uuid.uuid4())


def finding_data(world: World, visit_id: str | None = None, n: int = 0) -> dict:
    return {
        "plan_id": str(world.plan_id),
        "site_id": str(world.site_id),
        "visit_id": visit_id,
        "title": f"脚手架未设防护网 {n}",
        "description": "三号楼东侧脚手架缺少安全防护网",
        "category": "work_safety",
        "severity": "high",
        "unit_id": str(world.target_id),
        "lat": 26.4533,
        "lon": 106.9769,
        "accuracy_m": 8.5,
        "observed_at": "2026-11-20T09:14:00+08:00",
    }


def visit_data(world: World) -> dict:
    return {
        "plan_id": str(world.plan_id),
        "site_id": str(world.site_id),
        "arrived_at": "2026-11-20T09:10:00+08:00",
        "lat": 26.4533,
        "lon": 106.9769,
        "accuracy_m": 8.5,
        "note": "到达工地",
    }


def mutation(entity: str, data: dict, op: str = "create", record_id: str | None = None) -> dict:
    return {
        "mutation_id": new_id(),
        "entity": entity,
        "op": op,
        "id": record_id or new_id(),
        "base_version": None,
        "data": data,
        "client_time": "2026-11-20T09:14:03.120+08:00",
    }


def trace_statements(app, fn) -> tuple[float, Counter, float, int]:
    """Run fn() counting SQL statements by verb and the time spent inside the driver."""
    from sqlalchemy import event

    from server.extensions import db

    with app.app_context():
        engine = db.engine
    verbs: Counter = Counter()
    in_driver = [0.0]
    marks: dict = {}

    def before(conn, cursor, statement, params, context, executemany):
        verbs[statement.lstrip().split(None, 1)[0].upper()] += 1
        marks[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):
        in_driver[0] += time.perf_counter() - marks.pop(id(cursor), time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        fn()
        wall = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return wall, verbs, in_driver[0], sum(verbs.values())


# --- figures


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list], title: str | None = None) -> None:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  "
            + "  ".join(_pad(v, w, i) for i, (v, w) in enumerate(zip(row, widths, strict=False)))
        )
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _cell(value) -> str:
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, index: int) -> str:
    room = width - _width(text)
    return text + " " * room if index == 0 else " " * room + text


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "meets" if ok else "MISSES"


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def header(title: str, args: argparse.Namespace) -> Stopwatch:
    print(f"# {title}{'  (--quick)' if args.quick else ''}")
    print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, repo {REPO} {revision()}")
    print(f"# {load_text()} (other work on the machine skews timings: compare within a run)")
    return Stopwatch()


def revision() -> str:
    """The commit measured (read-only git), marked when server/ or sync/ differ from it."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "server", "sync", "migrations"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return ""
    return f"at {head}{' (server/sync modified)' if dirty else ''}" if head else ""


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def footer(watch: Stopwatch) -> None:
    print(f"\n# total {watch.elapsed():.1f}s; {load_text()}")
