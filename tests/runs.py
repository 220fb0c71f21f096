"""Helpers for tests that run `umkm run` as operators do: a subprocess on temporary folders.

Each run gets its own landing zone, warehouse, serving copy and DAGSTER_HOME (with the
project's dagster.yaml), so nothing touches ./data or .dagster_home.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
UMKM = Path(sys.executable).parent / "umkm"
VOLATILE = {"mart_data_quality": ("loaded_at", "first_seen"),   # load timestamps differ run to run
            "mart_rejected_rows": ("loaded_at",)}
LEDGER_MARTS = ("mart_data_quality", "mart_rejected_rows")       # one row per landing file (and more)


def run_env(root: Path, salt: str = "reliability-test-salt", **extra: str) -> dict[str, str]:
    home = root / "dagster_home"
    if not home.exists():
        home.mkdir(parents=True)
        shutil.copy(PROJECT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("UMKM_")}
    env.update(UMKM_LANDING_DIR=str(root / "landing"), UMKM_WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
               UMKM_SERVING_DIR=str(root / "serving"), UMKM_HASH_SALT=salt, UMKM_SETTLE_SECONDS="0",
               DAGSTER_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False", GX_ANALYTICS_ENABLED="False",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@contextlib.contextmanager
def pipeline_env(root: Path, salt: str, unset: tuple[str, ...] = ()):
    """Point the settings of an in-process `umkm run` (orchestration.cli.main) at `root`'s folders,
    and put the environment back afterwards; `unset`: settings to clear meanwhile."""
    env = {"UMKM_LANDING_DIR": str(root / "landing"), "UMKM_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "UMKM_SERVING_DIR": str(root / "serving"), "UMKM_HASH_SALT": salt, "UMKM_SETTLE_SECONDS": "0"}
    saved = {key: os.environ.get(key) for key in [*env, *unset]}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(env)
    try:
        yield root
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def umkm_run(root: Path, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    """`umkm run` in a subprocess (cwd = root, so no project .env is read)."""
    return subprocess.run([str(UMKM), "run"], env=run_env(root, **extra), cwd=root, capture_output=True,
                          text=True, timeout=timeout)


def serving_tables(serving: Path) -> list[str]:
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        return [t for (t,) in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
    finally:
        con.close()


def serving_snapshot(serving: Path, drop_lineage: bool = False) -> dict[str, list[str]]:
    """Every mart of the serving copy, rows sorted, load timestamps left out.

    `drop_lineage` also leaves out which landing file a row came from and the file ledger marts:
    a replayed delivery may load the same rows from another copy of a file.
    """
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        snapshot = {}
        for table in serving_tables(serving):
            if drop_lineage and table in LEDGER_MARTS:
                continue
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                [table]).fetchall()]
            skip = set(VOLATILE.get(table, ())) | ({"landing_path"} if drop_lineage else set())
            keep = ", ".join(f'"{c}"' for c in columns if c not in skip)
            snapshot[table] = sorted(map(repr, con.execute(f'select {keep} from "{table}"').fetchall()))
        return snapshot
    finally:
        con.close()


def copy_landing(source: Path, target: Path) -> None:
    """Copy a landing zone keeping mtimes (the landing order)."""
    shutil.copytree(source, target, symlinks=True, copy_function=shutil.copy2)


# ---------------------------------------------------------------- inotify (Linux)

IN_ACCESS, IN_OPEN = 0x001, 0x020


class OpenWatch:
    """Records every open or read of files in some folders, by any process (Linux inotify).

    Proves that nothing outside the landing zone is read, whatever code path would do it.
    """

    def __init__(self, folders: list[Path]):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._libc = libc
        self.fd = libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.watches = {}
        for folder in folders:
            wd = libc.inotify_add_watch(self.fd, os.fsencode(str(folder)), IN_ACCESS | IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
            self.watches[wd] = folder

    def events(self) -> list[str]:
        found = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return found
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, size = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16: offset + 16 + size].rstrip(b"\0").decode(errors="replace")
                found.append(f"{self.watches.get(wd)}/{name} mask={mask:#x}")
                offset += 16 + size

    def close(self) -> None:
        os.close(self.fd)


def inotify_available() -> bool:
    return sys.platform.startswith("linux") and bool(ctypes.util.find_library("c") or Path("/lib").exists())
