"""Load speed against DuckDB (issue 12): the loader on a GoBiz-only zone, and DuckDB reading the same files.

    .venv/bin/python benchmarks/load_speed.py                      # demo zone of scale 20 in a temp dir
    .venv/bin/python benchmarks/load_speed.py --scale 40 --repeat 3
    .venv/bin/python benchmarks/load_speed.py --landing DIR         # an existing zone (its gofood/ files)

In one process run, on the same files (read once beforehand, so both find them in the page cache):
  (a) `ingest.raw_load.load_files` on just the gofood/ files into a fresh temp warehouse;
  (b) `create table t as select * from read_csv('<dir>/gofood/<pattern>', all_varchar=true)` into a
      fresh DuckDB file.
The files are those of `--pattern` (default: the transaction reports, `gobiz_jateng_transactions_*.csv`).
`gofood/*.csv` would take in the demo's payout export too, a file of another layout (`Gross Amount`)
that the loader quarantines and on which that one DuckDB query fails ("Schema mismatch between
globbed files"; `union_by_name=true` reads it but sniffs every file, ten times slower), so
both sides leave it out.
Prints rows/s of each and the ratio (a)/(b) (1.0 = the loader is as fast as DuckDB reading the
files as text). With --repeat N each is timed N times, alternating, and the best time is kept.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.raw_load import load_files  # noqa: E402

SALT = "load-speed-salt"


def make_zone(work: Path, scale: float, seed: int | None) -> Path:
    """`umkm demo --scale N` into work/landing (the generator is called as a command, not imported)."""
    landing = work / "landing"
    command = [str(Path(sys.executable).parent / "umkm"), "demo", "--scale", str(scale)]
    if seed is not None:
        command += ["--seed", str(seed)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "UMKM_LANDING_DIR": str(landing)})
    return landing


def time_loader(landing: Path, paths: list[str], work: Path, attempt: int) -> tuple[float, int, int, int]:
    warehouse = work / f"warehouse_{attempt}.duckdb"
    started = time.perf_counter()
    outcomes = load_files(warehouse, landing, paths, SALT)
    seconds = time.perf_counter() - started
    warehouse.unlink(missing_ok=True)
    Path(f"{warehouse}.wal").unlink(missing_ok=True)
    return (seconds, sum(o.rows_read for o in outcomes), sum(o.rows_loaded for o in outcomes),
            sum(o.rows_rejected for o in outcomes))


def time_duckdb(landing: Path, pattern: str, work: Path, attempt: int) -> tuple[float, int]:
    database = work / f"duckdb_{attempt}.duckdb"
    glob = str(landing / "gofood" / pattern).replace("'", "''")
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    con.execute("set enable_progress_bar = false")
    con.execute(f"create table t as select * from read_csv('{glob}', all_varchar=true)")
    con.close()
    seconds = time.perf_counter() - started
    con = duckdb.connect(str(database), read_only=True)
    rows = con.execute("select count(*) from t").fetchone()[0]
    con.close()
    database.unlink(missing_ok=True)
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--landing", type=Path, help="an existing landing zone (its gofood/ files are loaded)")
    parser.add_argument("--pattern", default="gobiz_jateng_transactions_*.csv",
                        help="which files of gofood/ both sides read (a glob)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="load_speed_") as temp:
        work = Path(temp)
        landing = args.landing.resolve() if args.landing else make_zone(work, args.scale, args.seed)
        paths = sorted(f"gofood/{p.name}" for p in (landing / "gofood").glob(args.pattern))
        size = sum((landing / p).stat().st_size for p in paths)
        for path in paths:   # both measurements find the files in the page cache
            (landing / path).read_bytes()
        print(f"{len(paths)} GoBiz files, {size / 1e6:.1f} MB, in {landing / 'gofood'}")
        loader, reference = [], []
        for attempt in range(args.repeat):
            loader.append(time_loader(landing, paths, work, attempt))
            reference.append(time_duckdb(landing, args.pattern, work, attempt))
        seconds, rows_read, rows_loaded, rows_rejected = min(loader)
        duck_seconds, duck_rows = min(reference)
        print(f"(a) load_files: {seconds:7.2f} s  {rows_read:>9,} rows read ({rows_loaded:,} loaded, "
              f"{rows_rejected:,} rejected)  {rows_read / seconds:>10,.0f} rows/s")
        print(f"(b) duckdb    : {duck_seconds:7.2f} s  {duck_rows:>9,} rows  "
              f"{duck_rows / duck_seconds:>31,.0f} rows/s")
        print(f"ratio (a)/(b) rows/s: {(rows_read / seconds) / (duck_rows / duck_seconds):.3f}"
              f"   (times: loader {seconds / duck_seconds:.2f}x DuckDB's)")


if __name__ == "__main__":
    main()
