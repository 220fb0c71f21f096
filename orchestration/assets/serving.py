"""The serving copy of the marts for BI tools (marts-contract section 4)."""


import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import umkm_dbt_models
from ingest.change_set import FULL_REBUILD_SOURCES, mark_published
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings
from orchestration.run_change_set import run_change_set
from orchestration.serving import SERVING_DB, publish_marts

MARTS = ["dim_region", "dim_program", "dim_umkm", "fct_orders", "mart_impact_summary",
         "mart_turnover_monthly", "mart_program_summary", "mart_data_quality"]


@dg.asset(deps=[get_asset_key_for_model([umkm_dbt_models], name) for name in MARTS],
          group_name="serving", kinds={"duckdb", "parquet"}, owners=["team:data-platform"],
          pool=WAREHOUSE_POOL)
def serving_marts(context: dg.AssetExecutionContext, umkm: UmkmSettings) -> dg.MaterializeResult:
    """marts.duckdb, <mart>.parquet and fct_orders/<month>.parquet in UMKM_SERVING_DIR, replaced
    atomically; only the order dates and months of fct_orders that the run's change set touches
    are rewritten. Then the ledger records the change set as published."""
    import duckdb

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
