"""PostgreSQL serving at province scale: the publication to PostgreSQL of a large fct_orders.

    .venv/bin/python benchmarks/postgres_serving.py                     # 2.5M and 10M orders
    .venv/bin/python benchmarks/postgres_serving.py --orders 1000000    # a quick try
    .venv/bin/python benchmarks/postgres_serving.py --url postgresql://user:pw@host/db   # an existing server

For each size: synthetic marts (fct_orders over 24 months of orders, plus small marts) in a fresh
warehouse, published to a DuckDB serving copy, then
  1. the first publication to PostgreSQL (every month copied),
  2. one new day of orders (a GoBiz report of the last day): the DuckDB serving copy's incremental
     publication, then PostgreSQL's (the month of that day copied, the others kept),
  3. a publication with nothing changed (every month kept; the small marts copied).
Without --url a throwaway server (tests/pg_server.py) runs with fsync on, as in production.
Time is wall time on this machine (2 cores, shared).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.postgres_serving import publish_to_postgres  # noqa: E402
from orchestration.serving import publish_marts  # noqa: E402

DAYS = 730


def make_warehouse(path: Path, orders: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(f"""
        create table marts.fct_orders as
        select case i % 3 when 0 then 'gofood' when 1 then 'shopee' else 'uvo' end as platform,
               'O' || i as order_id, 'M' || (i % 40000) as platform_merchant_id,
               md5('k' || (i % 40000))[:32] as umkm_key,
               case when i % 3 = 0 then 'GoFood' end as feature,
               date '2020-01-01' + (i % {DAYS})::int as order_date,
               timestamp '2020-01-01 03:00:00' + to_seconds(i % ({DAYS} * 86400)) as order_ts_utc,
               'settlement' as status_raw, i % 5 <> 0 as is_counted, 'ID' as buyer_country, 'IDR' as currency,
               (1000 + i * 37 % 900000)::decimal(18, 2) as amount_original,
               (1000 + i * 37 % 900000)::decimal(18, 2) as amount_idr,
               'gofood/gobiz_' || strftime(date '2020-01-01' + (i % {DAYS})::int, '%Y-%m-%d') || '.csv' as landing_path
        from range({orders}) t(i)""")
    con.execute("""create table marts.mart_turnover_monthly as
        select date_trunc('month', order_date)::date as month, platform as program_id, count(*) as n_orders,
               sum(amount_idr)::decimal(18, 2) as turnover_idr from marts.fct_orders group by all""")
    con.execute("""create table marts.mart_program_summary as
        select platform as program_id, count(*) as n_orders, sum(amount_idr)::decimal(18, 2) as turnover_idr
        from marts.fct_orders group by all""")
    con.close()


def new_day(path: Path, orders: int) -> str:
    """A GoBiz report of the last day: 1/DAYS of the orders again, as new orders."""
    landing = "gofood/gobiz_new_day.csv"
    con = duckdb.connect(str(path))
    con.execute(f"""insert into marts.fct_orders select * replace ('N' || order_id as order_id,
                    '{landing}' as landing_path) from marts.fct_orders
                    where order_date = date '2020-01-01' + {DAYS - 1} and order_id like 'O%'""")
    con.execute("""create or replace table marts.mart_program_summary as
        select platform as program_id, count(*) as n_orders, sum(amount_idr)::decimal(18, 2) as turnover_idr
        from marts.fct_orders group by all""")
    con.close()
    return landing


def timed(label: str, results: dict, fn):
    started = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - started, 2)
    print(f"  {label:<42} {results[label]:>7.2f} s", flush=True)
    return value


def bench(orders: int, url: str, work: Path) -> dict:
    results: dict = {"orders": orders}
    warehouse, serving = work / "warehouse.duckdb", work / "serving"
    print(f"{orders:,} orders", flush=True)
    timed("synthetic marts", results, lambda: make_warehouse(warehouse, orders))
    timed("DuckDB serving copy, full", results, lambda: publish_marts(warehouse, serving))
    first = timed("PostgreSQL, first publication", results, lambda: publish_to_postgres(serving, url))
    results["first_months_copied"] = len(first.months_copied)
    results["first_rows_per_second"] = round(first.rows_copied / first.seconds)
    landing = new_day(warehouse, orders)
    timed("DuckDB serving copy, one new day", results, lambda: publish_marts(warehouse, serving, [landing]))
    day = timed("PostgreSQL, one new day", results, lambda: publish_to_postgres(serving, url))
    results["day_months_copied"] = day.months_copied
    results["day_rows_copied"] = day.rows_copied
    same = timed("PostgreSQL, nothing changed", results, lambda: publish_to_postgres(serving, url))
    results["same_months_kept"] = same.months_kept
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", default="2500000,10000000", help="comma-separated fct_orders sizes")
    parser.add_argument("--url", help="a PostgreSQL to publish to (default: a throwaway server)")
    args = parser.parse_args()
    server = None
    if args.url is None:
        from tests.pg_server import start_server
        server = start_server(durable=True)
    url = args.url or server.url()
    all_results = []
    try:
        for orders in [int(n) for n in args.orders.split(",")]:
            with tempfile.TemporaryDirectory(prefix="umkm-pg-bench-") as work:
                all_results.append(bench(orders, url, Path(work)))
    finally:
        if server is not None:
            from tests.pg_server import remove
            remove(server)
    print(json.dumps(all_results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
