"""Jobs and schedules."""

import dagster as dg

from orchestration.assets.ingest import landing_reconciliation, raw_files
from orchestration.assets.quality import raw_quality_checks
from orchestration.freshness import FRESHNESS_CHECKS
from orchestration.partitions import landing_files

# The GX suites on the raw tables run in the jobs that build the marts, where their blocking
# ERROR checks keep dbt from building on a bad raw batch; not in each per-file load.
RAW_QUALITY = dg.AssetSelection.checks(raw_quality_checks)

# One landing file version (a partition) into the raw tables; the sensor and UI backfills run it.
load_landing_file_job = dg.define_asset_job(
    "load_landing_file", selection=dg.AssetSelection.assets(raw_files) - RAW_QUALITY, partitions_def=landing_files)

# Everything but the per-file loads: load whatever is new, build, publish. `umkm run` runs this
# same job in-process; the schedule runs it nightly.
# Its steps run one after another on the warehouse pool anyway: in one process they import
# Dagster, dbt and GX once, not once per step (a dropped file reaches the serving copy sooner).
full_refresh_job = dg.define_asset_job(
    "full_refresh", selection=dg.AssetSelection.all() - dg.AssetSelection.assets(raw_files) | RAW_QUALITY,
    executor_def=dg.in_process_executor,
    description="Load every new or changed landing file, check it, build what it changes, publish the "
                "serving copy: the run the landing sensor, the nightly schedule and `umkm run` start.")

# The dbt models and the serving copy, after file loads (chained by a run-status sensor).
refresh_marts_job = dg.define_asset_job(
    "refresh_marts", executor_def=dg.in_process_executor,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(raw_files, landing_reconciliation) | RAW_QUALITY,
    description="dbt build and publish the serving copy, from what the raw tables hold now.")

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_reconciliation", job=full_refresh_job, cron_schedule="0 2 * * *",
    execution_timezone="Asia/Jakarta", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 WIB: picks up anything the sensors missed and rebuilds the marts.")

freshness_job = dg.define_asset_job("check_freshness", selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS))
freshness_schedule = dg.ScheduleDefinition(
    name="hourly_freshness", job=freshness_job, cron_schedule="15 * * * *", execution_timezone="Asia/Jakarta",
    default_status=dg.DefaultScheduleStatus.RUNNING)
