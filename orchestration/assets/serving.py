"""The serving copy of the marts for BI tools (marts-contract section 4)."""


import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import umkm_dbt_models
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings
from orchestration.serving import SERVING_DB, publish_marts

MARTS = ["dim_region", "dim_program", "dim_umkm", "fct_orders", "mart_impact_summary",
         "mart_turnover_monthly", "mart_program_summary", "mart_data_quality"]


@dg.asset(deps=[get_asset_key_for_model([umkm_dbt_models], name) for name in MARTS],
          group_name="serving", kinds={"duckdb", "parquet"}, owners=["team:data-platform"],
          pool=WAREHOUSE_POOL)
def serving_marts(context: dg.AssetExecutionContext, umkm: UmkmSettings) -> dg.MaterializeResult:
    """marts.duckdb and <mart>.parquet in UMKM_SERVING_DIR, replaced atomically."""
    counts = publish_marts(umkm.warehouse, umkm.serving)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(umkm.serving / SERVING_DB)),
        "dagster/row_count": sum(counts.values()),
        **{f"rows_{table}": count for table, count in counts.items()},
    })
