"""Where a history load's time goes (issue 12): the loader's own phases, and the parse cost per source.

    .venv/bin/python benchmarks/load_phases.py --landing /tmp/umkm-bench/landing-scale425-csv
    .venv/bin/python benchmarks/load_phases.py --landing DIR --parse-only    # just the parse cost per source

1. `ingest.raw_load.load_new_files` on every file of `--landing` into a fresh warehouse, timing
   the phases of the loading process (parsing is on the worker processes). Its main thread reads
   the files, waits for the parse workers, adds the lineage columns (`_incoming_rows`) and waits
   for the writer; the writer's thread (`ingest.raw_writer`) inserts and commits at the same time.
   What is left of the wall time is the final checkpoint and the loop itself.
2. Each file parsed again in this one process, one after the other (no workers, no limits): the
   CPU seconds per source, with rows per second. With two parse workers on two cores, half of
   their sum is the least the parse can take.
The phases are timed by wrapping the loader's functions from outside: a measurement, not a
second loader.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ingest.isolation as isolation  # noqa: E402
import ingest.raw_load as raw_load  # noqa: E402
import ingest.raw_writer as raw_writer  # noqa: E402
from ingest.landing import scan_landing  # noqa: E402
from ingest.readers import QuarantineError  # noqa: E402

SALT = "load-phases-salt"


def timed(seconds: dict, name: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - started
    return wrapper


def load_phases(landing: Path, warehouse: Path) -> dict:
    seconds: dict[str, float] = defaultdict(float)
    raw_writer.write_plans = timed(seconds, "write_plans (inserts)", raw_writer.write_plans)   # the writer's thread
    raw_writer._insert_rows = timed(seconds, "  of which inserts", raw_writer._insert_rows)
    raw_writer.Writer._commit = timed(seconds, "  commits", raw_writer.Writer._commit)
    raw_writer.Writer._wait = timed(seconds, "waiting for the writer", raw_writer.Writer._wait)
    raw_load._incoming_rows = timed(seconds, "lineage columns", raw_load._incoming_rows)
    isolation.Parsing.result = timed(seconds, "waiting for the parse workers", isolation.Parsing.result)
    batches = raw_load._batches

    def timed_batches(*args, **kwargs):
        files = batches(*args, **kwargs)
        while True:
            started = time.perf_counter()
            batch = next(files, None)
            seconds["reading the files"] += time.perf_counter() - started
            if batch is None:
                return
            yield batch

    raw_load._batches = timed_batches
    started = time.perf_counter()
    outcomes = raw_load.load_new_files(warehouse, landing, SALT)
    wall = time.perf_counter() - started
    rows = sum(outcome.rows_read for outcome in outcomes)
    return {"files": len(outcomes), "rows": rows, "seconds": wall, "phases": dict(seconds)}


def parse_costs(landing: Path) -> dict:
    seconds, rows, files = defaultdict(float), defaultdict(int), defaultdict(int)
    for landing_file in scan_landing(landing):
        data = landing_file.absolute(landing).read_bytes()
        started = time.perf_counter()
        try:
            rows[landing_file.source] += isolation.parse_landing_file(landing_file.source, data,
                                                                      landing_file.path).rows_read
        except QuarantineError:
            pass
        seconds[landing_file.source] += time.perf_counter() - started
        files[landing_file.source] += 1
    return {source: {"files": files[source], "rows": rows[source], "seconds": seconds[source]} for source in seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--parse-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.parse_only:
        with tempfile.TemporaryDirectory(prefix="load-phases-") as work:
            result = load_phases(args.landing, Path(work) / "warehouse.duckdb")
            shutil.rmtree(work, ignore_errors=True)
        print(f"load: {result['files']:,} files, {result['rows']:,} rows in {result['seconds']:.1f} s "
              f"({result['rows'] / result['seconds']:,.0f} rows/s)")
        phases = result["phases"]
        for name in ("reading the files", "waiting for the parse workers", "lineage columns",
                     "waiting for the writer", "writer thread:", "write_plans (inserts)", "  of which inserts",
                     "  commits"):
            print(f"  {name}" if name.endswith(":") else f"  {name:<36} {phases.get(name, 0.0):6.1f} s")
    costs = parse_costs(args.landing)
    print("parse in one process:")
    for source, cost in sorted(costs.items(), key=lambda item: -item[1]["seconds"]):
        per_file = 1000 * cost["seconds"] / max(cost["files"], 1)
        print(f"  {source:<14} {cost['files']:6,} files {cost['rows']:11,} rows {cost['seconds']:6.1f} s "
              f"({cost['rows'] / max(cost['seconds'], 1e-9):,.0f} rows/s, {per_file:.1f} ms a file)")
    print(f"  {'all':<14} {sum(c['seconds'] for c in costs.values()):6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
