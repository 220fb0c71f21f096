"""The serving copy of the marts for BI tools (marts-contract section 4)."""


import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import umkm_dbt_models
from ingest.change_set import FULL_REBUILD_SOURCES, mark_published
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings
from orchestration.run_change_set import run_change_set
from orchestration.serving import SERVING_DB, publish_marts

# The publication copies every table of schema marts. Its Dagster deps are the marts every dbt
# build makes (those downstream of the file ledger, orchestration/dbt_plan.py): Dagster skips a
# step when one of its deps was not materialized in the run, and dbt builds only what changed,
# so a dim that did not change must not hold the publication back.
MARTS = ["fct_orders", "mart_turnover_monthly", "mart_program_summary", "mart_data_quality", "mart_rejected_rows",
         "mart_intervention_outcomes", "mart_restriction_periods"]


def refuse_after_failed_checks(context: dg.AssetExecutionContext) -> None:
    """No publication after a failed ERROR check in this run, also of a mart that is not a dep."""
    records = context.instance.all_logs(context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = [e.dagster_event.event_specific_data for e in records
              if not e.dagster_event.event_specific_data.passed
              and e.dagster_event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR]
    if failed:
        raise dg.Failure(f"not published: {len(failed)} blocking check(s) failed in this run: "
                         + ", ".join(f"{c.asset_key.to_user_string()} {c.check_name}" for c in failed[:5]))


@dg.asset(deps=[get_asset_key_for_model([umkm_dbt_models], name) for name in MARTS],
          group_name="serving", kinds={"duckdb", "parquet"}, owners=["team:data-platform"],
          pool=WAREHOUSE_POOL)
def serving_marts(context: dg.AssetExecutionContext, umkm: UmkmSettings) -> dg.MaterializeResult:
    """marts.duckdb, <mart>.parquet and fct_orders/<month>.parquet in UMKM_SERVING_DIR, replaced
    atomically; only the order dates and months of fct_orders that the run's change set touches
    are rewritten. Then the ledger records the change set as published."""
    import duckdb

    refuse_after_failed_checks(context)
    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        change_set = run_change_set(context, con)
    finally:
        con.close()
    full = change_set.rebuilt or bool(change_set.sources & FULL_REBUILD_SOURCES)
    publication = publish_marts(umkm.warehouse, umkm.serving, None if full else change_set.paths)
    con = duckdb.connect(str(umkm.warehouse))
    try:
        published = mark_published(con, change_set)
    finally:
        con.close()
    context.log.info(f"published {publication.version}: marts.duckdb {publication.duckdb_mode} "
                     f"({publication.days_changed} order dates replaced), fct_orders months written "
                     f"{', '.join(publication.months_written) or 'none'}, {publication.months_linked} linked")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(umkm.serving / SERVING_DB)),
        "version": publication.version,
        "dagster/row_count": sum(publication.counts.values()),
        "marts_duckdb": publication.duckdb_mode,
        "order_dates_replaced": publication.days_changed,
        "fct_orders_months_written": len(publication.months_written),
        "fct_orders_months_linked": publication.months_linked,
        "file_versions_published": published,
        **{f"rows_{table}": count for table, count in publication.counts.items()},
    })
