"""Drop-to-fresh-marts latency with the real daemon: how long from a file landing to the marts.

    .venv/bin/python scripts/measure_latency.py [--timeout 300]

Run it while `make ui` (dagster dev) is running on the same project folder, after `make demo`.
It writes one new GoBiz report into the landing zone, then polls the serving copy until the
new transactions are in `fct_orders`, and prints the seconds that took. The file it drops
is a copy of the newest demo report with new transaction ids (amounts and merchants kept).
"""

import argparse
import csv
import io
import sys
import time
import uuid
from pathlib import Path

import duckdb

from ingest.settings import Settings


def new_report(landing: Path) -> tuple[Path, list[str]]:
    source = max((landing / "gofood").glob("gobiz_*.csv"), key=lambda p: p.stat().st_mtime)
    text = source.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r != rows[0]]
    column = header.index("Transaction ID")
    ids = []
    for row in body:
        row[column] = f"LATENCY-{uuid.uuid4()}"
        ids.append(row[column])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    target = landing / "gofood" / f"gobiz_latency_probe_{int(time.time())}.csv"
    tmp = target.with_suffix(".csv.part")           # written under a temp name, then renamed,
    tmp.write_bytes(out.getvalue().encode("utf-8"))  # as a careful uploader does
    tmp.rename(target)
    return target, ids


def served_file(serving: Path) -> tuple[int, int] | None:
    try:
        stat = (serving / "marts.duckdb").stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def marts_have(serving: Path, transaction_id: str) -> bool | None:
    """Whether the serving copy holds the transaction; None when it could not be read."""
    try:
        con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select count(*) from fct_orders where order_id = ?", [transaction_id]).fetchone()[0] > 0
    except duckdb.Error:
        return None
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    settings = Settings.from_env()
    dropped_at = time.time()
    path, ids = new_report(settings.landing_dir)
    print(f"dropped {path.name} ({len(ids)} transactions); settle time {settings.settle_seconds}s")
    looked_at = None
    while time.time() - dropped_at < args.timeout:
        # Query only a serving copy not yet looked at (each publication replaces the file): a query
        # every poll scans fct_orders, and took half a core from the run being measured.
        served = served_file(settings.serving_dir)
        if served != looked_at:
            found = marts_have(settings.serving_dir, ids[-1])
            if found:
                print(f"fresh marts after {time.time() - dropped_at:.1f}s (drop -> sensor -> one run: load, checks, "
                      f"dbt, publication -> serving copy)")
                return 0
            if found is not None:   # read and not there yet; one that could not be read is tried again
                looked_at = served
        time.sleep(0.25)   # the resolution of the figure
    print(f"not in the marts after {args.timeout:.0f}s")
    return 1


if __name__ == "__main__":
    sys.exit(main())
