"""Great Expectations suites as Dagster asset checks (our own wiring: dagster-ge is GX 0.x only).

Every raw table and mart of `quality.suites` gets two checks:
- `gx_error_expectations` (blocking, severity ERROR): when it fails, the assets downstream of
  its asset do not run in that run. On the raw tables that stops `dbt build` (the marts keep
  their last good state) and the serving copy; on the marts it stops the serving copy.
- `gx_warn_expectations` (severity WARN): annotates, never blocks.
Their metadata lists each failed expectation with its unexpected count and a few samples:
values of the narrowed, non-personal columns and the rows they came from (landing path and row
number, or the mart's key). The GX Data Docs of the layer are rewritten at each evaluation.

The work is proportional to what changed (`quality.scope`): the row rules look at the rows of the
run's change set (the file versions not yet published); a failing ERROR rule stops the
publication, so the same versions are checked again next run. Table-level rules and the small
marts are validated whole when the change set is not empty; with nothing new, GX is not even
imported.
"""

import dagster as dg

from ingest.memory import DUCKDB_CONFIG, release_memory
from orchestration.assets.dbt import RECONCILIATION_KEY
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings
from orchestration.run_change_set import run_change_set
from orchestration.assets.serving import MARTS as ORDER_MARTS
from quality.suites import ERROR, MART_TARGETS, RAW_TARGETS, WARN, Target

ERROR_CHECK = "gx_error_expectations"
WARN_CHECK = "gx_warn_expectations"
SEVERITIES = {ERROR: dg.AssetCheckSeverity.ERROR, WARN: dg.AssetCheckSeverity.WARN}
CHECK_NAMES = {ERROR: ERROR_CHECK, WARN: WARN_CHECK}


def target_key(target: Target) -> dg.AssetKey:
    return dg.AssetKey(target.asset_path)


def check_specs(targets, extra_deps=(), with_reads: bool = True) -> list[dg.AssetCheckSpec]:
    """`with_reads`: the relations a suite reads become deps of the check (the raw checks). Not on
    the marts: Dagster skips a step when one of its deps was not built in the run, and dbt builds
    only what changed."""
    specs = []
    for target in targets:
        reads = target.reads if with_reads else ()
        deps = [*extra_deps, *(dg.AssetKey(relation.split(".")) for relation in reads)]
        suites = ", ".join(s.name for s in target.suites)
        for severity in (ERROR, WARN):
            count = len(target.expectations(severity))
            if not count:
                continue
            specs.append(dg.AssetCheckSpec(
                CHECK_NAMES[severity], asset=target_key(target), blocking=severity == ERROR,
                additional_deps=deps,
                description=f"{count} {severity.upper()} expectations of GX suite(s) {suites}"
                            + (" - blocks downstream assets when one fails" if severity == ERROR else "")))
    return specs


def check_results(result, selected, docs_index=None) -> list[dg.AssetCheckResult]:
    """The ERROR and WARN check results of one target's validation."""
    from quality.validate import Outcome

    out = []
    for severity, name in CHECK_NAMES.items():
        key = dg.AssetCheckKey(target_key(result.target), name)
        if key not in selected:
            continue
        evaluated: list[Outcome] = result.of(severity)
        failed = result.failures(severity)
        metadata = {
            "scope": result.scope,
            "expectations": len(evaluated),
            "failed_expectations": len(failed),
            "unexpected_rows": sum(o.unexpected_count or 0 for o in failed),
            "rows_validated": sum(result.rows.values()),
            "seconds": round(result.seconds, 3),
            "suites": ", ".join(s.name for s in result.target.suites),
        }
        if docs_index is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(docs_index))
        if failed:
            metadata["failures"] = dg.MetadataValue.md(failures_table(failed))
            metadata["failures_json"] = dg.MetadataValue.json([o.as_dict() for o in failed])
        out.append(dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=name, passed=not failed, severity=SEVERITIES[severity],
            metadata=metadata, description="\n".join(o.summary() for o in failed[:3]) or None))
    return out


def failures_table(failed) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| suite | rule | expectation | unexpected | % | sample values | sample rows |", "|---" * 7 + "|"]
    for o in failed:
        percent = "" if o.unexpected_percent is None else f"{o.unexpected_percent:.2f}"
        count = o.unexpected_count if o.unexpected_count is not None else (o.error or o.observed or "")
        lines.append("| " + " | ".join(cell(v) for v in (
            o.suite, o.notes, o.rule, count, percent, ", ".join(o.sample_values), "<br>".join(o.sample_rows))) + " |")
    return "\n".join(lines)


def run_checks(context: dg.AssetCheckExecutionContext, umkm: UmkmSettings, targets, layer: str):
    import duckdb

    from quality.scope import plan_scopes

    selected = context.selected_asset_check_keys
    targets = [t for t in targets if any(k.asset_key == target_key(t) for k in selected)]
    con = duckdb.connect(str(umkm.warehouse), config={**DUCKDB_CONFIG, "access_mode": "READ_ONLY"})
    try:
        change_set = run_change_set(context, con)
        if change_set.empty and not change_set.rebuilt:   # nothing new since the last publication, which passed
            context.log.info(f"GX suites on the {layer} layer: {change_set.describe()}; not validated again")
            yield from unchanged_results(targets, selected)
            return
        from quality.docs import docs_dir_from_env
        from quality.validate import summarize, validate_targets

        site = docs_dir_from_env(umkm.warehouse) / "gx" / layer
        results = validate_targets(con, targets, docs_site=site, scopes=plan_scopes(targets, change_set))
    finally:
        con.close()
        release_memory()
    context.log.info(f"GX suites on the {layer} layer ({change_set.describe()}):\n{summarize(results)}")
    for result in results:
        yield from check_results(result, selected, site / "index.html")


def unchanged_results(targets, selected) -> list[dg.AssetCheckResult]:
    """Passed, without GX (not even imported): nothing changed since these rules last passed."""
    return [dg.AssetCheckResult(asset_key=target_key(target), check_name=name, passed=True,
                                severity=SEVERITIES[severity], metadata={"scope": "nothing new"})
            for target in targets for severity, name in CHECK_NAMES.items()
            if dg.AssetCheckKey(target_key(target), name) in selected]


@dg.multi_asset_check(
    specs=check_specs(RAW_TARGETS, extra_deps=[RECONCILIATION_KEY]), name="raw_quality_checks",
    can_subset=True, pool=WAREHOUSE_POOL,
    description="GX suites on the raw tables: row rules on the file versions not yet checked, table rules on "
                "everything; ERROR failures keep dbt from rebuilding the marts.")
def raw_quality_checks(context: dg.AssetCheckExecutionContext, umkm: UmkmSettings):
    yield from run_checks(context, umkm, RAW_TARGETS, "raw")


# The marts every dbt build makes (downstream of the file ledger, the serving asset's deps) are
# checked in one step that gates the publication; the others (dims, the impact summary) in one
# that runs when dbt rebuilt them (Dagster skips it otherwise), and the publication refuses to run
# after a failed ERROR check of either (orchestration/assets/serving.py).
ORDER_MART_TARGETS = tuple(t for t in MART_TARGETS if t.table in ORDER_MARTS)
OTHER_MART_TARGETS = tuple(t for t in MART_TARGETS if t.table not in ORDER_MARTS)


def mart_checks(name: str, targets, description: str) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(specs=check_specs(targets, with_reads=False), name=name, can_subset=True,
                          pool=WAREHOUSE_POOL, description=description)
    def checks(context: dg.AssetCheckExecutionContext, umkm: UmkmSettings):
        yield from run_checks(context, umkm, targets, "marts")
    return checks


mart_quality_checks = mart_checks(
    "mart_quality_checks", ORDER_MART_TARGETS,
    "GX suites on the order marts dbt just built (fct_orders: the orders from the change set's paths); "
    "ERROR failures keep them from the serving copy.")
dimension_quality_checks = mart_checks(
    "dimension_quality_checks", OTHER_MART_TARGETS,
    "GX suites on the dims and the impact summary, when dbt rebuilt them; ERROR failures keep the serving "
    "copy from being published.")

QUALITY_CHECKS = [raw_quality_checks, mart_quality_checks, dimension_quality_checks]
