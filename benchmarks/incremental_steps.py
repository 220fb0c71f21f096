"""Time the steps after dbt, full and after one new day: raw checks, mart checks, publication.

    .venv/bin/python benchmarks/incremental_steps.py --orders 10000000 --workdir /tmp/bench10m
    .venv/bin/python benchmarks/incremental_steps.py --orders 2500000 --workdir /tmp/bench2m --days 3

Builds the synthetic raw layer of benchmarks/quality_checks.py (GoBiz 60 %, Shopee lines 30 %,
UVO 10 % of the orders, GoBiz over 540 days), runs `dbt seed` and `dbt run` on it, then times
what the asset check and serving steps run (`quality.scope` + `quality.validate`, Data Docs
included; `orchestration.serving.publish_marts`):

1. full: no watermark and no serving copy yet (every file version, every order date, everything
   written), and, for comparison, the raw checks on whole tables as before scoping;
2. one new day (`--days` times): a GoBiz report of one day (the day after the last GoBiz day,
   1/540 of the GoBiz rows) is appended to raw the way the loader does, `dbt run` rebuilds the
   marts, and the three steps run again.

Then checks that the incremental publication serves what a fresh full one does (row count and
hash of every mart, through marts.duckdb and through the Parquet files of current.json).
dbt times are printed for context only. Not part of the default test run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

NEW_DAY_PATH = "gofood/gobiz_new_day_{}.csv"


def dbt(project: Path, warehouse: Path, *args: str) -> float:
    started = time.perf_counter()
    env = {**os.environ, "UMKM_WAREHOUSE_PATH": str(warehouse)}
    result = subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project),
                             "--profiles-dir", str(project), "--quiet"], env=env, cwd=project,
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return time.perf_counter() - started


def land_new_day(warehouse: Path, path: str) -> int:
    """One day of GoBiz transactions as a new file version, loaded the way ingest loads one."""
    import duckdb

    con = duckdb.connect(str(warehouse))
    try:
        con.execute("set enable_progress_bar = false")
        [(n_gofood, last_day)] = con.execute("select count(*), max(transaction_date_wib) "
                                             "from raw.gofood_transactions").fetchall()
        rows = max(n_gofood // 540, 1)
        con.execute("begin transaction")
        con.execute(f"""
            insert into raw.gofood_transactions by name
            select '{path}' as landing_path, md5('{path}') as sha256, (i + 1)::int as row_number,
                   now()::timestamp as file_landed_at, now()::timestamp as loaded_at,
                   '{path}:' || i as transaction_id, 'R-' || i as transaction_reference, 'F-' || i as order_id,
                   i::varchar as stan, d as transaction_date,
                   d::timestamp + to_seconds((i * 86399 // {rows})::bigint) - interval 7 hour as transaction_ts_utc,
                   d as transaction_date_wib, amt as amount, amt * 0.8 as nett_amount,
                   case when i % 20 = 0 then 'cancel' else 'settlement' end as transaction_status,
                   'GoFood' as feature, 'GOPAY' as payment_type, 'Warung ' || (i % 20000) as merchant_name,
                   'G-' || (i % 20000) as merchant_id, 'IDR' as currency
            from (select i, date '{last_day}' + 1 as d, (5000 + hash(i * 11) % 495000)::decimal(18, 2) as amt
                  from range({rows}) t(i))""")
        con.execute(f"""insert into raw.landing_files values ('{path}', md5('{path}'), 'gofood', 'loaded',
                        null, {rows}, {rows}, 0, 1000, now()::timestamp, now()::timestamp, now()::timestamp)""")
        con.execute("commit")
        return rows
    finally:
        con.close()


def check_step(warehouse: Path, layer: str, docs: Path, scoped: bool = True) -> tuple[float, int, str]:
    """What `raw_quality_checks` / `mart_quality_checks` run; returns (seconds, rows validated, verdict)."""
    import duckdb

    from quality.scope import plan_scopes, record_passed
    from quality.suites import ERROR, MART_TARGETS, RAW_TARGETS
    from quality.validate import validate_targets

    targets = RAW_TARGETS if layer == "raw" else MART_TARGETS
    started = time.perf_counter()
    con = duckdb.connect(str(warehouse), read_only=not scoped)
    try:
        con.execute("set enable_progress_bar = false")
        scopes = plan_scopes(con, targets) if scoped else None
        results = validate_targets(con, targets, docs_site=docs / "gx" / layer, scopes=scopes)
        if scoped:
            record_passed(con, results, scopes)
    finally:
        con.close()
    failed = [r.target.relation for r in results if not r.passed(ERROR)]
    rows = sum(sum(r.rows.values()) for r in results)
    return time.perf_counter() - started, rows, ("ERROR in " + ", ".join(failed)) if failed else "pass"


def publish(warehouse: Path, serving: Path):
    from orchestration.serving import publish_marts

    started = time.perf_counter()
    publication = publish_marts(warehouse, serving)
    return time.perf_counter() - started, publication


def signatures(serving: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    files = json.loads((serving / "current.json").read_text())["parquet"]
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        signature = "select count(*), coalesce(sum(hash(t)), 0) from {} t"
        return {t: (con.execute(signature.format(f'"{t}"')).fetchone(),
                    con.execute(signature.format(f"read_parquet('{serving / files[t]}')")).fetchone())
                for t in tables}
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, required=True, help="kept: the warehouse is built once")
    parser.add_argument("--dbt-project", type=Path, default=ROOT / "dbt_project")
    parser.add_argument("--days", type=int, default=1, help="new days landed one after the other")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / "base.duckdb"
    if not base.exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from quality_checks import build_synthetic

        building = workdir / "building.duckdb"
        build_synthetic(building, args.orders)
        seconds = dbt(args.dbt_project, building, "seed") + dbt(args.dbt_project, building, "run")
        print(f"dbt seed + run (full build of the marts): {seconds:.1f}s", flush=True)
        building.rename(base)
    warehouse, serving, docs = workdir / "warehouse.duckdb", workdir / "serving", workdir / "docs"
    shutil.copyfile(base, warehouse)
    shutil.rmtree(serving, ignore_errors=True)

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (once per process: reported apart)
    print(f"GX import: {time.perf_counter() - started:.1f}s (once per run process)", flush=True)

    timings = {}
    timings["raw checks, whole tables (before)"] = check_step(warehouse, "raw", docs, scoped=False)
    timings["raw checks, full"] = check_step(warehouse, "raw", docs)
    timings["mart checks, full"] = check_step(warehouse, "marts", docs)
    seconds, publication = publish(warehouse, serving)
    timings["publish, full"] = (seconds, sum(publication.counts.values()), publication.duckdb_mode)

    for day in range(1, args.days + 1):
        path = NEW_DAY_PATH.format(day)
        rows = land_new_day(warehouse, path)
        print(f"new day {day}: {rows:,} GoBiz rows in {path}; dbt run: "
              f"{dbt(args.dbt_project, warehouse, 'run'):.1f}s", flush=True)
        timings[f"raw checks, new day {day}"] = check_step(warehouse, "raw", docs)
        timings[f"mart checks, new day {day}"] = check_step(warehouse, "marts", docs)
        seconds, publication = publish(warehouse, serving)
        timings[f"publish, new day {day}"] = (seconds, publication.days_changed,
                                             f"marts.duckdb {publication.duckdb_mode}, months written "
                                             f"{publication.months_written}, {publication.months_linked} linked, "
                                             f"{(serving / 'marts.duckdb').stat().st_size / 2**20:,.0f} MiB")

    print(f"\n{args.orders:,} orders ({workdir}):")
    for step, (seconds, count, note) in timings.items():
        print(f"  {step:<36} {seconds:6.2f}s  {count:>12,}  {note}")
    print("  (count: rows validated; publish full: rows published; publish new day: order dates replaced)")

    fresh = workdir / "serving_full"
    shutil.rmtree(fresh, ignore_errors=True)
    seconds, _ = publish(warehouse, fresh)
    same = signatures(serving) == signatures(fresh)
    print(f"\nfresh full publication of the same warehouse: {seconds:.2f}s; incremental serves the same marts: {same}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
