"""Load landing files into the raw layer, one file version per DuckDB transaction.

Rules (marts-contract section 2, data-contract section 1):
- the same path with the same bytes again changes nothing;
- a new version of a path replaces every row the previous version contributed;
- the same bytes under another path are recorded as a duplicate, not loaded twice;
- a file that cannot be parsed is quarantined with a reason; its rows are not loaded;
- a crash leaves either the whole file version or nothing.
The work for a new file is parsing and appending that file; history is not re-read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.identifiers import umkm_keys
from ingest.landing import (SPECIAL_PROBLEM, SYMLINK_PROBLEM, LandingFile, read_landing_bytes, sha256_of,
                            unreadable_sha)
from ingest.raw_schema import SOURCE_TABLES, create_raw_schema
from ingest.readers import QuarantineError
from ingest.rows import REJECT_COLUMNS, ParseResult
from ingest.sources import SOURCES

_ARROW_TYPES = {"varchar": pa.string(), "timestamp": pa.timestamp("us"), "date": pa.date32(),
                "integer": pa.int32(), "boolean": pa.bool_(), "decimal(18,2)": pa.decimal128(18, 2)}
_LINEAGE = {"landing_path": pa.string(), "sha256": pa.string(), "row_number": pa.int32(),
            "file_landed_at": pa.timestamp("us"), "loaded_at": pa.timestamp("us")}


@dataclass(frozen=True)
class LoadOutcome:
    path: str
    source: str | None
    sha256: str
    status: str            # loaded | duplicate | quarantined | unchanged
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    replaced: str | None = None   # sha256 of the version this one superseded


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def arrow_schema(table: str) -> pa.Schema:
    columns = {**_LINEAGE, **{name: _ARROW_TYPES[dtype] for name, dtype in SOURCE_TABLES[table].items()}}
    return pa.schema(list(columns.items()))


def parse_landing_file(source: str | None, data: bytes, path: str) -> ParseResult:
    """Pick the parser for a path; files outside the source folders are refused."""
    if source is None:
        raise QuarantineError("not in a source folder (survey/, enrollment/, gofood/, shopee/, uvo/)")
    spec = SOURCES[source]
    if not path.lower().endswith(spec.extensions):
        raise QuarantineError(f"{source}/ takes {', '.join(spec.extensions)} files")
    return spec.parse(data, path)


def load_file(con: duckdb.DuckDBPyConnection, landing_dir: Path, landing_file: LandingFile,
              salt: str, force: bool = False) -> LoadOutcome:
    """Load one landing file version; see the module docstring for the rules.

    `force` reloads a version that is already current (a re-run asked for from the UI):
    its rows are replaced by the same rows, so the result is the same.
    """
    path, source = landing_file.path, landing_file.source
    data = None
    if landing_file.problem is None:
        try:
            data = read_landing_bytes(landing_dir, path)
        except OSError:   # swapped for a link or a pipe since the listing: record it, never read it
            landing_file = replace(landing_file, problem=SYMLINK_PROBLEM if _is_link(landing_dir, path)
                                   else SPECIAL_PROBLEM)
    sha = sha256_of(data) if data is not None else unreadable_sha(landing_file)
    current = con.execute(
        "select sha256 from raw.landing_files where landing_path = ? and status <> 'superseded' "
        "order by first_seen desc limit 1", [path]).fetchone()
    if current and current[0] == sha and not force:
        return LoadOutcome(path, source, sha, "unchanged")
    twin = con.execute(
        "select landing_path from raw.landing_files where sha256 = ? and status = 'loaded' "
        "and landing_path <> ? limit 1", [sha, path]).fetchone()

    result, reason = None, None
    if data is None:
        status, reason = "quarantined", landing_file.problem
    elif twin:
        status, reason = "duplicate", f"same bytes as {twin[0]}, already loaded"
    else:
        try:
            result = parse_landing_file(source, data, path)
            status = "loaded"
            reason = "; ".join(result.notes) or None
        except QuarantineError as error:
            status, reason = "quarantined", str(error)

    now = utc_now()
    landed_at = _utc(landing_file.mtime)
    con.execute("begin transaction")
    try:
        if current:
            _retire_version(con, path, current[0], source)
        con.execute("delete from raw.landing_files where landing_path = ? and sha256 = ?", [path, sha])
        con.execute("delete from raw.rejected_rows where landing_path = ? and sha256 = ?", [path, sha])
        if result is not None:
            _insert_rows(con, SOURCES[source].table, result, path, sha, landed_at, now, salt)
        counts = (result.rows_read, result.rows_loaded, result.rows_rejected) if result else (0, 0, 0)
        con.execute(
            "insert into raw.landing_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [path, sha, source or "unknown", status, reason, *counts, landing_file.size,
             landed_at, now, now if status == "loaded" else None])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return LoadOutcome(path, source, sha, status, reason, *counts,
                       replaced=current[0] if current else None)


def _retire_version(con, path: str, old_sha: str, source: str | None) -> None:
    """A corrected version arrived: the old one's rows go, its ledger row says superseded."""
    con.execute("update raw.landing_files set status = 'superseded' where landing_path = ? and sha256 = ?",
                [path, old_sha])
    if source is not None:
        con.execute(f"delete from raw.{SOURCES[source].table} where landing_path = ?", [path])


def _insert_rows(con, table: str, result: ParseResult, path: str, sha: str,
                 landed_at: datetime, now: datetime, salt: str) -> None:
    rows = result.rows
    if "nik" in rows.columns:  # survey and enrollment carry the owner's identifiers
        rows = rows.assign(umkm_key=umkm_keys(rows["nik"], rows["nib"], salt))
    rows = rows.assign(landing_path=path, sha256=sha, file_landed_at=landed_at, loaded_at=now)
    schema = arrow_schema(table)
    arrow_rows = pa.Table.from_pandas(rows[schema.names], schema=schema, preserve_index=False)
    con.register("incoming_rows", arrow_rows)
    try:
        con.execute(f"insert into raw.{table} by name select * from incoming_rows")
    finally:
        con.unregister("incoming_rows")
    if len(result.rejects):
        rejects = result.rejects.assign(landing_path=path, sha256=sha)
        con.register("incoming_rejects", rejects[["landing_path", "sha256", *REJECT_COLUMNS]])
        try:
            con.execute("insert into raw.rejected_rows by name select * from incoming_rejects")
        finally:
            con.unregister("incoming_rejects")


def connect_warehouse(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse_path))
    create_raw_schema(con)
    return con


def pending_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, settle_seconds: float = 0.0
                  ) -> list[tuple[LandingFile, str]]:
    """Settled landing files whose bytes differ from the version the ledger holds, with sha256.

    A file whose size and mtime match its ledger version is not even read, so a run with
    nothing new costs one directory listing and one ledger query.
    """
    from ingest.landing import scan_landing, sha256_of_file

    known = {path: (sha, size, landed) for path, sha, size, landed in con.execute(
        "select landing_path, sha256, size_bytes, file_landed_at from raw.landing_files "
        "where status <> 'superseded'").fetchall()}
    pending = []
    for landing_file in scan_landing(landing_dir, settle_seconds, include_unreadable=True):
        version = known.get(landing_file.path)
        if version and version[1] == landing_file.size and version[2] == _utc(landing_file.mtime):
            continue
        try:
            sha = (unreadable_sha(landing_file) if landing_file.problem
                   else sha256_of_file(landing_file.absolute(landing_dir)))
        except (FileNotFoundError, NotADirectoryError):
            continue  # moved away since the listing: nothing to load, nothing lost
        if not version or version[0] != sha:
            pending.append((landing_file, sha))
    return pending


def load_files(warehouse_path: Path, landing_dir: Path, paths: list[str], salt: str,
               force: bool = False, on_outcome=None) -> list[LoadOutcome]:
    """Load the given landing paths in order, each in its own transaction."""
    from ingest.landing import stat_landing_file

    outcomes = []
    con = connect_warehouse(warehouse_path)
    try:
        for path in paths:
            landing_file = stat_landing_file(landing_dir, path)
            if landing_file is None:
                continue  # gone since it was listed: nothing to load, nothing lost
            outcome = load_file(con, landing_dir, landing_file, salt, force=force)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        con.close()  # dbt runs in another process and needs the single writer lock
    return outcomes


def load_new_files(warehouse_path: Path, landing_dir: Path, salt: str, settle_seconds: float = 0.0,
                   on_outcome=None) -> list[LoadOutcome]:
    """Load every settled landing file whose version is new, oldest first."""
    con = connect_warehouse(warehouse_path)
    try:
        paths = [landing_file.path for landing_file, _ in pending_files(con, landing_dir, settle_seconds)]
    finally:
        con.close()
    return load_files(warehouse_path, landing_dir, paths, salt, on_outcome=on_outcome)


def _is_link(landing_dir: Path, path: str) -> bool:
    folder = landing_dir
    for part in path.split("/"):
        folder = folder / part
        if folder.is_symlink():
            return True
    return False


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)
