"""The serving copy's files in place: pointers, hard links, atomic renames, old versions pruned.

Every file of a publication is written under a temporary name, flushed and renamed into place
(`orchestration.serving`); these helpers put the published version's files where readers look
and clean up after versions and killed publications.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

CURRENT = "current.json"
VERSIONS_DIR = "parquet"
SERVING_DB = "marts.duckdb"
FCT = "fct_orders"             # the one mart that grows with the orders: published by month
KEEP_VERSIONS = 3              # the newest publications kept ...
KEEP_SECONDS = 15 * 60         # ... and any younger than this
STALE_TMP_SECONDS = 60 * 60    # temporary files of a publication that was killed


def current_version(serving_dir: Path) -> dict:
    """What `current.json` says: the version and the Parquet files of each mart (paths relative)."""
    return json.loads((serving_dir / CURRENT).read_text())


def current_version_name(serving_dir: Path) -> str | None:
    try:
        return current_version(serving_dir).get("version")
    except (OSError, ValueError):
        return None


def replace_with_link(source: Path, target: Path, token: str) -> None:
    """`target` becomes `source`'s bytes, atomically. A target that already is that file (a kept
    mart, an unchanged month) stays: a rename onto the same file does nothing, and would leave the
    temporary name behind, holding the bytes after their version is pruned."""
    try:
        if _same_file(target.stat(), source.stat()):
            return
    except OSError:
        pass
    tmp = target.with_name(f".{target.name}.{token}.tmp")
    try:
        os.link(source, tmp)          # the same immutable bytes, no second copy
    except OSError:
        shutil.copyfile(source, tmp)
        fsync(tmp)
    os.replace(tmp, target)


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def replace_month_links(published: Path, root: Path, token: str) -> None:
    """`serving/fct_orders/`: each month file replaced atomically when it changed, gone months removed."""
    root.mkdir(exist_ok=True)
    legacy = root.with_name(f"{FCT}.parquet")   # the single file of earlier publications
    legacy.unlink(missing_ok=True)
    months = {p.name for p in published.glob("*.parquet")}
    for name in sorted(months):
        replace_with_link(published / name, root / name, token)   # an unchanged month stays as it is
    for stale in root.glob("*.parquet"):
        if stale.name not in months:
            stale.unlink(missing_ok=True)
    fsync(root)


def write_current(serving_dir: Path, version: str, tables: list[str], published: Path, token: str) -> None:
    prefix = f"{VERSIONS_DIR}/{version}"
    parquet = {table: f"{prefix}/{table}.parquet" for table in tables if table != FCT}
    pointer = {"version": version, "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "marts_duckdb": SERVING_DB, "parquet": parquet}
    if FCT in tables:
        parquet[FCT] = f"{prefix}/{FCT}/*.parquet"     # a glob: DuckDB, Spark, Polars read it as one table
        pointer["fct_orders_files"] = [f"{prefix}/{FCT}/{p.name}" for p in sorted((published / FCT).glob("*.parquet"))]
    tmp = serving_dir / f".{CURRENT}.{token}.tmp"
    tmp.write_text(json.dumps(pointer, indent=2) + "\n")
    fsync(tmp)
    os.replace(tmp, serving_dir / CURRENT)


def prune_versions(versions: Path, keep: str) -> None:
    """Old publications go, except the newest few and any published recently."""
    published = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: p.name, reverse=True)
    now = time.time()
    for path in published[KEEP_VERSIONS:]:
        if path.name != keep and now - path.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def remove_stale_leftovers(serving_dir: Path) -> None:
    """Temporary files of a publication that was killed half-way (younger ones may be in use)."""
    now = time.time()
    for path in [*serving_dir.glob(".*.tmp"), *serving_dir.glob(".*.tmp.wal"), *(serving_dir / FCT).glob(".*.tmp"),
                 *(serving_dir / VERSIONS_DIR).glob(".*.tmp")]:
        try:
            if now - path.lstat().st_mtime > STALE_TMP_SECONDS:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            pass


def fsync(path: Path) -> None:
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
