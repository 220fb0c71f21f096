"""Publish the marts for BI tools: `marts.duckdb` and one Parquet file per mart.

BI tools never open the warehouse (DuckDB allows one writer or many readers, never both
across processes). Every file is written under a temporary name and renamed into place, so
a reader sees either the previous complete version or the new one, never half of one.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

# Readable by DuckDB 1.4 and later: BI drivers often bundle an older DuckDB than ours.
SERVING_STORAGE_VERSION = "v1.4.0"
SERVING_DB = "marts.duckdb"


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_name from information_schema.tables where table_catalog = 'warehouse' "
                       "and table_schema = 'marts' and table_type = 'BASE TABLE' order by table_name").fetchall()
    return [name for (name,) in rows]


def publish_marts(warehouse_path: Path, serving_dir: Path) -> dict[str, int]:
    """Copy every table of schema `marts` to the serving dir; returns row counts per mart."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp_db = serving_dir / f".{SERVING_DB}.{token}.tmp"
    con = duckdb.connect()  # in memory: the warehouse is attached read-only, the copy writable
    try:
        con.execute(f"attach '{warehouse_path}' as warehouse (read_only)")
        con.execute(f"attach '{tmp_db}' as serving (storage_version '{SERVING_STORAGE_VERSION}')")
        tables = mart_tables(con)
        if not tables:
            raise RuntimeError("the warehouse has no marts to publish; run the dbt models first")
        counts, parquet_tmp = {}, {}
        for table in tables:
            con.execute(f"create table serving.main.{table} as select * from warehouse.marts.{table}")
            counts[table] = con.execute(f"select count(*) from serving.main.{table}").fetchone()[0]
            parquet_tmp[table] = serving_dir / f".{table}.parquet.{token}.tmp"
            con.execute(f"copy serving.main.{table} to '{parquet_tmp[table]}' (format parquet)")
        con.execute("detach serving")
    except BaseException:
        con.close()
        for leftover in serving_dir.glob(f".*{token}.tmp*"):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp_db, serving_dir / SERVING_DB)
    for table, tmp in parquet_tmp.items():
        os.replace(tmp, serving_dir / f"{table}.parquet")
    return counts
