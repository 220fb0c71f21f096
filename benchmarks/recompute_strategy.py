"""The statements behind dbt's incremental strategies, timed on a built warehouse (issue 12).

    .venv/bin/python benchmarks/recompute_strategy.py /tmp/umkm-bench/run-scale425/warehouse.duckdb

Recomputes the GoBiz orders of one day in `intermediate.int_gofood_transactions_deduped` three
ways, each inside a transaction that is rolled back (the warehouse is left as it was):
- `merge` with the `not matched by source` delete (what the models used before: dbt-duckdb's
  `merge` strategy with merge_clauses), which joins the whole target;
- `merge` without that delete (it would keep orders a corrected report dropped);
- delete the recomputed keys, then insert (the `recompute` strategy,
  dbt_project/macros/incremental_recompute.sql).
"""

import argparse
import time

import duckdb

TARGET = "intermediate.int_gofood_transactions_deduped"
STATEMENTS = {
    "merge, delete by source": f"""
        merge into {TARGET} as d using src as s on (s.order_id = d.order_id)
        when matched then update set * when not matched then insert by name
        when not matched by source and d.order_id in (select order_id from src) then delete""",
    "merge, no delete": f"""
        merge into {TARGET} as d using src as s on (s.order_id = d.order_id)
        when matched then update set * when not matched then insert by name""",
    "delete, then insert (recompute)": f"""
        delete from {TARGET} as d where d.order_id in (select order_id from src);
        insert into {TARGET} by name select * from src""",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("--day", default="2022-01-01", help="the order date whose orders are recomputed")
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse)
    con.execute(f"create temp table src as select * from {TARGET} where order_date = ?", [args.day])
    rows = con.execute("select count(*) from src").fetchone()[0]
    total = con.execute(f"select count(*) from {TARGET}").fetchone()[0]
    print(f"{rows:,} orders of {args.day} recomputed into {total:,}")
    for name, sql in STATEMENTS.items():
        con.begin()
        started = time.perf_counter()
        con.execute(sql)
        print(f"  {name}: {time.perf_counter() - started:.2f} s")
        con.rollback()


if __name__ == "__main__":
    main()
