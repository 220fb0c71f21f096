"""How long each chart of a running Superset takes to answer, without Superset's cache.

    .venv-bi/bin/python bi/chart_times.py [--url http://127.0.0.1:8088] [--repeat 3]

For every chart of every dashboard: the chart data API (`/api/v1/chart/<id>/data/?force=true`,
the query on the serving copy plus Superset's work) timed `--repeat` times, the median printed,
slowest first, and the SQL Superset ran, timed alone on the serving copy (DuckDB, read-only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import api, api_token  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serving", type=Path, help="marts.duckdb to time the SQL on (default: UMKM_SERVING_DIR's)")
    args = parser.parse_args()
    token = api_token(args.url, args.user, os.environ.get("UMKM_BI_ADMIN_PASSWORD") or "admin")
    serving = args.serving or Path(os.environ.get("UMKM_SERVING_DIR") or "data/serving") / "marts.duckdb"
    rows = []
    for dashboard in api(args.url, token, "/api/v1/dashboard/?q=(page_size:100)")["result"]:
        for chart in api(args.url, token, f"/api/v1/dashboard/{dashboard['id']}/charts")["result"]:
            seconds = []
            for _ in range(args.repeat):
                started = time.monotonic()
                answer = api(args.url, token, f"/api/v1/chart/{chart['id']}/data/?force=true")
                seconds.append(time.monotonic() - started)
            result = answer["result"][0]
            con = duckdb.connect(str(serving), read_only=True)
            try:
                started = time.monotonic()
                con.execute(result["query"]).fetchall()
                sql_seconds = time.monotonic() - started
            finally:
                con.close()
            rows.append((statistics.median(seconds), sql_seconds, result["rowcount"], dashboard["slug"],
                         chart["slice_name"]))
    rows.sort(reverse=True)
    print(f"{'API s':>7} {'SQL s':>7} {'rows':>6}  dashboard / chart")
    for api_s, sql_s, count, slug, name in rows:
        print(f"{api_s:7.2f} {sql_s:7.2f} {count:6d}  {slug} / {name}")
    print(json.dumps({"slowest_chart": rows[0][4], "api_seconds": round(rows[0][0], 2),
                      "sql_seconds": round(rows[0][1], 2)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
