"""What `dbt build` runs for a change set: only what is downstream of what changed.

Pure (no Dagster, no dbt import): the dbt asset calls it, and tests call it directly.
- Nothing changed and no model or seed code changed: no dbt at all.
- New file versions: the models downstream of their raw tables (and of the file ledger, which
  every new version changes), built incrementally: they recompute the keys the change set
  touches (dbt_project/macros/incremental_recompute.sql).
- A full rebuild of the selection when the incremental state cannot be trusted: a model or
  seed whose code changed since its last materialization (Dagster's code versions), an
  enrollment file (it can move any old order to another UMKM or program), or when asked.
"""

from __future__ import annotations

from ingest.change_set import FULL_REBUILD_SOURCES, ChangeSet
from ingest.sources import SOURCES

LEDGER_SOURCE = "source:raw.landing_files+"


def dbt_build_args(change_set: ChangeSet, changed_code: set[str] | frozenset[str] = frozenset(),
                   full_refresh: bool = False) -> list[str] | None:
    """The arguments of `dbt build`, or None when nothing needs building.

    `changed_code`: names of the models and seeds whose code differs from what was last built.
    `full_refresh`: rebuild every model and seed from all rows (a Dagster config flag).
    """
    if full_refresh:
        return ["build", "--full-refresh"]
    selectors = {f"{name}+" for name in changed_code}
    if not change_set.empty:
        selectors.add(LEDGER_SOURCE)
        selectors |= {f"source:raw.{SOURCES[s].table}+" for s in change_set.sources if s in SOURCES}
    if not selectors:
        return None
    args = ["build", "--select", " ".join(sorted(selectors))]   # one value: a union
    if changed_code or change_set.sources & FULL_REBUILD_SOURCES:
        args.append("--full-refresh")
    return args
