"""What `dbt build` runs for a change set: only what is downstream of what changed.

Pure (no Dagster, no dbt import): the dbt asset calls it, and tests call it directly.
- Nothing changed and no model or seed code changed: no dbt at all.
- New file versions: the models downstream of their raw tables, and of the file ledger (every
  build takes it in: the publication waits for its marts), built incrementally: they recompute the keys the change set
  touches (dbt_project/macros/incremental_recompute.sql).
- A full rebuild of the selection when the incremental state cannot be trusted: a model or
  seed whose code changed since its last materialization (Dagster's code versions), an
  enrollment file (it can move any old order to another UMKM or program), or when asked.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    selectors |= {f"source:raw.{SOURCES[s].table}+" for s in change_set.sources if s in SOURCES}
    if not selectors and change_set.empty:
        return None
    # Every build takes in the ledger (mart_data_quality) and the order chain (incremental: with
    # nothing to recompute, a merge of nothing): the marts the publication waits for.
    selectors.add(LEDGER_SOURCE)
    args = ["build", "--select", " ".join(sorted(selectors))]   # one value: a union
    if changed_code or change_set.sources & FULL_REBUILD_SOURCES:
        args.append("--full-refresh")
    return args


BUILT = ("model", "seed", "snapshot", "test", "unit_test")


def as_exclusion(args: list[str], manifest: Mapping) -> list[str]:
    """The same build with its `--select` turned into an `--exclude` of everything else.

    dagster-dbt adds its own `--select fqn:*` for an op that is not subsetted, and dbt takes the
    union of two `--select`s, which is everything; an exclusion survives it. What the selection
    takes is computed like dbt's `+` (every descendant, tests included: a test is a child of each
    node it reads, so it runs when any of them does, dbt's eager mode).
    """
    if "--select" not in args:
        return args
    at = args.index("--select")
    selected = _descendants(manifest, _roots(manifest, args[at + 1].split()))
    excluded = sorted(node["name"] for unique_id, node in manifest["nodes"].items()
                      if node["resource_type"] in BUILT and unique_id not in selected)
    rest = args[:at] + args[at + 2:]
    return rest + (["--exclude", " ".join(excluded)] if excluded else [])


def planned_models(args: list[str] | None, manifest: Mapping) -> int:
    """How many models, seeds and snapshots a build takes (the `umkm run` progress counter)."""
    if args is None:
        return 0
    nodes = manifest["nodes"]
    if "--select" in args:
        selected = _descendants(manifest, _roots(manifest, args[args.index("--select") + 1].split()))
    else:
        selected = set(nodes)
    return sum(1 for uid in selected if uid in nodes and nodes[uid]["resource_type"] in ("model", "seed", "snapshot"))


def _roots(manifest: Mapping, selectors: list[str]) -> set[str]:
    roots = set()
    for selector in selectors:
        name = selector.rstrip("+")
        if name.startswith("source:"):
            source, table = name.removeprefix("source:").split(".")
            roots |= {uid for uid, node in manifest["sources"].items()
                      if node["source_name"] == source and node["name"] == table}
        else:
            roots |= {uid for uid, node in manifest["nodes"].items() if node["name"] == name}
    return roots


def _descendants(manifest: Mapping, roots: set[str]) -> set[str]:
    seen, stack = set(roots), list(roots)
    while stack:
        for child in manifest["child_map"].get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
