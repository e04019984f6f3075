"""XLSX export of the ledger (issue 16): 10,000, 50,000 and 100,000 rows through the
export job's own path, with the time and the peak memory of each, to show memory does not
grow with the rows.

For each database (SQLite file in WAL mode, and a throwaway PostgreSQL database), with
the schema built by the real migrations: the ledger bench's office and items
(bench/ledger.py: build_world and fill, 110,000 items of which ~105,000 are not drafts),
then for each size an ExportJob of the office's supervisor (no filter, `export_max_rows`
set to the size) run by `exports.run_export`: keyset batches of 1,000 items scoped by the
ledger's rules, XlsxWriter in constant_memory mode, the job's progress committed after
each batch. Each size is run twice: once timed, once under tracemalloc for the peak of
Python allocations during the run; the process's peak RSS (ru_maxrss) is printed too.
Each file is checked: the row count read back with openpyxl (read-only) is the size.
"CPU s" is this process's CPU time during the timed run (on SQLite the database work is
in it; PostgreSQL's server works in its own process): on a busy machine the wall time
also holds the time waiting for a core.

Timings are printed, never asserted."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _common import backends, database, footer, header, make_app, table, verdict
from ledger import build_world, fill

SIZES = (10_000, 50_000, 100_000)
QUICK_SIZES = (2_000, 5_000, 10_000)
TARGET_S = 15.0  # 100,000 rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("all", "both", "sqlite", "postgresql"), default="all")
    parser.add_argument("--quick", action="store_true", help="2k, 5k and 10k rows")
    args = parser.parse_args()
    args.backend = "all" if args.backend == "both" else args.backend
    args.sizes = QUICK_SIZES if args.quick else SIZES
    return args


def run_once(app, world: dict, size: int, traced: bool) -> tuple[float, float, float, Path]:
    """One export job of `size` rows: (seconds, this process's CPU seconds, peak traced
    MiB or 0, the file)."""
    from server.database import begin_writes
    from server.extensions import db
    from server.models import ExportJob, SettingOverride
    from server.rectification import exports
    from server.rectification.schemas import LedgerArgsSchema

    with app.app_context():
        begin_writes()
        db.session.merge(SettingOverride(key="export_max_rows", value=size))
        job = ExportJob(requester_id=world["supervisor"], kind="ledger", filters={})
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    with app.app_context():
        begin_writes()
        if traced:
            tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        status = exports.run_export(job_id, LedgerArgsSchema())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
        if traced:
            tracemalloc.stop()
        row = db.session.get(ExportJob, job_id)
        assert status == "done", (status, row.error)
        path = exports.export_dir() / row.file_name
        assert row.rows_done == size, (row.rows_done, size)
        db.session.commit()
    return seconds, cpu, peak, path


def rows_in(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return sum(1 for _ in book["整改台账"].iter_rows(values_only=True)) - 1


def run_backend(backend: str, args, tmp: Path) -> list[list]:
    from server.extensions import db
    from server.timeutil import local_today

    rows = []
    with database(backend, tmp, "bench_xlsx") as url:
        app = make_app(tmp / backend, url)
        with app.app_context():
            world = build_world(db.session)
            db.engine.dispose()
        items = int(max(args.sizes) * 1.1)
        fill_s = fill(app, backend, world, items, local_today())
        print(f"  [{backend}] {items:,} items inserted in {fill_s:.1f}s", flush=True)
        for size in args.sizes:
            seconds, cpu, _, path = run_once(app, world, size, traced=False)
            _, _, peak, path = run_once(app, world, size, traced=True)
            assert rows_in(path) == size
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            mb = path.stat().st_size / 2**20
            rate = size / seconds
            rows.append([backend, f"{size:,}", f"{seconds:.2f}", f"{cpu:.2f}", f"{rate:,.0f}",
                         f"{peak:.1f}", f"{rss:.0f}", f"{mb:.1f}"])  # fmt: skip
            print(f"  [{backend}] {size:,} rows: {seconds:.2f}s ({cpu:.2f}s CPU), "
                  f"peak {peak:.1f} MiB", flush=True)  # fmt: skip
            if size == max(args.sizes):
                print(f"  [{backend}] {size:,} rows in {seconds:.2f}s: "
                      f"{verdict(seconds, TARGET_S, higher_is_better=False)}")  # fmt: skip
        with app.app_context():
            db.engine.dispose()
    return rows


def main() -> int:
    args = parse_args()
    watch = header("XLSX export of the ledger (bench/xlsx_export.py)", args)
    rows = []
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-xlsx-") as tmp:
        for backend in backends(args):
            rows += run_backend(backend, args, Path(tmp))
    table(
        [
            "database",
            "rows",
            "seconds",
            "CPU s",
            "rows/s",
            "peak traced MiB",
            "max RSS MiB",
            "file MiB",
        ],  # fmt: skip
        rows,
        title=f"XLSX export (target: {max(args.sizes):,} rows in <= {TARGET_S:.0f} s; "
        "traced peak flat across sizes)",
    )
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
