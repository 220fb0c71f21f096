"""Does `umkm run` have anything to do? Answered without loading Dagster's definitions or dbt.

A run has work when a landing file is new or changed, when the change set is not empty (file
versions loaded but not yet published: a run that stopped before publishing), or when a dbt
model or seed changed since it was last built. Otherwise the marts and the serving copy already
say everything the landing zone says, and `umkm run` ends in about a second instead of starting
Dagster, GX and dbt for nothing.

The dbt check uses what already knows it: the code version Dagster recorded with each model's
last materialization (dagster-dbt's: the SHA-1 of the model's SQL), against the manifest the
definitions would load, when that manifest is current.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from ingest.change_set import read_change_set
from ingest.raw_load import pending_files
from ingest.settings import Settings
from orchestration.dbt_paths import DBT_PROJECT_DIR, manifest_is_current


def dbt_code_versions(manifest_path: Path) -> dict[tuple[str, ...], str]:
    """{asset key path: code version} of the models and seeds, as dagster-dbt computes them."""
    manifest = json.loads(manifest_path.read_text())
    versions = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        code = node.get("raw_code")
        versions[(node["schema"], node["name"])] = (hashlib.sha1(code.encode()).hexdigest() if code
                                                    else node["checksum"]["checksum"])
    return versions


NEW_FILES = "new or changed landing files"


def work_to_do(settings: Settings) -> str | None:
    """Why a run is needed, or None when there is nothing to do."""
    serving = settings.serving_dir / "marts.duckdb"
    if not settings.warehouse_path.exists() or not serving.exists():
        return "no warehouse or serving copy yet"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        # no wait: a file still being written is work; the run waits for it (for what is left of
        # the settle time: this process has seen it now, `ingest.landing.watch`)
        if pending_files(con, settings.landing_dir, settings.settle_seconds, wait=False):
            return NEW_FILES
        if not read_change_set(con).empty:
            return "file versions not yet published"
    except duckdb.Error as error:   # e.g. a ledger of an older version, which the run upgrades
        return f"the warehouse needs a run ({type(error).__name__})"
    finally:
        con.close()
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest_is_current(manifest):
        return "the dbt project changed"
    import dagster as dg   # the instance only (0,7 s), not the definitions (3 s with dbt)

    current = dbt_code_versions(manifest)
    keys = [dg.AssetKey(list(path)) for path in current]
    built = dg.DagsterInstance.get().get_latest_materialization_code_versions(keys)
    if any(built.get(key) != current[tuple(key.path)] for key in keys):
        return "a dbt model or seed changed since it was built"
    return None
