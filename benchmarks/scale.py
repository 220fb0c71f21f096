"""Province-scale benchmark (issues 5 and 12): the pipeline against plain DuckDB and plain pandas.

    .venv/bin/python benchmarks/scale.py                 # benchmark scale (>= 10M orders), ~65-80 min
    .venv/bin/python benchmarks/scale.py --scales 2,4    # a quick try on small zones (a few minutes)
    .venv/bin/python benchmarks/scale.py --scales 2,4 --zones xlsx --skip-pandas    # quicker still

In one run on this machine:
  1. for every zone kind (`--zones`; both by default), on the largest scale given:
     - `xlsx`: today's demo zone (Shopee exports mostly xlsx, as Seller Centre sends them);
     - `csv`:  the same orders with every Shopee export in the older csv layout (`umkm demo --shopee-csv`),
               so the zone is CSV/JSON (plus the few survey/registry xlsx files);
     the full `umkm run` on a fresh warehouse (load, dbt, checks, serving copy), then the same marts by
     one hand-written DuckDB script reading the files (benchmarks/reference_duckdb.py) and by a
     straightforward pandas script (benchmarks/reference_pandas.py), both compared with the pipeline's
     serving copy; the ratios are printed per zone;
  2. for every scale given on the xlsx zone (history of ~2.5M, 5M and 10M orders by default): a full
     `umkm run`, then one new day's GoBiz report (`umkm demo --new-day`; the same file, of the largest
     scale, on every history), the `umkm run` that takes it in, and one more `umkm run` with nothing
     new (the fixed cost of a run);
  3. with `--latency`, drop-to-serving latency under `make ui` (`dagster dev` with its sensors) on the
     largest xlsx warehouse, by scripts/measure_latency.py: see `ui_latency`.
Every command runs as its own process; time is wall time, memory the peak RSS of its process tree,
CPU the user + system seconds of that tree (it shows when the machine was busy with other work).
Results: a table on stdout and `<work>/results.json`. Disk under `--work`: what the xlsx zones and
their warehouses took before, plus the CSV-only 10M zone (~3 GiB) and its warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Measured, run_measured  # noqa: E402
from demo.common import BENCHMARK_SCALES  # noqa: E402
from demo.zone import NEW_DAY_FILE  # noqa: E402

BIN = Path(sys.executable).parent
SALT = "benchmark-salt"
MARTS = ("mart_impact_summary", "mart_turnover_monthly", "mart_program_summary")
# history of ~2.5M, 5M and 10M orders (see the README's benchmark section for the counts per scale)
DEFAULT_SCALES = tuple(BENCHMARK_SCALES.values())   # 106, 212, 425: ~2.5M, 5M and 10M orders
ZONES = ("xlsx", "csv")
REFERENCES = (("duckdb", "reference_duckdb.py"), ("pandas", "reference_pandas.py"))
LATENCY_PROBES = "gofood/gobiz_latency_probe_*.csv"    # what scripts/measure_latency.py drops
STEADY_DROPS = ("steady_1", "steady_2", "steady_3")
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


def zone_files(zone: Path) -> dict:
    """Bytes and files of a zone, and files per type (xlsx / csv / json)."""
    paths = [path for path in zone.rglob("*") if path.is_file() and not path.is_symlink()]
    kinds = {}
    for path in paths:
        kinds[path.suffix.lower().lstrip(".") or "-"] = kinds.get(path.suffix.lower().lstrip(".") or "-", 0) + 1
    return {"bytes": sum(path.stat().st_size for path in paths), "files": len(paths),
            "by_type": {k: v for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if k in ("csv", "xlsx", "json")}}


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


def demo_zone(root: Path, scale: int, seed: int, kind: str = "xlsx") -> tuple[Path, Measured]:
    """The demo writes only files whose bytes differ, so a zone kept from an earlier run is reused quickly."""
    suffix = "" if kind == "xlsx" else f"-{kind}"
    zone = root / f"landing-scale{scale}{suffix}"
    (zone / NEW_DAY_FILE).unlink(missing_ok=True)   # the new day of an earlier run
    for probe in zone.glob(LATENCY_PROBES):         # and the latency probes
        probe.unlink()
    env = {**os.environ, "UMKM_LANDING_DIR": str(zone)}
    command = [str(BIN / "umkm"), "demo", "--scale", str(scale), "--seed", str(seed)]
    if kind == "csv":
        command.append("--shopee-csv")
    log = root / f"demo-scale{scale}{suffix}.log"
    measured = run_measured(command, env=env, cwd=root, log=log)
    if measured.returncode != 0:
        raise SystemExit(f"umkm demo --scale {scale} ({kind}) failed; see {log}")
    return zone, measured


def run_references(root: Path, work: Path, zone: Path, kind: str, skip_pandas: bool) -> dict:
    """Both reference scripts on a zone, their marts compared with the pipeline's serving copy."""
    results = {}
    for name, script in REFERENCES:
        if name == "pandas" and skip_pandas:
            continue
        out = fresh(root / f"reference-{name}-{kind}")
        measured = run_measured([sys.executable, str(ROOT / "benchmarks" / script), str(zone), SALT, str(out)],
                                cwd=root, log=root / f"reference-{name}-{kind}.log")
        entry = {**vars(measured), "marts_equal": marts_equal(serving_db(work), out)}
        report = out / f"{script.removesuffix('.py')}.json"
        if report.exists():      # the script's own phases (listing, xlsx, CSV checks, SQL ...)
            entry["phases"] = {k: v for k, v in json.loads(report.read_text()).items()
                               if k.endswith(("_seconds", "_files")) and k != "seconds"}
        results[name] = entry
        print(f"  {name} script: {measured.seconds:.1f}s (cpu {measured.cpu_seconds:.1f}s), "
              f"peak {measured.peak_rss_bytes / GIB:.2f} GiB, exit {measured.returncode}, "
              f"marts equal to the pipeline's: {all(entry['marts_equal'].values())}")
        if "phases" in entry:
            print(f"    phases: {entry['phases']}")
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) * 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem / GIB:.0f} GiB RAM, Python {platform.python_version()}, " \
           f"DuckDB {duckdb.__version__}, {platform.system()} {platform.release()}"


def load_average() -> str:
    """The 1/5/15-minute load: above the core count, other work shared the machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- drop-to-serving latency (`make ui`)

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_runs(dagster_home: str, timeout: float = 120) -> None:
    """Let the run in flight finish before `dagster dev` stops: the probe returns as soon as the
    serving copy is fresh, while the run still records its last check; stopped then, it would fail
    and mark every asset it planned as failed in the UI."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(dagster_home)
    busy = dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])
    deadline = time.monotonic() + timeout
    while instance.get_runs_count(busy) and time.monotonic() < deadline:
        time.sleep(0.5)


def ui_latency(work: Path, zone: Path, *, settle_seconds: float = 5, timeout: float = 600,
               ready_timeout: float = 300) -> dict:
    """Drop-to-serving latency under `make ui`: `dagster dev` (webserver + daemon with the
    project's sensors, as `make ui` starts it) on a warehouse that already holds the zone, then
    scripts/measure_latency.py, which lands one more GoBiz report and polls the serving copy until
    its transactions are in `fct_orders`. The settle time is the production default (5 s), so the
    number is what an operator sees. The probe file is removed afterwards (the zone is reused).

    A hook, kept apart from the batch benchmark: `dagster dev` needs a free port and takes a minute
    to start, and the number measures the daemon's tick intervals as much as the pipeline."""
    env = {**pipeline_env(work, zone), "UMKM_SETTLE_SECONDS": str(settle_seconds)}
    port = free_port()
    log_path = work / "dagster-dev.log"
    result: dict = {"settle_seconds": settle_seconds, "port": port}
    with open(log_path, "w") as log:
        dev = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(port)],
                               env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < ready_timeout:   # the sensor daemon has ticked once
            if dev.poll() is not None:
                raise SystemExit(f"`dagster dev` exited ({dev.returncode}); see {log_path}")
            if re.search(r"SensorDaemon.*(Checking for new runs|No run requests|Skipping)", log_path.read_text(
                    errors="replace")):
                break
            time.sleep(1)
        else:
            raise SystemExit(f"`dagster dev` not ready after {ready_timeout:.0f}s; see {log_path}")
        result["ui_ready_seconds"] = round(time.perf_counter() - started, 1)
        # Drops one after the other: the first right after the start, while the landing sensor (its
        # cursor new, as on a fresh instance) still goes through the zone's files once; then three
        # once it has, the latency of every day after. Where a drop falls in the sensor's 5 s loop
        # moves it by up to 5 s: the figure is the median of the three.
        for name in ("after_start", *STEADY_DROPS):
            probe = subprocess.run([sys.executable, str(ROOT / "scripts" / "measure_latency.py"), "--timeout",
                                    str(timeout)], env=env, cwd=ROOT, capture_output=True, text=True,
                                   timeout=timeout + 60)
            found = re.search(r"fresh marts after ([0-9.]+)s", probe.stdout)
            result[name] = {"output": (probe.stdout + probe.stderr).strip()[-2000:],
                            "seconds": float(found[1]) if found else None, "returncode": probe.returncode}
        steady = [result[name]["seconds"] for name in STEADY_DROPS]
        result["steady_seconds"] = steady
        result["seconds"] = statistics.median(steady) if None not in steady else None
        wait_for_runs(env["DAGSTER_HOME"])
    finally:
        os.killpg(dev.pid, signal.SIGINT)          # dagster dev stops its webserver and daemon on ^C
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
        for probe_file in zone.glob(LATENCY_PROBES):
            probe_file.unlink()
    return result


# ---------------------------------------------------------------- the benchmark

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)),
                        help="demo scales for the history sizes; the largest one is the benchmark zone "
                             "(quick try: --scales 2,4)")
    parser.add_argument("--zones", default=",".join(ZONES),
                        help="zone kinds compared with the reference scripts, of xlsx,csv (default both)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("/tmp/umkm-bench"), help="where zones and warehouses go")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the (slow) pandas script")
    parser.add_argument("--skip-references", action="store_true", help="leave out both reference scripts")
    parser.add_argument("--skip-new-day", action="store_true",
                        help="leave out the new day and the run with nothing new")
    parser.add_argument("--new-day-scale", type=int, default=None,
                        help="the scale whose new day lands on every history (default: the largest scale, "
                             "so every history gets the same file)")
    parser.add_argument("--latency", action="store_true",
                        help="also measure drop-to-serving latency under `make ui` (dagster dev) on the "
                             "largest xlsx warehouse")
    parser.add_argument("--latency-timeout", type=float, default=600)
    args = parser.parse_args(argv)
    scales = sorted({int(s) for s in args.scales.split(",")})
    zones = [z.strip() for z in args.zones.split(",") if z.strip()]
    if not scales or any(z not in ZONES for z in zones):
        parser.error(f"--zones takes {','.join(ZONES)}; --scales at least one scale")
    largest = scales[-1]
    new_day_scale = args.new_day_scale or largest
    root = args.work.resolve()
    root.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "started": datetime.now(timezone.utc).isoformat(), "scales": {},
               "zones": {}, "load_average_start": load_average()}
    print(f"machine: {results['machine']}; load average {results['load_average_start']}")

    def save():
        (root / "results.json").write_text(json.dumps(results, indent=2, default=str))

    # 1. + 2. on today's (xlsx) zones: every scale a history, the largest also the reference comparison
    for scale in scales:
        zone, generated = demo_zone(root, scale, args.seed)
        work = fresh(root / f"run-scale{scale}")
        env = pipeline_env(work, zone)
        files = zone_files(zone)
        print(f"\nscale {scale} (xlsx zone): {zone} ({files['bytes'] / GIB:.2f} GiB, {files['files']:,} files "
              f"{files['by_type']}, demo {generated.seconds:.1f}s)")
        full = umkm(["run"], env, work, "full-run.log")
        counts = warehouse_counts(work)
        print(f"  full umkm run: {full.seconds:.1f}s (cpu {full.cpu_seconds:.1f}s), peak "
              f"{full.peak_rss_bytes / GIB:.2f} GiB, {counts['orders']:,} orders, {counts['rows_read']:,} rows in "
              f"{counts['files_loaded']:,} files")
        entry = {"demo_seconds": generated.seconds, "zone": files, "zone_bytes": files["bytes"], **counts,
                 "full_run": vars(full)}
        if scale == largest and "xlsx" in zones and not args.skip_references:
            entry.update(run_references(root, work, zone, "xlsx", args.skip_pandas))
            results["zones"]["xlsx"] = {"scale": scale, **{k: entry[k] for k in ("zone", "orders", "full_run")},
                                        **{name: entry[name] for name, _ in REFERENCES if name in entry}}
        results["scales"][scale] = entry
        save()
        if args.skip_new_day:
            continue
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
        # (process and Dagster start-up, GX import, dbt start-up and its nodes, events).
        # After the new day, so its page cache is warm: the day's own share is, if anything, overstated.
        idle = umkm(["run"], env, work, "no-change-run.log")
        entry["no_change_run"] = vars(idle)
        print(f"  the same run with nothing new: {idle.seconds:.1f}s; the new day's own work: "
              f"{day.seconds - idle.seconds:.1f}s")
        save()

    # 1. on the CSV-only zone of the largest scale: the same orders, Shopee in the csv layout
    if "csv" in zones and not args.skip_references:
        zone, generated = demo_zone(root, largest, args.seed, "csv")
        work = fresh(root / f"run-scale{largest}-csv")
        files = zone_files(zone)
        print(f"\nscale {largest} (csv zone): {zone} ({files['bytes'] / GIB:.2f} GiB, {files['files']:,} files "
              f"{files['by_type']}, demo {generated.seconds:.1f}s)")
        full = umkm(["run"], pipeline_env(work, zone), work, "full-run.log")
        counts = warehouse_counts(work)
        print(f"  full umkm run: {full.seconds:.1f}s (cpu {full.cpu_seconds:.1f}s), peak "
              f"{full.peak_rss_bytes / GIB:.2f} GiB, {counts['orders']:,} orders")
        results["zones"]["csv"] = {"scale": largest, "zone": files, "orders": counts["orders"], "full_run": vars(full),
                                   "demo_seconds": generated.seconds,
                                   **run_references(root, work, zone, "csv", args.skip_pandas)}
        save()

    # 3. the `make ui` hook, on the largest xlsx warehouse (it already holds the zone)
    if args.latency:
        work = root / f"run-scale{largest}"
        print(f"\ndrop-to-serving latency under `make ui` (dagster dev) on {work}")
        results["ui_latency"] = ui_latency(work, root / f"landing-scale{largest}", timeout=args.latency_timeout)
        for name in ("after_start", *STEADY_DROPS):
            print(f"  {name}: {results['ui_latency'][name]['output']}")
        save()

    results["load_average_end"] = load_average()
    save()
    print_table(results, scales)
    print(f"\nresults: {root / 'results.json'}")
    return 0


def print_table(results: dict, scales: list[int]) -> None:
    largest = results["scales"][scales[-1]]
    full = largest["full_run"]["seconds"]
    print(f"\n## Benchmark ({results['machine']}; load average {results['load_average_start']} at the start, "
          f"{results.get('load_average_end', '?')} at the end)\n")
    print("| what | orders | seconds | CPU s | orders/s | peak RSS | compared |")
    print("|---|---:|---:|---:|---:|---:|---|")

    def row(what, orders, measured, note):
        seconds = measured["seconds"]
        rate = f"{orders / seconds:,.0f}" if orders else ""
        peak = measured["peak_rss_bytes"] / GIB
        cpu = measured.get("cpu_seconds", 0.0)
        print(f"| {what} | {orders:,} | {seconds:.1f} | {cpu:.1f} | {rate} | {peak:.2f} GiB | {note} |")

    for kind, zone in results["zones"].items():
        build = zone["full_run"]["seconds"]
        types = ", ".join(f"{n:,} {t}" for t, n in zone["zone"]["by_type"].items())
        row(f"full `umkm run`, {kind} zone ({types})", zone["orders"], zone["full_run"], "1.00x")
        if "duckdb" in zone:
            theirs = zone["duckdb"]["seconds"]
            equal = "equal" if all(zone["duckdb"]["marts_equal"].values()) else "MARTS DIFFER"
            row(f"DuckDB script, {kind} zone", zone["orders"], zone["duckdb"],
                f"full build = **{build / theirs:.2f}x** this; marts {equal}")
        if "pandas" in zone:
            theirs = zone["pandas"]["seconds"]
            equal = "equal" if all(zone["pandas"]["marts_equal"].values()) else "MARTS DIFFER"
            versus = f"; {theirs / zone['duckdb']['seconds']:.1f}x the DuckDB script" if "duckdb" in zone else ""
            faster = (f"full build **{theirs / build:.2f}x faster**" if theirs >= build
                      else f"full build {build / theirs:.2f}x slower")
            row(f"pandas script, {kind} zone", zone["orders"], zone["pandas"], f"{faster}{versus}; marts {equal}")
    if not results["zones"]:
        row("full `umkm run`", largest["orders"], largest["full_run"], "1.00x")
    for scale in scales:
        entry = results["scales"][scale]
        if "new_day" in entry:
            row(f"new day on {entry['orders']:,} orders", entry["new_day"]["orders_added"], entry["new_day"],
                f"{entry['new_day']['seconds'] / full:.1%} of the largest full build")
        if "no_change_run" in entry:
            idle = entry["no_change_run"]
            own = entry["new_day"]["seconds"] - idle["seconds"]
            row(f"the same run with nothing new, {entry['orders']:,} orders", 0, idle,
                f"{idle['seconds'] / full:.1%}; the day's own work {own:.1f} s = {own / full:.1%}")
    for scale in scales[:-1]:
        entry = results["scales"][scale]
        row(f"full `umkm run`, scale {scale}", entry["orders"], entry["full_run"],
            f"{entry['full_run']['seconds'] / full:.2f}x")
    if "ui_latency" in results:
        latency = results["ui_latency"]
        print(f"\ndrop-to-serving latency under `make ui`: {latency.get('seconds')} s once the landing sensor "
              f"has gone through the zone (median of {latency.get('steady_seconds')}), "
              f"{latency['after_start']['seconds']} s for a file dropped right after the start "
              f"(settle {latency['settle_seconds']} s; dagster dev ready after {latency.get('ui_ready_seconds')} s)")


if __name__ == "__main__":
    raise SystemExit(main())
