"""Load landing files into the raw layer: whole file versions, a batch of them per DuckDB transaction.

Rules (marts-contract section 2, data-contract section 1):
- the same path with the same bytes again changes nothing;
- a new version of a path replaces every row the previous version contributed;
- the same bytes under another path are recorded as a duplicate, not loaded twice;
- a file that cannot be parsed is quarantined with a reason; its rows are not loaded;
- a crash leaves either the whole file version or nothing.
The work for a new file is parsing and appending that file; history is not re-read.
Per-file overhead is kept low: files are read in batches with one ledger query and one insert
per raw table, a transaction holds many batches, and the next batch is parsed on workers and
planned while one is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.memory import LOADER_DUCKDB_CONFIG
from ingest.identifiers import umkm_keys
from ingest.isolation import ParseLimits, ParseWorkers, Parsing
from ingest.ledger_view import LedgerView
from ingest.landing import (SPECIAL_PROBLEM, SYMLINK_PROBLEM, VANISHED_PROBLEM, LandingFile, read_landing_bytes,
                            sha256_of, unreadable_sha)
from ingest.raw_schema import SOURCE_TABLES, create_raw_schema
from ingest.raw_writer import Writer
from ingest.parse_ahead import PARSE_AHEAD_BYTES, PARSE_AHEAD_FILES, ParseAhead, parse_workers
from ingest.readers import QuarantineError
from ingest.rows import ParseResult
from ingest.sighting import Sighting
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


@dataclass(frozen=True)
class Version:
    """A landing file as read for loading: its bytes (None when it is never read) and sha256."""
    file: LandingFile
    data: bytes | None
    sha256: str


def read_version(landing_dir: Path, landing_file: LandingFile) -> Version:
    data = None
    if landing_file.problem is None:
        try:
            data = read_landing_bytes(landing_dir, landing_file.path)
        except FileNotFoundError:   # deleted or moved away since the listing
            landing_file = replace(landing_file, problem=VANISHED_PROBLEM)
        except OSError:   # swapped for a link or a pipe since the listing: record it, never read it
            landing_file = replace(landing_file, problem=SYMLINK_PROBLEM if _is_link(landing_dir, landing_file.path)
                                   else SPECIAL_PROBLEM)
    return Version(landing_file, data, sha256_of(data) if data is not None else unreadable_sha(landing_file))


@dataclass(frozen=True)
class Plan:
    """What loading one version writes, decided in memory; `write_plans` writes a batch of them."""
    outcome: LoadOutcome
    rewrites_record: bool = False     # these bytes were recorded before under this path
    rows: pa.Table | None = None      # for the source's raw table, lineage included
    rejects: pa.Table | None = None
    ledger_row: tuple = ()


def plan_version(ledger: LedgerView, version: Version, salt: str, workers: ParseWorkers, force: bool = False,
                 parsed: Parsing | None = None) -> Plan:
    """Decide what one version becomes (`ledger` must cover it, and is updated as if it were written).

    `parsed` is the version's parse started ahead (`ParseAhead`), if any; else it is parsed on
    `workers` now. Never in this process: the file is untrusted.
    """
    landing_file, data, sha = version.file, version.data, version.sha256
    path, source = landing_file.path, landing_file.source
    current = ledger.current.get(path, (None,))[0]
    if current == sha and not force:
        return Plan(LoadOutcome(path, source, sha, "unchanged"))
    twin = ledger.twin(sha, path)

    result, reason = None, None
    if data is None:
        status, reason = "quarantined", landing_file.problem
    elif twin:
        status, reason = "duplicate", f"same bytes as {twin}, already loaded"
    else:
        try:
            result = (parsed or workers.submit(source, data, path)).result()
            status = "loaded"
            reason = "; ".join(result.notes) or None
        except QuarantineError as error:
            status, reason = "quarantined", str(error)

    now = utc_now()
    # the landing order; a clock ahead (or past year 9999) would put this version after every later one
    landed_at = min(_utc_or_none(landing_file.mtime) or now, now)
    rows = rejects = None
    if result is not None:
        try:
            rows = _incoming_rows(SOURCES[source].table, result, path, sha, landed_at, now, salt)
        except (pa.ArrowException, KeyError) as error:   # a parser bug: this file's, not the run's
            result, status = None, "quarantined"
            reason = f"the parsed rows do not fit raw.{SOURCES[source].table} ({type(error).__name__}): a bug to report"
    counts = (result.rows_read, result.rows_loaded, result.rows_rejected) if result else (0, 0, 0)
    reason = "; ".join(filter(None, (reason, landing_file.clock_note))) or None
    if result is not None and result.rows_rejected:
        rejects = result.reject_table
        rejects = rejects.add_column(0, "landing_path", pa.repeat(pa.scalar(path), rejects.num_rows)) \
            .add_column(1, "sha256", pa.repeat(pa.scalar(sha), rejects.num_rows))
    plan = Plan(LoadOutcome(path, source, sha, status, reason, *counts, replaced=current),
                rewrites_record=(path, sha) in ledger.rows, rows=rows, rejects=rejects,
                ledger_row=(path, sha, source or "unknown", status, reason, *counts, landing_file.size,
                            landed_at, now, now if status == "loaded" else None))
    ledger.record(path, sha, status, now)
    return plan


def _incoming_rows(table: str, result: ParseResult, path: str, sha: str,
                   landed_at: datetime, now: datetime, salt: str) -> pa.Table:
    """A file's parsed rows with the salted key and lineage, in the raw table's Arrow schema."""
    rows = result.table
    size = rows.num_rows
    columns = {name: rows.column(name) for name in rows.column_names}
    if "nik" in columns:  # survey and enrollment carry the owner's identifiers
        columns["umkm_key"] = umkm_keys(columns["nik"], columns["nib"], salt)
    columns |= {"landing_path": pa.repeat(pa.scalar(path), size), "sha256": pa.repeat(pa.scalar(sha), size),
                "file_landed_at": pa.repeat(pa.scalar(landed_at, pa.timestamp("us")), size),
                "loaded_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), size)}
    schema = arrow_schema(table)
    return pa.table([columns[name] for name in schema.names], names=schema.names).cast(schema)


def connect_warehouse(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse_path), config=LOADER_DUCKDB_CONFIG)
    create_raw_schema(con)
    return con


def pending_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, settle_seconds: float = 0.0,
                  sighted: Sighting | None = None, wait: bool = True) -> list[LandingFile]:
    """Settled landing files whose bytes may differ from the version the ledger holds, oldest first.

    A file whose size and mtime match its ledger version is not even read, so a run with
    nothing new costs one directory listing and one ledger query, and never waits. A path the
    ledger has never seen is pending without being hashed here (the load hashes what it reads);
    only a known path with a new size or mtime is hashed, to tell a copy of the same bytes from a
    new version.

    Settled means unchanged, not old: the other files are watched until their size and times have
    stayed the same for `settle_seconds` (one wait for all of them: `ingest.landing.settle`); one
    still changing is left for the next run. No file's clock is compared with ours, so a file
    stamped in 2100 waits no longer than any other. A file of `sighted` (what the landing sensor
    saw when it requested this run) is waited for only until its settle time has passed since
    that look, and loaded if it is unchanged since. `wait=False` returns the candidates without
    waiting, recorded as seen: a later `settle` in this process waits only for what is left
    (`umkm run` checks, then loads).
    """
    from ingest.landing import scan_landing, settle, sha256_of_file, watch

    if sighted is not None and wait:
        sighted.wait(settle_seconds)   # before the listing below, which then tells whether they changed
    known = {path: (sha, size, landed) for path, sha, size, landed in con.execute(
        "select landing_path, sha256, size_bytes, file_landed_at from raw.landing_files "
        "where status <> 'superseded'").fetchall()}
    ready, candidates = [], []
    for landing_file in scan_landing(landing_dir, include_unreadable=True):
        version = known.get(landing_file.path)
        if version is not None and version[1] == landing_file.size and version[2] == _utc_or_none(landing_file.mtime):
            continue
        if wait and sighted is not None and sighted.settled(landing_file):
            ready.append(landing_file)   # the load tells the same bytes again from a new version
            continue
        if version is None:
            candidates.append(landing_file)
            continue
        try:
            sha = (unreadable_sha(landing_file) if landing_file.problem
                   else sha256_of_file(landing_file.absolute(landing_dir)))
        except (FileNotFoundError, NotADirectoryError):
            continue  # moved away since the listing: nothing to load, nothing lost
        if version[0] != sha:
            candidates.append(landing_file)
    if wait:
        candidates = settle(landing_dir, candidates, settle_seconds)
    elif settle_seconds > 0:
        watch(landing_dir, [f for f in candidates if f.problem is None])
    return sorted(ready + candidates, key=lambda f: (f.mtime, f.path))


def load_files(warehouse_path: Path, landing_dir: Path, paths: list[str], salt: str,
               force: bool = False, on_outcome=None, limits: ParseLimits | None = None) -> list[LoadOutcome]:
    """Load the given landing paths in order, batches of files per transaction.

    A batch is up to BATCH_FILES files and BATCH_BYTES (or one larger file): the ledger is asked
    once per batch and its rows go in one insert per raw table. Batches go into one transaction
    until it holds COMMIT_BYTES of files; it commits whole or not at all, so a crash never leaves
    part of a file. While a batch is written (`ingest.raw_writer`) the next one is read, parsed by
    the workers and planned (at 2.5 M orders the writes had taken a third of the load, with the
    workers idle; at 10 M the main process planned and wrote in turn). Files are parsed on
    capped worker processes (`ingest.isolation`): one that crashes or hits `limits` is quarantined
    and the rest load. `on_outcome` hears of each file once its transaction is committed.
    """
    from ingest.landing import stat_landing_file

    landing_files = [f for f in (stat_landing_file(landing_dir, path) for path in paths)
                     if f is not None]   # a file gone since it was listed: nothing to load, nothing lost
    outcomes = []
    if not landing_files:
        return outcomes
    con = connect_warehouse(warehouse_path)
    reader = con.cursor()   # the ledger is read here while the writer's thread uses `con`
    workers = parse_workers(sum(f.size for f in landing_files), limits or ParseLimits())
    ledger = LedgerView()
    writer = Writer(con)

    def heard(committed: list[LoadOutcome]) -> None:
        for outcome in committed:
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

    try:
        planned, planned_bytes = [], 0
        for batch in _batches(landing_dir, landing_files):
            ledger.extend(reader, batch)
            ahead = ParseAhead(workers, PARSE_AHEAD_FILES, PARSE_AHEAD_BYTES, ledger, batch, force)
            heard(writer.write(planned, planned_bytes))   # the previous batch, while this one is parsed and planned
            planned, planned_bytes = [], sum(version.file.size for version in batch)
            for index in range(len(batch)):
                version, batch[index] = batch[index], None   # free the bytes once planned
                planned.append(plan_version(ledger, version, salt, workers, force=force, parsed=ahead.take(index)))
        heard(writer.write(planned, planned_bytes))
        heard(writer.finish())
    except BaseException:
        writer.abort()
        raise
    finally:
        workers.shutdown()
        reader.close()
        con.close()  # dbt runs in another process and needs the single writer lock
    return outcomes


def _batches(landing_dir: Path, landing_files: list[LandingFile]):
    """The files read in batches of up to BATCH_FILES files and BATCH_BYTES (or one larger file)."""
    batch, size = [], 0
    for landing_file in landing_files:
        if batch and (len(batch) >= BATCH_FILES or size + landing_file.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(read_version(landing_dir, landing_file))
        size += landing_file.size
    if batch:
        yield batch


BATCH_FILES, BATCH_BYTES = 64, 16 << 20   # a batch is what the writer gets at a time: see COMMIT_BYTES


def load_new_files(warehouse_path: Path, landing_dir: Path, salt: str, settle_seconds: float = 0.0,
                   on_outcome=None) -> list[LoadOutcome]:
    """Load every settled landing file whose version is new, oldest first (`pending_files`)."""
    from ingest.landing import settle

    con = connect_warehouse(warehouse_path)
    try:
        pending = pending_files(con, landing_dir, settle_seconds, wait=False)
    finally:
        con.close()   # not held while the files settle
    settled = sorted(settle(landing_dir, pending, settle_seconds), key=lambda f: (f.mtime, f.path))
    return load_files(warehouse_path, landing_dir, [f.path for f in settled], salt, on_outcome=on_outcome)


def _is_link(landing_dir: Path, path: str) -> bool:
    folder = landing_dir
    for part in path.split("/"):
        folder = folder / part
        if folder.is_symlink():
            return True
    return False


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)


def _utc_or_none(epoch_seconds: float) -> datetime | None:
    """None for an mtime past the year 9999 (a share's clock can say so)."""
    try:
        return _utc(epoch_seconds)
    except (OverflowError, OSError, ValueError):
        return None
