"""Raw-load assets: one per raw table, filled by one op that loads new landing files."""


from collections import Counter

import dagster as dg

from ingest.raw_load import LoadOutcome, load_new_files
from ingest.sources import SOURCES
from orchestration.resources import UmkmSettings

OWNER = "team:data-platform"
LEDGER_KEY = dg.AssetKey(["raw", "landing_files"])
SOURCE_KEYS = {name: dg.AssetKey(["raw", source.table]) for name, source in SOURCES.items()}

RAW_SPECS = [
    dg.AssetSpec(key, group_name="ingest", kinds={"python", "duckdb"}, owners=[OWNER],
                 description=f"Rows of the {name}/ landing files, typed, with lineage "
                             f"(landing path, sha256, row number). Personal data stays here.")
    for name, key in SOURCE_KEYS.items()
] + [
    dg.AssetSpec(LEDGER_KEY, group_name="ingest", kinds={"python", "duckdb"}, owners=[OWNER],
                 description="File ledger: every landing file version with its status "
                             "(loaded, duplicate, quarantined, superseded), reason and row counts."),
]


class RawLoadConfig(dg.Config):
    paths: list[str] = []  # load only these landing paths; empty = every new or changed file


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="raw_load", pool="duckdb_warehouse")
def raw_load(context: dg.AssetExecutionContext, config: RawLoadConfig, umkm: UmkmSettings):
    """Load every new or changed landing file of the selected sources into DuckDB `raw`."""
    selected = context.selected_asset_keys
    sources: set[str | None] = {name for name, key in SOURCE_KEYS.items() if key in selected}
    if LEDGER_KEY in selected:
        sources.add(None)  # files outside the source folders are quarantined in the ledger

    def log(outcome: LoadOutcome) -> None:
        if outcome.status != "unchanged":
            context.log.info(f"{outcome.status}: {outcome.path} read={outcome.rows_read} "
                             f"loaded={outcome.rows_loaded} rejected={outcome.rows_rejected}"
                             + (f" ({outcome.reason})" if outcome.reason else ""))

    outcomes = load_new_files(umkm.warehouse, umkm.landing, umkm.hash_salt, umkm.settle_seconds,
                              sources=sources, paths=set(config.paths) or None, on_outcome=log)
    for name, key in SOURCE_KEYS.items():
        if key in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=_metadata(
                [o for o in outcomes if o.source == name]))
    if LEDGER_KEY in selected:
        yield dg.MaterializeResult(asset_key=LEDGER_KEY, metadata=_metadata(outcomes))


def _metadata(outcomes: list[LoadOutcome]) -> dict:
    statuses = Counter(o.status for o in outcomes)
    return {
        "files_loaded": statuses["loaded"], "files_unchanged": statuses["unchanged"],
        "files_duplicate": statuses["duplicate"], "files_quarantined": statuses["quarantined"],
        "rows_read": sum(o.rows_read for o in outcomes),
        "rows_loaded": sum(o.rows_loaded for o in outcomes),
        "rows_rejected": sum(o.rows_rejected for o in outcomes),
        "dagster/row_count": sum(o.rows_loaded for o in outcomes),
    }
