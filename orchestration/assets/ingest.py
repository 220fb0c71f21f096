"""Raw-load assets, thin over `ingest.raw_load`.

- `raw_files`: the raw tables, partitioned by landing file version. The landing sensor asks for
  one run per new version; a backfill from the UI re-runs any file (a forced, idempotent reload).
- `landing_reconciliation`: the batch path of `umkm run` and the nightly schedule. It loads every
  settled version the ledger does not hold yet, whatever the sensor missed, and records each as
  a materialized partition of `raw_files`, so the UI shows one history per file either way.
"""

import time
from collections import Counter

import dagster as dg
import duckdb

from ingest.change_set import read_change_set
from ingest.isolation import start_parse_server
from ingest.memory import release_memory
from ingest.raw_load import LoadOutcome, connect_warehouse, load_files, pending_files
from ingest.raw_schema import PERSONAL_COLUMNS
from ingest.sighting import Sighting
from ingest.sources import SOURCES
from orchestration.automation import WAREHOUSE_POOL
from orchestration.partitions import landing_files, partition_key, path_of
from orchestration.progress import file_counter
from orchestration.resources import UmkmSettings
from orchestration.run_change_set import record_run_change_set

OWNER = "team:data-platform"
LEDGER_KEY = dg.AssetKey(["raw", "landing_files"])
SOURCE_KEYS = {name: dg.AssetKey(["raw", source.table]) for name, source in SOURCES.items()}
RAW_KEYS = [*SOURCE_KEYS.values(), LEDGER_KEY]

RAW_SPECS = [
    dg.AssetSpec(key, group_name="ingest", kinds={"python", "duckdb"}, owners=[OWNER],
                 partitions_def=landing_files, tags={"source": name},
                 description=f"Rows of the {name}/ landing files, typed, with lineage (landing path, "
                             f"sha256, row number). Personal data stays in this raw layer.")
    for name, key in SOURCE_KEYS.items()
] + [
    dg.AssetSpec(LEDGER_KEY, group_name="ingest", kinds={"python", "duckdb"}, owners=[OWNER],
                 partitions_def=landing_files,
                 description="File ledger raw.landing_files: every landing file version with its status "
                             "(loaded, duplicate, quarantined, superseded), reason and row counts; "
                             "rejected rows in raw.rejected_rows."),
]


@dg.multi_asset(specs=RAW_SPECS, name="raw_files", backfill_policy=dg.BackfillPolicy.single_run(),
                pool=WAREHOUSE_POOL)
def raw_files(context: dg.AssetExecutionContext, umkm: UmkmSettings):
    """Load the landing file versions of this run's partitions, one transaction each."""
    paths = [path_of(key) for key in context.partition_keys]
    outcomes = load_files(umkm.warehouse, umkm.landing, paths, umkm.hash_salt, force=True,
                          on_outcome=lambda outcome: log_outcome(context, outcome), limits=umkm.parse_limits)
    previews = preview_tables(umkm, outcomes)
    # Every spec is reported, touched or not: an unreported output would skip the dbt models
    # downstream in the same run.
    for name, key in SOURCE_KEYS.items():
        mine = [o for o in outcomes if o.source == name]
        metadata = load_metadata(mine)
        if name in previews:
            metadata["preview"] = dg.MetadataValue.md(previews[name])
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
    yield dg.MaterializeResult(asset_key=LEDGER_KEY, metadata=ledger_metadata(outcomes))


@dg.asset(group_name="ingest", kinds={"python", "duckdb"}, owners=[OWNER], pool=WAREHOUSE_POOL)
def landing_reconciliation(context: dg.AssetExecutionContext, umkm: UmkmSettings) -> dg.MaterializeResult:
    """Load every new or changed landing file (the batch path of `umkm run` and the nightly run)."""
    start_parse_server()   # the parse workers' server imports while the files settle
    con = connect_warehouse(umkm.warehouse)
    try:
        # the files the sensor saw when it requested this run wait only for what is left of their settle time
        pending = pending_files(con, umkm.landing, umkm.settle_seconds,
                                sighted=Sighting.from_tags(context.run.tags))
    finally:
        con.close()
    if pending:   # the raw checks come next in this run
        from quality.gx_run import import_gx_meanwhile
        import_gx_meanwhile()
    started = time.perf_counter()
    # One log line per file that needs a look (the batch can be thousands of files: each line is
    # an event in Dagster's storage); every file still gets its partition materialization below.
    outcomes = load_files(umkm.warehouse, umkm.landing, [f.path for f in pending], umkm.hash_salt,
                          on_outcome=file_counter(len(pending), lambda outcome: log_outcome(context, outcome)
                                                  if needs_a_look(outcome) else None),
                          limits=umkm.parse_limits)
    release_memory()
    log_summary(context, outcomes, time.perf_counter() - started)
    record_partitions(context, outcomes)
    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        change_set = read_change_set(con)
    finally:
        con.close()
    record_run_change_set(context, change_set)   # what the rest of this run checks, builds, publishes
    context.log.info(f"change set: {change_set.describe()}")
    return dg.MaterializeResult(metadata={**ledger_metadata(outcomes), "change_set": change_set.describe()})


# Dagster stores each materialization on its own (about 8 ms for a file's two events on SQLite):
# fine for the few files of a day, 100 s for a history load of 6,000. Above this many files no
# per-file event is logged: every version is still registered as a partition (the sensor skips
# registered versions), raw.landing_files records them all, and the run's materialization lists
# the files that need a look.
PARTITION_EVENTS_LIMIT = 50


def record_partitions(context: dg.AssetExecutionContext, outcomes: list[LoadOutcome]) -> None:
    """Register each loaded version as a `raw_files` partition and log its materialization."""
    keys = {o.path: partition_key(o.path, o.sha256) for o in outcomes}
    distinct = list(dict.fromkeys(keys.values()))
    for start in range(0, len(distinct), 500):   # idempotent: existing keys are skipped
        context.instance.add_dynamic_partitions(landing_files.name, distinct[start:start + 500])
    logged = outcomes
    if len(outcomes) > PARTITION_EVENTS_LIMIT:
        logged = []
        context.log.info(f"{len(outcomes)} file versions registered as raw_files partitions, without an event "
                         f"each (a history load): see raw.landing_files, and this run's landing_reconciliation "
                         f"materialization for the files that need a look")
    for outcome in logged:
        targets = [LEDGER_KEY] + ([SOURCE_KEYS[outcome.source]] if outcome.source else [])
        for asset_key in targets:
            context.log_event(dg.AssetMaterialization(asset_key=asset_key, partition=keys[outcome.path],
                                                      metadata=load_metadata([outcome])))


def log_outcome(context: dg.AssetExecutionContext, outcome: LoadOutcome) -> None:
    context.log.info(f"{outcome.status}: {outcome.path} read={outcome.rows_read} loaded={outcome.rows_loaded} "
                     f"rejected={outcome.rows_rejected}" + (f" ({outcome.reason})" if outcome.reason else ""))


def needs_a_look(outcome: LoadOutcome) -> bool:
    """Quarantined or duplicate files, and loads that rejected rows or replaced a version."""
    return outcome.status != "loaded" or bool(outcome.rows_rejected) or outcome.replaced is not None


def log_summary(context: dg.AssetExecutionContext, outcomes: list[LoadOutcome], seconds: float) -> None:
    statuses = Counter(o.status for o in outcomes)
    rows = sum(o.rows_read for o in outcomes)
    context.log.info(f"{len(outcomes)} file(s) in {seconds:.1f}s ({rows / max(seconds, 1e-9):,.0f} rows/s): "
                     + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
                     + f"; rows read={rows} loaded={sum(o.rows_loaded for o in outcomes)} "
                       f"rejected={sum(o.rows_rejected for o in outcomes)}")


def load_metadata(outcomes: list[LoadOutcome]) -> dict:
    statuses = Counter(o.status for o in outcomes)
    metadata = {f"files_{status}": statuses[status] for status in ("loaded", "duplicate", "quarantined")}
    metadata |= {
        "rows_read": sum(o.rows_read for o in outcomes),
        "rows_loaded": sum(o.rows_loaded for o in outcomes),
        "rows_rejected": sum(o.rows_rejected for o in outcomes),
        "dagster/row_count": sum(o.rows_loaded for o in outcomes),
    }
    if len(outcomes) == 1:
        metadata |= {"landing_path": outcomes[0].path, "sha256": outcomes[0].sha256,
                     "status": outcomes[0].status, "reason": outcomes[0].reason or ""}
    return metadata


def ledger_metadata(outcomes: list[LoadOutcome], limit: int = 50) -> dict:
    """Counts, and a table of the files (those that need a look first)."""
    ordered = sorted(outcomes, key=lambda o: not needs_a_look(o))
    rows = [[o.path, o.status, o.rows_read, o.rows_loaded, o.rows_rejected, o.reason or ""]
            for o in ordered[:limit]]
    metadata = load_metadata(outcomes)
    metadata["files"] = dg.MetadataValue.md(markdown_table(
        ["landing path", "status", "read", "loaded", "rejected", "reason"], rows))
    return metadata


def preview_tables(umkm: UmkmSettings, outcomes: list[LoadOutcome], limit: int = 5) -> dict[str, str]:
    """The first rows each loaded file gave its raw table, without the personal columns."""
    loaded = [o for o in outcomes if o.status == "loaded" and o.rows_loaded]
    if not loaded:
        return {}
    previews = {}
    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        for outcome in loaded[:3]:
            table = SOURCES[outcome.source].table
            columns = [c for c in con.table(f"raw.{table}").columns
                       if c not in PERSONAL_COLUMNS and c not in ("sha256", "file_landed_at", "loaded_at")]
            rows = con.execute(f"select {', '.join(columns)} from raw.{table} where sha256 = ? "
                               f"order by row_number limit {limit}", [outcome.sha256]).fetchall()
            previews.setdefault(outcome.source, "")
            previews[outcome.source] += markdown_table(columns, rows) + "\n\n"
    finally:
        con.close()
    return previews


def markdown_table(header: list[str], rows: list) -> str:
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
