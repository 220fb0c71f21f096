"""What a check run validates: the rows of the change set (`ingest.change_set`).

The change set is the file versions of the ledger not yet published. Nothing is published while
a blocking (ERROR) check fails, so a bad version stays in the change set, and every run checks
it again until a corrected re-export replaces it. No watermark of the checks' own is kept.

- Raw tables (`BY_FILE_VERSION`): the rows of the change set's loaded versions of the table's
  sources; a table with none is not validated again.
- `fct_orders` (`BY_LANDING_PATH`): the orders whose winning row came from a path of the change
  set; every order when the build was a full one (an enrollment file, changed code), when any
  old order may have changed.
- `mart_intervention_outcomes` (`BY_UMKM`): the windows the build recomputed (those of the UMKM
  of `int_umkm_changed` around its changed order dates) against their recomputation; every
  window after a full build.
- The other targets (the file ledger, the small marts and their reconciliations) are validated
  whole, in a run whose change set is not empty; with nothing new they are not validated again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ingest.change_set import FULL_REBUILD_SOURCES, ChangeSet
from quality.intervention_suites import WINDOW_DAYS
from quality.suites import BY_FILE_VERSION, BY_LANDING_PATH, BY_UMKM

WHOLE = "whole"                      # a target validated whole
SCOPE_RELATION = "quality_scope"     # the scope's keys, registered on the connection while a suite loads
CHANGED_UMKM = "intermediate.int_umkm_changed"


@dataclass(frozen=True)
class Scope:
    """The rows of one target that a check run validates."""

    kind: str                  # BY_FILE_VERSION | BY_LANDING_PATH | BY_UMKM | WHOLE
    keys: tuple = ()           # (landing_path, sha256) versions, or landing paths
    everything: bool = False   # every row is in scope: no filter needed
    unchanged: bool = False    # nothing changed: the target is not validated

    def filter(self, alias: str) -> str:
        """The SQL condition on `alias` (rows of the scoped table) that keeps the scope's rows."""
        if self.everything:
            return "true"
        if self.kind == BY_UMKM:   # the windows this run's dbt build recomputed (macro changed_windows)
            return (f"exists (select 1 from {CHANGED_UMKM} c where c.umkm_key = {alias}.umkm_key and "
                    f"(c.order_date is null or c.order_date between {alias}.event_date - {WINDOW_DAYS} "
                    f"and {alias}.event_date + {WINDOW_DAYS - 1}))")
        if not self.keys:
            return "false"
        if self.kind == BY_FILE_VERSION:
            return f"({alias}.landing_path, {alias}.sha256) in (select landing_path, sha256 from {SCOPE_RELATION})"
        return f"{alias}.landing_path in (select landing_path from {SCOPE_RELATION})"

    def relation(self) -> pa.Table:
        if self.kind == BY_FILE_VERSION:
            return pa.table({"landing_path": pa.array([k[0] for k in self.keys], pa.string()),
                             "sha256": pa.array([k[1] for k in self.keys], pa.string())})
        return pa.table({"landing_path": pa.array(list(self.keys), pa.string())})

    def describe(self) -> str:
        if self.unchanged:
            return "nothing new since the last publication"
        if self.kind == WHOLE or self.everything:
            return "whole relation"
        if self.kind == BY_UMKM:
            return f"the windows of {CHANGED_UMKM}"
        if self.kind == BY_FILE_VERSION:
            return f"rows of {len(self.keys)} file version(s) of the change set"
        return f"rows from {len(self.keys)} landing path(s) of the change set"


def plan_scopes(targets, change_set: ChangeSet) -> dict[str, Scope]:
    """The scope of every target for this change set."""
    from ingest.sources import SOURCES

    full = change_set.rebuilt or bool(change_set.sources & FULL_REBUILD_SOURCES)
    scopes = {}
    for target in targets:
        if change_set.empty and not change_set.rebuilt:
            scopes[target.relation] = Scope(target.scope or WHOLE, unchanged=True)
        elif target.scope == BY_FILE_VERSION:
            sources = {name for name, source in SOURCES.items() if source.table == target.table}
            versions = tuple((v.landing_path, v.sha256) for v in change_set.loaded(sources))
            # no new version of its sources: nothing it reads changed since its rules passed (its
            # columns are the loader's: tests/test_quality_suites.py checks them against the suites).
            # A check re-executed after its run's full build still looks at everything.
            unchanged = not versions and not change_set.rebuilt
            scopes[target.relation] = Scope(BY_FILE_VERSION, versions, unchanged=unchanged)
        elif target.scope == BY_LANDING_PATH:
            scopes[target.relation] = Scope(BY_LANDING_PATH, tuple(change_set.paths), everything=full)
        elif target.scope == BY_UMKM:
            scopes[target.relation] = Scope(BY_UMKM, everything=full)
        else:
            scopes[target.relation] = Scope(WHOLE)
    return scopes
