"""How runs share the warehouse."""

# Every step that touches the DuckDB warehouse runs in this pool; .dagster_home/dagster.yaml
# limits it to one step at a time, so runs queue instead of failing on DuckDB's writer lock.
WAREHOUSE_POOL = "duckdb_warehouse"
