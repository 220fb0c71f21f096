"""When the dbt models and the serving copy refresh by themselves."""

import dagster as dg

# Every step that touches the DuckDB warehouse runs in this pool; .dagster_home/dagster.yaml
# limits it to one step at a time, so runs queue instead of failing on DuckDB's writer lock.
WAREHOUSE_POOL = "duckdb_warehouse"

# Eager, but not held back by missing partitions upstream: the raw tables are partitioned per
# landing file version, and each file fills only its own source's table, so every raw table
# always has "missing" partitions (the other sources' files). Runs never overlap on DuckDB:
# every step that touches the warehouse is in the `duckdb_warehouse` pool (limit 1).
REFRESH_AFTER_UPSTREAM = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
