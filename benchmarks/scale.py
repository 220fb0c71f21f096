"""Province-scale benchmark (issue 5): the pipeline against plain DuckDB and plain pandas.

    .venv/bin/python benchmarks/scale.py                 # benchmark scale (>= 10M orders), ~30-60 min
    .venv/bin/python benchmarks/scale.py --scales 2,4    # a quick try on small zones

In one run on this machine, for the largest scale given:
  1. the full `umkm run` on a fresh warehouse (load, dbt, checks, serving copy);
  2. the same marts by one hand-written DuckDB script reading the files (benchmarks/reference_duckdb.py);
  3. the same marts by a straightforward pandas script (benchmarks/reference_pandas.py);
and for every scale given (history of ~2.5M, 5M and 10M orders by default): a full `umkm run`, then one new
day's GoBiz report (`umkm demo --new-day`; the same file, of the largest scale, on every history), the
`umkm run` that takes it in, and one more `umkm run` with nothing new (the fixed cost of a run).
Every command runs as its own process; time is wall time, memory the peak RSS of its process tree.
The marts of 2. and 3. are compared with the pipeline's serving copy. Results: a table on stdout and
`<work>/results.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Measured, run_measured  # noqa: E402
from ingest.demo import BENCHMARK_SCALES, NEW_DAY_FILE  # noqa: E402

BIN = Path(sys.executable).parent
SALT = "benchmark-salt"
MARTS = ("mart_impact_summary", "mart_turnover_monthly", "mart_program_summary")
# history of ~2.5M, 5M and 10M orders (see the README's benchmark section for the counts per scale)
DEFAULT_SCALES = tuple(BENCHMARK_SCALES.values())   # 106, 212, 425: ~2.5M, 5M and 10M orders
GIB = 1024 ** 3


def pipeline_env(work: Path, zone: Path) -> dict:
    dagster_home = work / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    return {**os.environ, "UMKM_LANDING_DIR": str(zone), "UMKM_WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
            "UMKM_SERVING_DIR": str(work / "serving"), "UMKM_HASH_SALT": SALT, "UMKM_SETTLE_SECONDS": "0",
            "DAGSTER_HOME": str(dagster_home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False"}


def umkm(args: list[str], env: dict, work: Path, log_name: str) -> Measured:
    measured = run_measured([str(BIN / "umkm"), *args], env=env, cwd=work, log=work / log_name)
    if measured.returncode != 0:
        raise SystemExit(f"`umkm {' '.join(args)}` failed ({measured.returncode}); see {work / log_name}")
    return measured


def warehouse_counts(work: Path) -> dict:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        orders = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
        by_platform = dict(con.execute("select platform, count(*) from marts.fct_orders group by all").fetchall())
        files, rows = con.execute("select count(*), coalesce(sum(rows_read), 0) from raw.landing_files "
                                  "where status = 'loaded'").fetchone()
        surveys = con.execute("select count(*) from raw.survey_submissions").fetchone()[0]
        enrollments = con.execute("select count(*) from raw.enrollments").fetchone()[0]
    return {"orders": orders, "orders_by_platform": by_platform, "files_loaded": files, "rows_read": rows,
            "survey_rows": surveys, "enrollment_rows": enrollments}


def zone_bytes(zone: Path) -> int:
    return sum(path.stat().st_size for path in zone.rglob("*") if path.is_file() and not path.is_symlink())


def marts_equal(serving_db: Path, reference_dir: Path) -> dict[str, bool]:
    """Each mart of a reference script against the serving copy: same rows, as sets, exact decimals."""
    same = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{serving_db}' as serving (read_only)")
        for mart in MARTS:
            reference = reference_dir / f"{mart}.parquet"
            if not reference.exists():
                same[mart] = False
                continue
            columns = [name for (name,) in con.execute(
                f"select column_name from (describe select * from read_parquet('{reference}'))").fetchall()]
            cols = ", ".join(f'"{c}"' for c in columns)
            diff = con.execute(f"""
                select count(*) from (
                    (select {cols} from serving.main.{mart} except all select {cols} from read_parquet('{reference}'))
                    union all
                    (select {cols} from read_parquet('{reference}') except all select {cols} from serving.main.{mart}))
            """).fetchone()[0]
            same[mart] = diff == 0
    return same


def serving_db(work: Path) -> Path:
    return work / "serving" / "marts.duckdb"


def fresh(work: Path) -> Path:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    return work


def demo_zone(root: Path, scale: int, seed: int) -> tuple[Path, Measured]:
    """The demo writes only files whose bytes differ, so a zone kept from an earlier run is reused quickly."""
    zone = root / f"landing-scale{scale}"
    (zone / NEW_DAY_FILE).unlink(missing_ok=True)   # the new day of an earlier run
    env = {**os.environ, "UMKM_LANDING_DIR": str(zone)}
    measured = run_measured([str(BIN / "umkm"), "demo", "--scale", str(scale), "--seed", str(seed)],
                            env=env, cwd=root, log=root / f"demo-scale{scale}.log")
    if measured.returncode != 0:
        raise SystemExit(f"umkm demo --scale {scale} failed; see {root / f'demo-scale{scale}.log'}")
    return zone, measured


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) * 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem / GIB:.0f} GiB RAM, Python {platform.python_version()}, " \
           f"DuckDB {duckdb.__version__}, {platform.system()} {platform.release()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)),
                        help="demo scales for the history sizes; the largest one is the benchmark zone")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("/tmp/umkm-bench"), help="where zones and warehouses go")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the (slow) pandas script")
    parser.add_argument("--skip-references", action="store_true", help="leave out both reference scripts")
    parser.add_argument("--new-day-scale", type=int, default=None,
                        help="the scale whose new day lands on every history (default: the largest scale, "
                             "so every history gets the same file)")
    args = parser.parse_args(argv)
    scales = sorted(int(s) for s in args.scales.split(","))
    new_day_scale = args.new_day_scale or scales[-1]
    root = args.work.resolve()
    root.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "started": datetime.now(timezone.utc).isoformat(), "scales": {}}
    print(f"machine: {results['machine']}")

    for scale in scales:
        zone, generated = demo_zone(root, scale, args.seed)
        work = fresh(root / f"run-scale{scale}")
        env = pipeline_env(work, zone)
        print(f"\nscale {scale}: zone {zone} ({zone_bytes(zone) / GIB:.2f} GiB, demo {generated.seconds:.1f}s)")
        full = umkm(["run"], env, work, "full-run.log")
        counts = warehouse_counts(work)
        print(f"  full umkm run: {full.seconds:.1f}s, peak {full.peak_rss_bytes / GIB:.2f} GiB, "
              f"{counts['orders']:,} orders, {counts['rows_read']:,} rows in {counts['files_loaded']:,} files")
        entry = {"demo_seconds": generated.seconds, "zone_bytes": zone_bytes(zone), **counts,
                 "full_run": vars(full)}

        if scale == scales[-1] and not args.skip_references:   # the comparison runs on the benchmark zone only
            for name, script in (("duckdb", "reference_duckdb.py"), ("pandas", "reference_pandas.py")):
                if name == "pandas" and args.skip_pandas:
                    continue
                out = fresh(root / f"reference-{name}")
                measured = run_measured([sys.executable, str(ROOT / "benchmarks" / script), str(zone), SALT, str(out)],
                                        cwd=root, log=root / f"reference-{name}.log")
                entry[name] = {**vars(measured), "marts_equal": marts_equal(serving_db(work), out)}
                print(f"  {name} script: {measured.seconds:.1f}s, peak {measured.peak_rss_bytes / GIB:.2f} GiB, "
                      f"exit {measured.returncode}, marts equal to the pipeline's: {entry[name]['marts_equal']}")

        # The same day's report on every history (the benchmark scale's: a province's day), so
        # only the history under it grows.
        new_day = umkm(["demo", "--scale", str(new_day_scale), "--seed", str(args.seed), "--new-day"], env, work,
                       "new-day-demo.log")
        day = umkm(["run"], env, work, "new-day-run.log")
        after = warehouse_counts(work)
        entry["new_day"] = {**vars(day), "orders_added": after["orders"] - counts["orders"],
                            "demo_seconds": new_day.seconds, "day_of_scale": new_day_scale}
        print(f"  new day: {after['orders'] - counts['orders']:,} orders, umkm run {day.seconds:.1f}s "
              f"({day.seconds / full.seconds:.1%} of this full build)")
        # The same command with nothing new: what every run costs before it does any work
        # (process and Dagster start-up, GX import, dbt start-up and its ~160 nodes, events).
        # After the new day, so its page cache is warm: the day's own share is, if anything, overstated.
        idle = umkm(["run"], env, work, "no-change-run.log")
        entry["no_change_run"] = vars(idle)
        print(f"  the same run with nothing new: {idle.seconds:.1f}s; the new day's own work: "
              f"{day.seconds - idle.seconds:.1f}s")
        results["scales"][scale] = entry
        (root / "results.json").write_text(json.dumps(results, indent=2, default=str))

    print_table(results, scales)
    print(f"\nresults: {root / 'results.json'}")
    return 0


def print_table(results: dict, scales: list[int]) -> None:
    big = results["scales"][scales[-1]]
    full = big["full_run"]["seconds"]
    print(f"\n## Benchmark ({results['machine']})\n")
    print("| what | orders | seconds | orders/s | peak RSS | vs full build |")
    print("|---|---:|---:|---:|---:|---:|")

    def row(what, orders, measured, ratio):
        seconds = measured["seconds"]
        rate = f"{orders / seconds:,.0f}" if orders else ""
        peak = measured["peak_rss_bytes"] / GIB
        print(f"| {what} | {orders:,} | {seconds:.1f} | {rate} | {peak:.2f} GiB | {ratio} |")

    row("full `umkm run`", big["orders"], big["full_run"], "1.00x")
    for name in ("duckdb", "pandas"):
        if name in big:
            theirs = big[name]["seconds"]
            row(f"{name} script", big["orders"], big[name], f"full build = {full / theirs:.2f}x this")
    for scale in scales:
        entry = results["scales"][scale]
        row(f"new day on {entry['orders']:,} orders", entry["new_day"]["orders_added"], entry["new_day"],
            f"{entry['new_day']['seconds'] / full:.1%} of the 10M full build")
        if "no_change_run" in entry:
            idle = entry["no_change_run"]
            own = entry["new_day"]["seconds"] - idle["seconds"]
            row(f"the same run with nothing new, {entry['orders']:,} orders", 0, idle,
                f"{idle['seconds'] / full:.1%}; the day's own work {own:.1f} s = {own / full:.1%}")
    for scale in scales[:-1]:
        entry = results["scales"][scale]
        row(f"full `umkm run`, scale {scale}", entry["orders"], entry["full_run"],
            f"{entry['full_run']['seconds'] / full:.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
