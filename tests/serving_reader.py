"""A BI tool reading the serving copy in a loop (run as a script by tests/test_concurrency_crash_replay.py).

Each loop: a fresh read-only connection to marts.duckdb (all marts, plus a consistency check
between two marts of the same read), each `<mart>.parquet` (fct_orders: each file of
`fct_orders/`) read in one open (as Power BI or Excel read a file), and the Parquet version
`current.json` names read with DuckDB. In `held`
mode, one connection to marts.duckdb stays open the whole time instead. Every state seen is written out as
signatures (row count and a hash of all rows) for the test to compare with the versions
that were published.

    python tests/serving_reader.py <serving dir> <out.json> <stop file> <mart,mart,...> loop|held
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def signature(con, relation: str) -> list:
    count, digest = con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {relation} t").fetchone()
    return [count, str(digest)]


def duckdb_state(con, tables: list[str]) -> dict:
    return {t: signature(con, f'"{t}"') for t in tables}


def parquet_state(serving: str, table: str) -> list:
    """The mart's root Parquet file, or each file of its folder (fct_orders by month), each read
    in one open, the whole file in memory: what a single-open reader sees."""
    single = os.path.join(serving, f"{table}.parquet")
    paths = [single] if os.path.exists(single) else sorted(glob.glob(os.path.join(serving, table, "*.parquet")))
    tables = []
    for path in paths:
        with open(path, "rb") as handle:
            tables.append(pq.read_table(pa.BufferReader(handle.read())))
    arrow_table = pa.concat_tables(tables)
    con = duckdb.connect()
    try:
        con.register("arrow_table", arrow_table)
        return signature(con, "arrow_table")
    finally:
        con.close()


def versioned_parquet_state(serving: str, tables: list[str]) -> dict:
    """The marts of the version current.json names, read with DuckDB's multi-open reader."""
    with open(os.path.join(serving, "current.json")) as handle:
        current = json.load(handle)
    con = duckdb.connect()
    try:
        return {t: signature(con, f"read_parquet('{os.path.join(serving, current['parquet'][t])}')") for t in tables}
    finally:
        con.close()


def main(serving: str, out: str, stop: str, tables: list[str], mode: str) -> None:
    """mode `loop`: fresh connections and files each loop; `held`: one connection open throughout.

    (Two processes: DuckDB shares one database instance per file within a process, so a held
    connection would make the fresh ones of the same process see its version.)
    """
    db = os.path.join(serving, "marts.duckdb")
    held = duckdb.connect(db, read_only=True) if mode == "held" else None
    seen, errors, iterations, started = [], [], 0, time.time()
    while not os.path.exists(stop) and time.time() - started < 900:
        iterations += 1
        try:
            if held is not None:
                seen.append({"kind": "held", "state": duckdb_state(held, tables)})
                time.sleep(0.05)
            else:
                read_once(serving, db, tables, seen, errors)
                time.sleep(0.1)   # a dashboard refreshing, not a benchmark: leave the CPU to the build
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        with open(out + ".progress", "w") as handle:   # loops done, for the test to wait on
            handle.write(str(iterations))
    if held is not None:
        held.close()
    with open(out, "w") as handle:
        json.dump({"seen": seen, "errors": errors, "iterations": iterations}, handle)


def read_once(serving: str, db: str, tables: list[str], seen: list, errors: list) -> None:
    con = duckdb.connect(db, read_only=True)
    try:
        state = duckdb_state(con, tables)
        monthly, summary = (con.execute(f"select coalesce(sum(turnover_idr), 0), coalesce(sum(n_orders), 0) "
                                        f"from {t}").fetchone()
                            for t in ("mart_turnover_monthly", "mart_program_summary"))
    finally:
        con.close()
    if monthly != summary:
        errors.append(f"inconsistent read: turnover monthly {monthly} != program summary {summary}")
    seen.append({"kind": "duckdb", "state": state})
    for t in tables:
        seen.append({"kind": "parquet", "table": t, "state": parquet_state(serving, t)})
    seen.append({"kind": "versioned", "state": versioned_parquet_state(serving, tables)})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5])
