"""Ledger page (工作台账) with 200,000 rectification items: one page of 50 under filters.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database), with
the schema and its indexes built by the real migrations:

1. One office with 200 responsible units (sizes skewed: the largest has ~3.7 % of the
   items) across 10 region codes, 20 lead officials (牵头领导), 10 source plans, a
   supervisor and a responder of the largest unit.
2. N items (default 200,000) inserted with SQLAlchemy Core in batches of 5,000: ~4 %
   drafts, ~42 % closed, the rest issued / acknowledged / in progress / closure
   requested; ~5 % listed (挂牌督办); deadlines from about two years before today to one
   year after; progress, last progress report, return counts, own report cadences; and
   `red_from` from the real `compute_red_from` with the rules in force, so the colours
   are the ones the application would show. A sample is checked against `red_reasons`.
   PostgreSQL gets a VACUUM ANALYZE afterwards (autovacuum does both after a bulk
   insert); SQLite what `flask analyze-db` does (make run at start, and daily): ANALYZE.
3. Each case is the route's work without HTTP: `queries.ledger` + `views.summary` over
   the page (or `queries.colour_counts`), in a fresh request context and session, with
   the user loaded beforehand (as the JWT lookup does); a supervisor of the office
   unless the case says otherwise. Two warm-up runs, then the median and p95 of 20
   runs, with the garbage collector's long-lived objects frozen as gunicorn.conf.py has
   a worker do. The count statements are timed in the same runs (exact: they return one row);
   "rest" is everything else (page query and its fetch, selectin loads, ORM, summaries).
4. Every case over the target (every case with --explain) prints its statements run on
   their own (median of 3 with the fetch) and their plans (EXPLAIN QUERY PLAN on SQLite,
   EXPLAIN ANALYZE on PostgreSQL) with the parameters it ran with.

Timings are printed, never asserted; the script fails only when a page is wrong (page
size, total, colours of a colour-filtered page, the three colour counts adding up).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import SimpleNamespace

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
    verdict,
)
from sqlalchemy import event, func, insert, select, text

TARGET_MS = 100.0
ITEMS = 200_000
QUICK_ITEMS = 20_000
REPEATS = 20
WARMUP = 2
BATCH = 5_000
UNITS = 200
LEADERS = 20
PLANS = 10
SEED = 20_000
REGIONS = (
    "522701",
    "522702",
    "522722",
    "522723",
    "522725",
    "522726",
    "522727",
    "522728",
    "522729",
    "522730",
)
CHINA_OFFSET = timedelta(hours=8)  # items are issued during office hours, Beijing time

PLACES = (
    "三号楼东侧",
    "项目部生活区",
    "城区主干道沿线",
    "农贸市场",
    "污水处理厂",
    "易地扶贫搬迁安置点",
    "学校食堂",
    "乡镇卫生院",
    "在建道路工地",
    "河道管理范围内",
    "高标准农田项目区",
    "老旧小区改造项目",
)
ISSUES = (
    "脚手架未设安全防护网",
    "扬尘治理措施落实不到位",
    "消防通道被占用",
    "污水直排未整改",
    "台账资料不完整、不规范",
    "惠民补贴发放不及时",
    "工程进度严重滞后于计划",
    "安全隐患排查整治流于形式",
    "群众反映问题长期未办结",
    "垃圾清运不及时,存在乱堆乱放",
    "特种作业人员无证上岗",
    "项目资金拨付不到位",
    "食品留样制度未落实",
    "河长制巡河记录弄虚作假",
)
MEASURES = (
    "立即组织专人开展全面排查",
    "制定整改方案并明确责任人和完成时限",
    "建立长效管理机制,定期开展回头看",
    "对相关责任人进行约谈并督促整改",
    "完善台账资料,做到一事一档",
    "加大资金投入,确保按期完成",
    "开展专项培训,提高业务能力",
)
REQUIREMENTS = (
    "按期报送整改进展",
    "整改完成后提交佐证材料申请销号",
    "举一反三,全面排查同类问题",
    "确保整改到位,防止问题反弹",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
UNIT_NAMES = (
    "住建局",
    "交通运输局",
    "生态环境分局",
    "市场监管局",
    "教育局",
    "卫生健康局",
    "农业农村局",
    "水务局",
    "自然资源局",
    "应急管理局",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=("all", "both", "sqlite", "postgresql"),
        default="all",
        help="run on one database only (default: SQLite and PostgreSQL)",
    )
    parser.add_argument("--items", type=int, default=None, help=f"items (default {ITEMS:,})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs per case")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plans of every case (default: of the cases over the target)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smaller, faster run ({QUICK_ITEMS:,} items)"
    )
    args = parser.parse_args()
    if args.backend == "both":
        args.backend = "all"
    if args.items is None:
        args.items = QUICK_ITEMS if args.quick else ITEMS
    return args


# --- the world and the items


def build_world(session) -> dict:
    """The office, its units, users and plans (ORM, committed); ids by role."""
    from server.auth.passwords import hash_password
    from server.models import Plan, PlanKind, PlanMode, PlanStatus, Role, Unit, UnitKind, User

    # The leaders sit in the county government, the office's parent: each follows the
    # items he leads and every 挂牌督办 item of the office (rectification/access.py).
    government = Unit(
        name="县人民政府", code="BL-GOV", kind=UnitKind.government, region_code="522730"
    )
    office = Unit(
        name="县委督查室", code="BL-OFFICE", kind=UnitKind.office, region_code="522730",
        parent=government,
    )  # fmt: skip
    session.add_all([government, office])
    units = []
    for n in range(UNITS):
        region = REGIONS[n % len(REGIONS)]
        if n < len(UNIT_NAMES):
            name, kind = f"县{UNIT_NAMES[n]}", UnitKind.department
        elif n % 3:
            name, kind = f"第{n:03d}镇人民政府", UnitKind.township
        else:
            name, kind = f"第{n:03d}村(社区)", UnitKind.village
        units.append(Unit(name=name, code=f"BL-U{n:03d}", kind=kind, region_code=region))
    session.add_all(units)
    session.flush()
    password = hash_password(PASSWORD)

    def user(role, username, display, unit):
        u = User(
            username=username,
            display_name=display,
            role=role,
            unit=unit,
            password_hash=password,
        )
        session.add(u)
        return u

    supervisor = user(Role.supervisor, "bench-supervisor", "督查室", office)
    responder = user(Role.responder, "bench-responder", "联络员", units[0])
    leaders = [
        user(Role.leader, f"bench-leader-{n:02d}", f"{SURNAMES[n]}副县长", government)
        for n in range(LEADERS)
    ]
    session.flush()
    today = date.today()
    plans = [
        Plan(
            code=f"BL-P{n:02d}",
            title=f"专项督查 {n}",
            mode=PlanMode.sanbu_sanzhi,
            kind=PlanKind.routine_special,
            window_start=today - timedelta(days=700 - 60 * n),
            window_end=today - timedelta(days=690 - 60 * n),
            status=PlanStatus.findings_issued,
            office_unit=office,
            created_by_id=supervisor.id,
        )
        for n in range(PLANS)
    ]
    session.add_all(plans)
    session.commit()
    return {
        "office": office.id,
        "units": [(u.id, u.region_code) for u in units],
        "supervisor": supervisor.id,
        "responder": responder.id,
        "leaders": [u.id for u in leaders],
        "plans": [p.id for p in plans],
    }


def office_hours(day: date, rng: random.Random) -> datetime:
    local = datetime.combine(day, dtime(9, 0)) + timedelta(minutes=rng.randrange(8 * 60))
    return (local - CHINA_OFFSET).replace(tzinfo=UTC)


def text_of(rng: random.Random, pool: tuple, low: int, high: int, sep: str = ";") -> str:
    return sep.join(rng.sample(pool, rng.randint(low, high)))


STATUS_WEIGHTS = {
    "draft": 4,
    "issued": 6,
    "acknowledged": 6,
    "in_progress": 38,
    "closure_requested": 4,
    "closed": 42,
}


def next_number(numbers: Counter, year: int) -> int:
    """Codes are ZG-<year>-<nnnnn>, numbered per office and year (operations._next_code)."""
    numbers[year] += 1
    return numbers[year]


def make_item(
    n: int, world: dict, unit_weights: list[float], today: date, rng, rules, numbers: Counter
) -> dict:
    """One item's columns, facts first, `red_from` from the application's own rule."""
    from server.models import RectificationStatus as S
    from server.rectification.colour import compute_red_from

    status = S(rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0])
    unit_id, region = rng.choices(world["units"], weights=unit_weights)[0]
    issued_on = acknowledged_on = closure_on = closed_on = None
    last_progress_on = None
    progress, deadline, working_days = 0, None, None
    if status == S.draft:
        created_on = today - timedelta(days=rng.randint(0, 30))
        roll = rng.random()
        if roll < 0.4:
            deadline = today + timedelta(days=rng.randint(15, 120))
        elif roll < 0.7:  # in working days: a preview date until the item is issued
            working_days = rng.choice((10, 15, 20, 30))
            deadline = today + timedelta(days=working_days * 7 // 5)
        # else: no deadline yet (only a draft can lack one: issuing requires it)
    elif status == S.closed:
        issued_on = today - timedelta(days=rng.randint(30, 730))
        deadline = issued_on + timedelta(days=rng.randint(20, 180))
        closed_on = min(today, issued_on + timedelta(days=rng.randint(10, 200)))
        acknowledged_on = issued_on + timedelta(days=rng.randint(0, 3))
        closure_on = max(acknowledged_on, closed_on - timedelta(days=rng.randint(0, 7)))
        last_progress_on = closure_on
        progress = 100
    else:
        if status in (S.issued, S.acknowledged):
            issued_on = today - timedelta(days=rng.randint(0, 40))
            deadline = issued_on + timedelta(days=rng.randint(15, 365))
        else:
            issued_on = today - timedelta(days=rng.randint(10, 330))
            deadline = max(
                issued_on + timedelta(days=14),
                today + timedelta(days=rng.randint(-60, 365)),
            )
        if status != S.issued:
            acknowledged_on = min(today, issued_on + timedelta(days=rng.randint(0, 3)))
        if status == S.in_progress:
            share = (today - issued_on).days / max(1, (deadline - issued_on).days)
            progress = max(0, min(95, round(100 * (min(share, 1) + rng.gauss(0.05, 0.2)))))
            recent = rng.random() < 0.85
            back = rng.randint(0, 25) if recent else rng.randint(26, 70)
            last_progress_on = max(issued_on, today - timedelta(days=back))
        if status == S.closure_requested:
            closure_on = today - timedelta(days=rng.randint(0, 10))
            closure_on = max(closure_on, acknowledged_on)
            last_progress_on = closure_on
            progress = 100
    if issued_on is not None:
        created_on = issued_on - timedelta(days=rng.randint(0, 10))
    roll = rng.random()
    return_count = 0 if roll < 0.85 else 1 if roll < 0.97 else 2 if roll < 0.995 else 3
    if status in (S.draft, S.issued, S.acknowledged):
        return_count = 0
    facts = SimpleNamespace(
        status=status,
        return_count=return_count,
        issued_at=office_hours(issued_on, rng) if issued_on else None,
        last_progress_at=office_hours(last_progress_on, rng) if last_progress_on else None,
        report_every_days=rng.choices((None, 14, 60), weights=(90, 5, 5))[0],
        deadline=deadline,
        progress_percent=progress,
    )
    created_at = office_hours(created_on, rng)
    return {
        "id": uuid.uuid4(),
        "code": f"ZG-{created_on.year}-{next_number(numbers, created_on.year):05d}",
        "problem": PLACES[n % len(PLACES)] + text_of(rng, ISSUES, 1, 3, ","),
        "measures": text_of(rng, MEASURES, 2, 4),
        "requirements": text_of(rng, REQUIREMENTS, 1, 3),
        "office_unit_id": world["office"],
        "unit_id": unit_id,
        "region_code": region,
        "source_plan_id": rng.choice(world["plans"]) if rng.random() < 0.7 else None,
        "site_id": None,
        "lead_official_id": rng.choice(world["leaders"]) if rng.random() < 0.9 else None,
        "responsible_person": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        "listed": rng.random() < 0.05,
        "status": status,
        "deadline": deadline,
        "deadline_working_days": working_days,
        "deadline_confirmed": rng.random() < 0.97,
        "report_every_days": facts.report_every_days,
        "created_by_id": world["supervisor"],
        "issued_at": facts.issued_at,
        "acknowledged_at": office_hours(acknowledged_on, rng) if acknowledged_on else None,
        "closure_requested_at": office_hours(closure_on, rng) if closure_on else None,
        "closed_at": office_hours(closed_on, rng) if closed_on else None,
        "return_count": return_count,
        "progress_percent": progress,
        "last_progress_at": facts.last_progress_at,
        "red_from": compute_red_from(facts, rules),
        "created_at": created_at,
        "updated_at": max(created_at, facts.last_progress_at or created_at),
        "version": 1 + return_count + (status != S.draft) + (progress > 0),
    }


def fill(app, backend: str, world: dict, count: int, today: date) -> float:
    """Insert `count` items with Core in batches; returns seconds (including VACUUM)."""
    from server.extensions import db
    from server.models import Rectification
    from server.rectification.colour import ColourRules

    rng = random.Random(SEED)
    numbers: Counter = Counter()
    # Skewed unit sizes: weight 1/sqrt(rank); the largest unit is units[0].
    unit_weights = [1 / (rank + 1) ** 0.5 for rank in range(len(world["units"]))]
    started = time.perf_counter()
    with app.app_context():
        rules = ColourRules.current()
        statement = insert(Rectification.__table__)
        for first in range(0, count, BATCH):
            rows = [
                make_item(n, world, unit_weights, today, rng, rules, numbers)
                for n in range(first, min(count, first + BATCH))
            ]
            with db.engine.begin() as conn:
                conn.execute(statement, rows)
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE rectification"))
        else:  # what `flask analyze-db` does (make run, and daily)
            from server.database import refresh_statistics

            refresh_statistics()
        db.engine.dispose()
    return time.perf_counter() - started


def check_sample(app, today: date, size: int = 500) -> int:
    """Stored red_from against red_reasons (the reference) on a random sample."""
    from server.extensions import db
    from server.models import Rectification
    from server.rectification.colour import RED, ColourRules, colour_of, red_reasons

    with app.app_context():
        rules = ColourRules.current()
        items = db.session.scalars(
            select(Rectification).order_by(Rectification.id).limit(size)
        ).all()
        wrong = [
            i.code
            for i in items
            if (colour_of(i, today) == RED) != bool(red_reasons(i, today, rules))
        ]
        db.session.rollback()
    if wrong:
        raise RuntimeError(f"stored red_from disagrees with red_reasons for {wrong[:5]}")
    return len(items)


def census(app, today: date) -> dict:
    from server.extensions import db
    from server.models import Rectification
    from server.rectification.colour import colour_of

    with app.app_context():
        r = Rectification
        statuses = dict(db.session.execute(select(r.status, func.count()).group_by(r.status)).all())
        colours = Counter()
        for status, red_from, n in db.session.execute(
            select(r.status, r.red_from, func.count()).group_by(r.status, r.red_from)
        ).all():
            item = SimpleNamespace(status=status, red_from=red_from)
            colours[colour_of(item, today) or "none (draft)"] += n
        listed = db.session.scalar(select(func.count()).where(r.listed.is_(True)))
        total = db.session.scalar(select(func.count()).select_from(r))
        sizes = relation_sizes(db.session)
        db.session.rollback()
    return {
        "total": total,
        "statuses": statuses,
        "colours": colours,
        "listed": listed,
        "sizes": sizes,
    }


SIZES = {
    "sqlite": """SELECT s.name, s.type = 'table', sum(d.pgsize) FROM dbstat d
        JOIN sqlite_schema s ON s.name = d.name
        WHERE s.tbl_name = 'rectification' GROUP BY s.name, s.type""",
    "postgresql": """SELECT c.relname, c.relkind = 'r', pg_relation_size(c.oid) FROM pg_class c
        WHERE c.oid = 'rectification'::regclass OR c.oid IN (
            SELECT indexrelid FROM pg_index WHERE indrelid = 'rectification'::regclass)""",
}


def relation_sizes(session) -> list[tuple[str, bool, int]]:
    """(name, is the table, bytes) of the rectification table and each of its indexes."""
    try:
        with session.begin_nested():
            rows = session.execute(text(SIZES[session.get_bind().dialect.name])).all()
    except Exception:  # dbstat is an optional SQLite module
        return []
    return sorted(rows, key=lambda row: (not row[1], row[0]))


# --- the cases


def cases(world: dict, today: date) -> list[tuple[str, str, dict, str]]:
    """(name, user key, query-string args, function) as the route would receive them."""
    unit_id, region = world["units"][0]
    leader = world["leaders"][0]
    sup = "supervisor"
    return [
        ("no filter", sup, {}, "ledger"),
        ("colour=red", sup, {"colour": "red"}, "ledger"),
        ("colour=yellow", sup, {"colour": "yellow"}, "ledger"),
        ("colour=green", sup, {"colour": "green"}, "ledger"),
        ("unit_id (largest unit)", sup, {"unit_id": str(unit_id)}, "ledger"),
        (f"region_code={region}", sup, {"region_code": region}, "ledger"),
        ("lead_official_id", sup, {"lead_official_id": str(leader)}, "ledger"),
        ("plan_id", sup, {"plan_id": str(world["plans"][0])}, "ledger"),
        ("status=in_progress", sup, {"status": "in_progress"}, "ledger"),
        ("listed=true", sup, {"listed": "true"}, "ledger"),
        ("q=code fragment '01234'", sup, {"q": "01234"}, "ledger"),
        ("unit_id + colour=red", sup, {"unit_id": str(unit_id), "colour": "red"}, "ledger"),
        ("responder: own unit's list", "responder", {}, "ledger"),
        ("page 100, no filter", sup, {"page": "100"}, "ledger"),
        ("include_drafts=true", sup, {"include_drafts": "true"}, "ledger"),
        ("colour_counts, no filter", sup, {}, "colour_counts"),
    ]


class SqlClock:
    """Time inside the driver per statement, for the runs in progress."""

    def __init__(self, engine):
        self.engine = engine
        self.marks: dict = {}
        self.statements: list[tuple[str, object, float]] = []

    def before(self, conn, cursor, statement, params, context, executemany):
        self.marks[id(cursor)] = time.perf_counter()

    def after(self, conn, cursor, statement, params, context, executemany):
        started = self.marks.pop(id(cursor), time.perf_counter())
        self.statements.append((statement, params, time.perf_counter() - started))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)


def one_run(app, user_id, raw_args: dict, function: str, today: date, clock: SqlClock):
    from server.extensions import db
    from server.models import User
    from server.rectification import queries, views
    from server.rectification.schemas import LedgerArgsSchema

    args = LedgerArgsSchema().load(raw_args)
    with app.test_request_context("/api/rectifications", query_string=raw_args):
        user = db.session.get(User, user_id)  # the JWT lookup, not timed
        clock.statements.clear()
        started = time.perf_counter()
        if function == "ledger":
            page = queries.ledger(user, args, today)
            result = {**page, "items": [views.summary(i, page["today"]) for i in page["items"]]}
        else:
            result = queries.colour_counts(user, args, today)
        elapsed = time.perf_counter() - started
        statements = list(clock.statements)
        db.session.rollback()
    return elapsed, statements, result, args


def check_result(name: str, function: str, args: dict, result: dict, census_: dict) -> None:
    if function == "colour_counts":
        on_ledger = census_["total"] - census_["statuses"].get("draft", 0)
        if sum(result.values()) != on_ledger:
            raise RuntimeError(f"{name}: colour counts {result} do not add up to {on_ledger}")
        return
    per_page = args["per_page"]
    expected = max(0, min(per_page, result["total"] - (args["page"] - 1) * per_page))
    if len(result["items"]) != expected:
        raise RuntimeError(f"{name}: {len(result['items'])} items, expected {expected}")
    if args.get("colour") and {i["colour"] for i in result["items"]} - {args["colour"]}:
        raise RuntimeError(f"{name}: a {args['colour']} page holds other colours")


def measure(app, backend: str, world: dict, today: date, repeats: int, census_: dict) -> list:
    from server.extensions import db

    with app.app_context():
        engine = db.engine
    results = []
    with SqlClock(engine) as clock:
        for name, who, raw_args, function in cases(world, today):
            user_id = world[who]
            for _ in range(WARMUP):
                one_run(app, user_id, raw_args, function, today, clock)
            times, per_statement = [], []
            for _ in range(repeats):
                elapsed, statements, result, args = one_run(
                    app, user_id, raw_args, function, today, clock
                )
                times.append(elapsed)
                per_statement.append(statements)
            check_result(name, function, args, result, census_)
            total = result["total"] if function == "ledger" else sum(result.values())
            results.append(
                {
                    "name": name,
                    "who": who,
                    "raw_args": raw_args,
                    "function": function,
                    "total": total,
                    "times": times,
                    "statements": per_statement,
                }
            )
            print(
                f"  [{backend}] {name}: {total:,} rows, median {median(times) * 1000:.1f} ms",
                flush=True,
            )
    return results


def split(result: dict) -> tuple[float, float, int]:
    """Median ms of the count statements (exact: they return one row) and of everything
    else (page query with its fetch, selectin loads, ORM, summaries); statements per run."""
    counts, rest = [], []
    for elapsed, statements in zip(result["times"], result["statements"], strict=True):
        counted = sum(d for sql, _, d in statements if sql.lstrip().startswith("SELECT count("))
        counts.append(counted)
        rest.append(elapsed - counted)
    return median(counts) * 1000, median(rest) * 1000, len(result["statements"][0])


def label(statement: str) -> str:
    sql = " ".join(statement.split())
    if sql.startswith("SELECT count("):
        return "count"
    table_name = sql.split(" FROM ", 1)[1].split()[0] if " FROM " in sql else "?"
    if table_name == "rectification":
        return "page"
    return f"selectin {table_name}"


def diagnose(app, backend: str, statement: str, params) -> tuple[float, int, list[str]]:
    """The statement on its own: median ms of 3 executions including the fetch, rows, plan."""
    from server.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            rows = conn.exec_driver_sql(statement, params).all()
            times.append(time.perf_counter() - started)
        if backend == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            lines = [f"{'  ' * depth(plan, row)}{row[-1]}" for row in plan]
        else:
            prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
            lines = [row[0] for row in conn.exec_driver_sql(prefix + statement, params)]
        conn.rollback()
    return median(times) * 1000, len(rows), lines


def depth(rows, row) -> int:
    """Nesting of an EXPLAIN QUERY PLAN row (id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    level, parent = 0, row[1]
    while parent:
        level, parent = level + 1, parents.get(parent, 0)
    return level


def report(backend: str, results: list[dict], census_: dict, fill_s: float, app, explain_all):
    s = census_["statuses"]
    print(
        f"\n[{backend}] {census_['total']:,} items (filled in {fill_s:.1f}s): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(s.items(), key=lambda kv: -kv[1]))
        + "; colours: "
        + ", ".join(f"{k} {v:,}" for k, v in census_["colours"].most_common())
        + f"; listed {census_['listed']:,}"
    )
    if census_["sizes"]:
        mib = 1024 * 1024
        indexes = [(name, size) for name, is_table, size in census_["sizes"] if not is_table]
        table_size = sum(size for _, is_table, size in census_["sizes"] if is_table)
        print(
            f"  table {table_size / mib:.0f} MiB, {len(indexes)} indexes "
            f"{sum(size for _, size in indexes) / mib:.0f} MiB: "
            + ", ".join(f"{name} {size / mib:.1f}" for name, size in indexes)
        )
    rows = []
    for r in results:
        med, p95 = median(r["times"]) * 1000, percentile(r["times"], 95) * 1000
        count_ms, rest_ms, statements = split(r)
        rows.append(
            [
                r["name"] + (" (3 counts)" if r["function"] == "colour_counts" else ""),
                r["total"],
                med,
                p95,
                f"{med / TARGET_MS:.2f}",
                f"{p95 / TARGET_MS:.2f}",
                count_ms,
                rest_ms,
                statements,
                verdict(p95, TARGET_MS, higher_is_better=False),
            ]
        )
    table(
        [
            "case",
            "rows",
            "median ms",
            "p95 ms",
            "med/100ms",
            "p95/100ms",
            "count ms",
            "rest ms",
            "stmts",
            f"<= {TARGET_MS:.0f} ms",
        ],
        rows,
        title=f"[{backend}] ledger page of 50, {len(results[0]['times'])} runs each "
        "(count ms: the count statements; rest ms: page query and its fetch, selectin "
        "loads, ORM, summaries)",
    )
    for r in results:
        slow = percentile(r["times"], 95) * 1000 > TARGET_MS
        if not (slow or explain_all):
            continue
        why = f"p95 over {TARGET_MS:.0f} ms" if slow else "--explain"
        print(f"\n  [{backend}] '{r['name']}' ({why}): its statements alone")
        for n, (statement, params, _) in enumerate(r["statements"][0]):
            what = label(statement)
            if r["function"] == "colour_counts":
                what = f"count {('red', 'yellow', 'green')[n]}"
            elif what.startswith("selectin") and not slow:
                continue
            ms, returned, plan = diagnose(app, backend, statement, params)
            print(f"    -- {what}: {ms:.1f} ms, {returned} rows")
            for line in plan:
                print(f"      {line}")


def run_backend(backend: str, args, tmp: Path) -> tuple[list[dict], dict, float]:
    from server.extensions import db
    from server.timeutil import local_today

    with database(backend, tmp, "bench_ledger") as url:
        app = make_app(tmp / backend, url)
        today = local_today()
        with app.app_context():
            world = build_world(db.session)
            db.engine.dispose()
        fill_s = fill(app, backend, world, args.items, today)
        print(f"  [{backend}] {args.items:,} items inserted in {fill_s:.1f}s", flush=True)
        sampled = check_sample(app, today)
        census_ = census(app, today)
        print(f"  [{backend}] red_from of {sampled} sampled items agrees with red_reasons")
        with frozen_collector():
            results = measure(app, backend, world, today, args.repeats, census_)
        report(backend, results, census_, fill_s, app, args.explain)
        with app.app_context():
            db.engine.dispose()
    return results, census_, fill_s


def main() -> int:
    args = parse_args()
    watch = header(f"ledger page with {args.items:,} items (bench/ledger.py)", args)
    summary = {}
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-ledger-") as tmp:
        for backend in backends(args):
            started = time.perf_counter()
            results, _, _ = run_backend(backend, args, Path(tmp))
            print(f"  ({backend}: {time.perf_counter() - started:.1f}s including setup and fill)")
            summary[backend] = {r["name"]: r for r in results}
    if summary:
        names = list(next(iter(summary.values())))
        headers = ["case"]
        for backend in summary:
            headers += [f"{backend} med ms", f"{backend} p95 ms", f"{backend} p95/100ms"]
        rows = []
        for name in names:
            row = [name]
            for backend in summary:
                times = summary[backend][name]["times"]
                p95 = percentile(times, 95) * 1000
                row += [median(times) * 1000, p95, f"{p95 / TARGET_MS:.2f}"]
            rows.append(row)
        table(headers, rows, title=f"summary ({args.items:,} items; target <= {TARGET_MS:.0f} ms)")
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
