"""Clue register at scale (issue 17): the 12345 import of 1,000 and 5,000 rows into an
office with 20,000 clues, and the register and clue pages with 20,000 and 100,000.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database), schema
by the real migrations (with the topics they seed):

1. The ledger bench's office, units (200, in 10 regions) and supervisor
   (bench/ledger.py build_world), then N clues of the office inserted with Core in
   batches: received over the last two years, numbered XS-<year>-<nnnn> per year, 70 %
   hotline work orders with a work order number, the rest other channels; statuses
   mostly closed (55 %), the rest received, forwarded, answered, planned, merged or
   rejected; topics, units (skewed) and places from pools, so the same place and topic
   recur. PostgreSQL gets VACUUM ANALYZE, SQLite what `flask analyze-db` does.
2. The register `GET /console/clues` (no filter; `q` a two-character word; status=open)
   and one open clue's page `GET /console/clues/<id>` (with its duplicate
   suggestions), through the in-process test client logged in as the supervisor. Two
   warm-up runs, then the median and p95 of R runs, the collector's long-lived objects
   frozen as gunicorn.conf.py has a worker do. Target: <= 300 ms.
3. The import as the supervisor does it, through the pages (`POST /console/clues/import`
   with a generated XLSX, then `POST /console/clues/import/confirm` with the token the
   preview page holds): seconds of each request, with the time inside
   `files.read_table`, `imports.build_preview` and `imports.confirm` (wrapped, not
   changed) and the commit (the rest of the confirmation). Then the same file again:
   every row 已存在 and nothing to confirm. Checked: the clues were written with the
   file's work order numbers, and the re-import wrote none. Target: 5,000 rows <= 30 s.
4. More clues to the large size, and the pages again.

Timings are printed, never asserted; the script fails only when a page is not a 200 or
an import did not write (or re-wrote) what it should."""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ledger
from _common import (
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
from dashboards import console_client
from sqlalchemy import func, insert, select, text

PAGE_TARGET_MS = 300.0
IMPORT_TARGET_S = 30.0  # 5,000 rows
SIZES, QUICK_SIZES = (20_000, 100_000), (2_000, 10_000)
ROWS, QUICK_ROWS = (1_000, 5_000), (200, 1_000)
REPEATS, WARMUP, BATCH = 10, 2, 5_000
SEED = 17
WORD = "塌陷"  # the text search: a two-character word, as people type
STATUS_WEIGHTS = {
    "received": 15, "forwarded": 10, "answered": 5, "planned": 2, "merged": 5,
    "rejected": 8, "closed": 55,
}  # fmt: skip
SOURCE_WEIGHTS = {"hotline": 70, "online": 12, "letter": 6, "visit": 5, "media": 4, "referral": 3}
PROBLEMS = (
    "道路塌陷多日无人修复", "夜间施工噪音扰民", "小区垃圾清运不及时", "占道经营影响通行",
    "路灯损坏夜间无照明", "农民工工资拖欠", "污水直排河道", "违章搭建", "餐馆油烟扰民",
    "学校周边交通拥堵", "供水管道破裂", "公厕长期关闭", "窨井盖缺失存在安全隐患",
    "扬尘污染严重", "养老金发放延误", "医保报销手续繁琐",
)  # fmt: skip
PLACES = 2_000  # distinct places: the same place and topic recur (duplicate suggestions)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("all", "both", "sqlite", "postgresql"), default="all")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--quick", action="store_true", help="2k / 10k clues, 200 / 1,000 rows")
    args = parser.parse_args()
    args.backend = "all" if args.backend == "both" else args.backend
    args.sizes = QUICK_SIZES if args.quick else SIZES
    args.rows = QUICK_ROWS if args.quick else ROWS
    return args


def place_of(n: int) -> str:
    return f"龙山镇幸福路{n % PLACES // 10 + 1}号{n % 10 + 1}栋"


class Filler:
    """Inserts the office's clues with Core; numbering continues across calls."""

    def __init__(self, app, backend: str, world: dict):
        from server.extensions import db
        from server.models import ClueTopic

        self.app, self.backend, self.world = app, backend, world
        self.rng = random.Random(SEED)
        self.numbers: Counter = Counter()  # per year
        self.count = 0
        with app.app_context():
            self.topics = list(db.session.scalars(select(ClueTopic.id).where(ClueTopic.active)))
        weights = [1 / (rank + 1) ** 0.5 for rank in range(len(world["units"]))]
        self.unit_weights = weights

    def row(self, today: date, now: datetime) -> dict:
        rng, world = self.rng, self.world
        n = self.count
        self.count += 1
        received = today - timedelta(days=rng.randrange(730))
        self.numbers[received.year] += 1
        source = rng.choices(list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values()))[0]
        status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        unit_id, region = rng.choices(world["units"], self.unit_weights)[0]
        place = place_of(rng.randrange(PLACES * 3)) if rng.random() < 0.8 else ""
        at = datetime.combine(received, datetime.min.time(), UTC) + timedelta(hours=2)
        row = {
            "id": uuid.uuid4(), "code": f"XS-{received.year}-{self.numbers[received.year]:04d}",
            "office_unit_id": world["office"], "source": source,
            "source_ref": f"GD{received:%Y%m%d}{n:07d}" if source == "hotline" else None,
            "received_on": received, "place": place,
            "summary": f"群众反映{place or '辖区内'}{rng.choice(PROBLEMS)}",
            "site_id": None, "lat": None, "lon": None, "region_code": region,
            "unit_id": unit_id, "topic_id": rng.choice(self.topics),
            "reporter_name": "张**", "reporter_contact": f"139****{n % 10_000:04d}",
            "status": status, "merged_into_id": None, "reject_reason": "",
            "forwarded_unit_id": None, "forwarded_at": None, "forward_note": "",
            "answer_due": None, "answer": "", "answered_at": None, "answered_by_id": None,
            "outcome": None, "reply": "", "closed_at": None, "closed_by_id": None,
            "created_by_id": world["supervisor"], "created_at": at, "updated_at": at,
            "version": 1,
        }  # fmt: skip
        if status in ("forwarded", "answered"):
            row |= {"forwarded_unit_id": unit_id, "forwarded_at": at,
                    "answer_due": received + timedelta(days=7)}  # fmt: skip
        if status == "answered":
            row |= {"answer": "已核实处理", "answered_at": at + timedelta(days=3)}
        if status in ("closed", "rejected", "merged"):
            row |= {"closed_at": at + timedelta(days=5), "closed_by_id": world["supervisor"]}
        if status == "closed":
            row |= {"outcome": rng.choice(["rectified", "not_verified", "forwarded"]),
                    "reply": "您反映的问题已办理。"}  # fmt: skip
        if status == "rejected":
            row |= {"outcome": "rejected", "reject_reason": "不属于受理范围"}
        return row

    def fill(self, count: int) -> float:
        from server.extensions import db
        from server.models import Clue
        from server.timeutil import local_today

        started = time.perf_counter()
        today, now = local_today(), datetime.now(UTC)
        with self.app.app_context():
            # Continue after the codes the imports took.
            for code in db.session.scalars(
                select(Clue.code).where(Clue.office_unit_id == self.world["office"])
            ):
                year, number = (int(part) for part in code.split("-")[1:])
                self.numbers[year] = max(self.numbers[year], number)
            db.session.rollback()
            statement = insert(Clue.__table__)
            for first in range(0, count, BATCH):
                rows = [self.row(today, now) for _ in range(min(BATCH, count - first))]
                with db.engine.begin() as conn:
                    conn.execute(statement, rows)
            analyze(self.backend)
            db.engine.dispose()
        return time.perf_counter() - started


def analyze(backend: str) -> None:
    from server.extensions import db

    if backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE clue"))
    else:  # what `flask analyze-db` does (make run, and daily)
        from server.database import refresh_statistics

        refresh_statistics()


def office_clues(app, world: dict, refs: list[str] | None = None) -> int:
    from server.extensions import db
    from server.models import Clue

    with app.app_context():
        query = select(func.count()).where(Clue.office_unit_id == world["office"])
        if refs is not None:
            query = query.where(Clue.source_ref.in_(refs))
        count = db.session.scalar(query)
        db.session.rollback()
    return count


# ---- the pages


def page_cases(app, world: dict) -> list[tuple[str, str]]:
    """The register's cases and an open clue with duplicate suggestions (its count too)."""
    from server.clues import queries
    from server.extensions import db
    from server.models import Clue, User

    with app.test_request_context():
        user = db.session.get(User, world["supervisor"])
        # The newest open hotline clue at a place that recurs, with suggestions if one of
        # the newest 100 has any: what a desk opens most.
        newest = db.session.scalars(
            select(Clue)
            .where(Clue.office_unit_id == world["office"], Clue.status == "received",
                   Clue.source == "hotline", Clue.place != "")
            .order_by(Clue.received_on.desc()).limit(100)
        ).all()  # fmt: skip
        clue, suggested = newest[0], 0
        for candidate in newest:
            found = len(queries.duplicate_candidates(user, candidate))
            if found:
                clue, suggested = candidate, found
                break
        clue_id = clue.id
        db.session.rollback()
    return [
        ("register, no filter", "/console/clues"),
        (f"register, q={WORD}", f"/console/clues?q={WORD}"),
        ("register, status=open", "/console/clues?status=open"),
        (f"clue page ({suggested} suggestions)", f"/console/clues/{clue_id}"),
    ]


def measure_pages(app, world: dict, repeats: int) -> list[list]:
    client = console_client(app, "bench-supervisor")
    rows = []
    for name, url in page_cases(app, world):
        times = []
        for n in range(WARMUP + repeats):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            if n >= WARMUP:
                times.append(elapsed)
        p50, p95 = median(times) * 1000, percentile(times, 95) * 1000
        rows.append([name, p50, p95, verdict(p95, PAGE_TARGET_MS, False), len(response.data)])
    return rows


# ---- the import


def workbook(rows: int, tag: str, unit_names: list[str], topic_names: list[str]) -> tuple:
    """A 12345 export as XLSX: (bytes, its work order numbers)."""
    import xlsxwriter

    from server.clues.import_format import COLUMNS
    from server.timeutil import local_today

    rng = random.Random(f"{SEED}-{tag}")
    today = local_today()
    first = date(today.year, 1, 1)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("工单")
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.label)
    refs = []
    for n in range(1, rows + 1):
        day = first + timedelta(days=rng.randrange((today - first).days + 1))
        ref = f"GD{day:%Y%m%d}{tag}{n:06d}"
        refs.append(ref)
        place = place_of(rng.randrange(PLACES * 3))
        values = {
            "source_ref": ref, "received": f"{day.isoformat()} {rng.randrange(8, 18):02d}:30",
            "summary": f"来电反映{place}{rng.choice(PROBLEMS)},请尽快处理", "place": place,
            "region": "", "unit": rng.choice(unit_names), "topic": rng.choice(topic_names),
            "reporter_name": "李**", "reporter_contact": f"138****{n % 10_000:04d}",
            "lon": "", "lat": "", "channel": "12345热线",
        }  # fmt: skip
        for col, column in enumerate(COLUMNS):
            sheet.write_string(n, col, values[column.key])
    book.close()
    return out.getvalue(), refs


class Phases:
    """Time spent inside the functions the import pages call (wrapped for the run)."""

    NAMES = (("files", "read_table"), ("imports", "build_preview"), ("imports", "confirm"))

    def __enter__(self):
        from server.clues import imports
        from server.organisation import files

        self.modules = {"files": files, "imports": imports}
        self.seconds: Counter = Counter()
        self.saved = []
        for module_name, name in self.NAMES:
            module = self.modules[module_name]
            original = getattr(module, name)
            self.saved.append((module, name, original))
            setattr(module, name, self._timed(name, original))
        return self

    def _timed(self, name, original):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def __exit__(self, *exc):
        for module, name, original in self.saved:
            setattr(module, name, original)

    def take(self) -> Counter:
        taken, self.seconds = self.seconds, Counter()
        return taken


def csrf_of(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def upload(client, data: bytes, name: str):
    form = {"csrf_token": csrf_of(client), "file": (io.BytesIO(data), name)}
    started = time.perf_counter()
    response = client.post("/console/clues/import", data=form, content_type="multipart/form-data")
    return time.perf_counter() - started, response


def import_run(app, world: dict, client, rows: int, tag: str, names: tuple) -> dict:
    """One file through the pages, then the same file again; checks the counts."""
    before = office_clues(app, world)
    data, refs = workbook(rows, tag, *names)
    with Phases() as phases:
        preview_s, response = upload(client, data, f"12345-{tag}.xlsx")
        preview_phases = phases.take()
        html = response.get_data(as_text=True)
        token = re.search(r'name="token" value="([^"]+)"', html)
        if response.status_code != 200 or token is None:
            raise SystemExit(f"import preview of {rows} rows: {response.status_code}, no token")
        form = {"csrf_token": csrf_of(client), "token": token[1]}
        started = time.perf_counter()
        response = client.post("/console/clues/import/confirm", data=form)
        confirm_s = time.perf_counter() - started
        confirm_phases = phases.take()
        if response.status_code != 303:
            raise SystemExit(f"import confirmation of {rows} rows: {response.status_code}")
        written = office_clues(app, world, refs)
        after = office_clues(app, world)
        if written != rows or after != before + rows:
            raise SystemExit(f"import of {rows} rows wrote {written} ({before} -> {after})")
        again_s, response = upload(client, data, f"12345-{tag}.xlsx")
        again_phases = phases.take()
    html = response.get_data(as_text=True)
    if response.status_code != 200 or 'name="token"' in html:
        raise SystemExit(f"re-import of {rows} rows: {response.status_code} or offered to write")
    if office_clues(app, world) != after:
        raise SystemExit(f"re-import of {rows} rows wrote clues")
    return {
        "rows": rows, "before": before, "preview": preview_s, "confirm": confirm_s,
        "again": again_s, "preview_phases": preview_phases, "confirm_phases": confirm_phases,
        "again_phases": again_phases,
    }  # fmt: skip


def import_names(app, world: dict) -> tuple[list[str], list[str]]:
    from server.extensions import db
    from server.models import ClueTopic, Unit

    with app.app_context():
        units = list(db.session.scalars(select(Unit.name).where(Unit.id.in_(
            [u for u, _ in world["units"][:40]]))))  # fmt: skip
        topics = list(db.session.scalars(select(ClueTopic.name).where(ClueTopic.active)))
        db.session.rollback()
    return units, topics


def import_rows(results: list[dict], backend: str) -> list[list]:
    rows = []
    for r in results:
        pp, cp = r["preview_phases"], r["confirm_phases"]
        rows.append([
            backend, r["rows"], r["before"], r["preview"], pp["build_preview"], r["confirm"],
            cp["read_table"] + cp["build_preview"], cp["confirm"],
            r["confirm"] - sum(cp.values()), r["rows"] / (r["preview"] + r["confirm"]),
            r["again"],
        ])  # fmt: skip
    return rows


def run_backend(backend: str, args, tmp: Path) -> None:
    from server.extensions import db

    small, large = args.sizes
    with database(backend, tmp, "bench_clues") as url:
        app = make_app(tmp / backend, url)
        with app.app_context():
            world = ledger.build_world(db.session)
            db.engine.dispose()
        filler = Filler(app, backend, world)
        seconds = filler.fill(small)
        print(f"  [{backend}] {small:,} clues inserted in {seconds:.1f}s", flush=True)
        with frozen_collector():
            pages = {small: measure_pages(app, world, args.repeats)}

        client = console_client(app, "bench-supervisor")
        names = import_names(app, world)
        results = []
        for n, rows in enumerate(args.rows):
            results.append(import_run(app, world, client, rows, f"{n:02d}", names))
            r = results[-1]
            print(f"  [{backend}] import of {rows:,} rows: preview {r['preview']:.2f}s, "
                  f"confirmation {r['confirm']:.2f}s, re-import {r['again']:.2f}s",
                  flush=True)  # fmt: skip
        table(
            ["database", "rows", "clues before", "preview s", "build_preview s", "confirm s",
             "re-read s", "confirm() s", "commit+rest s", "rows/s", "re-import s"],
            import_rows(results, backend),
            title=f"{backend}: 12345 import through the pages (target: "
            f"{max(args.rows):,} rows <= {IMPORT_TARGET_S:.0f} s, preview + confirmation)",
        )  # fmt: skip
        last = results[-1]
        total = last["preview"] + last["confirm"]
        print(f"  {last['rows']:,} rows in {total:.1f}s: "
              f"{verdict(total, IMPORT_TARGET_S, higher_is_better=False)}")  # fmt: skip

        have = office_clues(app, world)
        seconds = filler.fill(large - have)
        print(f"  [{backend}] {large - have:,} more clues in {seconds:.1f}s", flush=True)
        with frozen_collector():
            pages[large] = measure_pages(app, world, args.repeats)
        for size, rows in pages.items():
            table(
                ["case", "median ms", "p95 ms", "p95 <= 300 ms", "bytes"],
                rows,
                title=f"{backend}: the register with {size:,} clues in the office",
            )
        with app.app_context():
            db.engine.dispose()


def main() -> int:
    args = parse_args()
    watch = header("clue import and register (bench/clue_import.py)", args)
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-clues-") as tmp:
        for backend in backends(args):
            run_backend(backend, args, Path(tmp))
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
