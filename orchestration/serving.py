"""Publish the marts for BI tools: `marts.duckdb` and Parquet files.

BI tools never open the warehouse (DuckDB allows one writer or many readers, never both
across processes). Every file is written under a temporary name, flushed to disk and renamed
into place, so a reader sees either the previous complete version or the new one:

    serving/
      marts.duckdb                  all marts, one file: a connection sees one whole version
      <mart>.parquet                each mart, replaced file by file
      current.json                  {"version": ..., "parquet": {mart: "parquet/<version>/<mart>.parquet"}}
      parquet/<version>/<mart>.parquet   one publication's files, never changed once written

Parquet readers that open a file more than once per query (DuckDB's `read_parquet`, pyarrow
datasets) can straddle a rename of `<mart>.parquet` and fail; reading the files `current.json`
names does not, and gives every mart of one version. The newest versions are kept a while,
so a query that read `current.json` just before a publication still finds its files.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

# Readable by DuckDB 1.4 and later: BI drivers often bundle an older DuckDB than ours.
SERVING_STORAGE_VERSION = "v1.4.0"
SERVING_DB = "marts.duckdb"
CURRENT = "current.json"
VERSIONS_DIR = "parquet"
KEEP_VERSIONS = 3              # the newest publications kept ...
KEEP_SECONDS = 15 * 60         # ... and any younger than this
STALE_TMP_SECONDS = 60 * 60    # temporary files of a publication that was killed


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_name from information_schema.tables where table_catalog = 'warehouse' "
                       "and table_schema = 'marts' and table_type = 'BASE TABLE' order by table_name").fetchall()
    return [name for (name,) in rows]


def publish_marts(warehouse_path: Path, serving_dir: Path) -> dict[str, int]:
    """Copy every table of schema `marts` to the serving dir; returns row counts per mart."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    versions = serving_dir / VERSIONS_DIR
    versions.mkdir(exist_ok=True)
    _remove_stale_leftovers(serving_dir)
    token = uuid.uuid4().hex[:8]
    version = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{token}"
    tmp_db = serving_dir / f".{SERVING_DB}.{token}.tmp"
    tmp_version = versions / f".{version}.tmp"
    tmp_version.mkdir()
    con = duckdb.connect()  # in memory: the warehouse is attached read-only, the copy writable
    try:
        con.execute(f"attach '{warehouse_path}' as warehouse (read_only)")
        con.execute(f"attach '{tmp_db}' as serving (storage_version '{SERVING_STORAGE_VERSION}')")
        tables = mart_tables(con)
        if not tables:
            raise RuntimeError("the warehouse has no marts to publish; run the dbt models first")
        counts = {}
        for table in tables:
            con.execute(f"create table serving.main.{table} as select * from warehouse.marts.{table}")
            counts[table] = con.execute(f"select count(*) from serving.main.{table}").fetchone()[0]
            con.execute(f"copy serving.main.{table} to '{tmp_version / f'{table}.parquet'}' (format parquet)")
        con.execute("detach serving")
        con.close()
        for path in [tmp_db, *tmp_version.iterdir()]:
            _fsync(path)
        os.replace(tmp_version, versions / version)        # the new version, complete, under its own name
        _fsync(versions)
        os.replace(tmp_db, serving_dir / SERVING_DB)
        for table in tables:
            _replace_with_link(versions / version / f"{table}.parquet", serving_dir / f"{table}.parquet", token)
        _write_current(serving_dir, version, tables, token)
        _fsync(serving_dir)
    except BaseException:
        con.close()
        for leftover in serving_dir.glob(f".*{token}.tmp*"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(tmp_version, ignore_errors=True)
        raise
    _prune_versions(versions, keep=version)
    return counts


def current_version(serving_dir: Path) -> dict:
    """What `current.json` says: the version and the Parquet file of each mart (paths relative)."""
    return json.loads((serving_dir / CURRENT).read_text())


def _replace_with_link(source: Path, target: Path, token: str) -> None:
    tmp = target.with_name(f".{target.name}.{token}.tmp")
    try:
        os.link(source, tmp)          # the same immutable bytes, no second copy
    except OSError:
        shutil.copyfile(source, tmp)
        _fsync(tmp)
    os.replace(tmp, target)


def _write_current(serving_dir: Path, version: str, tables: list[str], token: str) -> None:
    pointer = {"version": version, "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "marts_duckdb": SERVING_DB,
               "parquet": {table: f"{VERSIONS_DIR}/{version}/{table}.parquet" for table in tables}}
    tmp = serving_dir / f".{CURRENT}.{token}.tmp"
    tmp.write_text(json.dumps(pointer, indent=2) + "\n")
    _fsync(tmp)
    os.replace(tmp, serving_dir / CURRENT)


def _prune_versions(versions: Path, keep: str) -> None:
    """Old publications go, except the newest few and any published recently."""
    published = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: p.name, reverse=True)
    now = time.time()
    for path in published[KEEP_VERSIONS:]:
        if path.name != keep and now - path.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def _remove_stale_leftovers(serving_dir: Path) -> None:
    """Temporary files of a publication that was killed half-way (younger ones may be in use)."""
    now = time.time()
    for path in [*serving_dir.glob(".*.tmp"), *(serving_dir / VERSIONS_DIR).glob(".*.tmp")]:
        try:
            if now - path.lstat().st_mtime > STALE_TMP_SECONDS:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            pass


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a power cut cannot leave a renamed empty file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
