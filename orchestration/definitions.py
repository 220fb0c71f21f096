"""The one Definitions root: ingest, dbt, serving, freshness checks, sensors and schedules."""

import dagster as dg

from ingest.memory import freeze_long_lived
from ingest.settings import Settings
from orchestration.assets.dbt import dbt_cli_resource, umkm_dbt_models
from orchestration.assets.ingest import landing_reconciliation, raw_files
from orchestration.assets.postgres import PostgresServing, postgres_marts
from orchestration.assets.quality import QUALITY_CHECKS
from orchestration.assets.serving import serving_marts
from orchestration.freshness import FRESHNESS_CHECKS, with_freshness_policies
from orchestration.jobs import (freshness_job, freshness_schedule, full_refresh_job, load_landing_file_job,
                                nightly_schedule, refresh_marts_job)
from orchestration.resources import UmkmSettings
from orchestration.sensors import alert_on_run_failure, landing_file_sensor, refresh_after_file_loads

ALL_ASSETS = [raw_files, landing_reconciliation, umkm_dbt_models, serving_marts]
ALL_CHECKS = [*FRESHNESS_CHECKS, *QUALITY_CHECKS]


def build_resources() -> dict:
    postgres = PostgresServing.from_settings(Settings.from_env())
    return {"umkm": UmkmSettings.from_env(), "dbt": dbt_cli_resource(), **({"postgres": postgres} if postgres else {})}


def build_definitions() -> dg.Definitions:
    """Built from the environment of the moment (`umkm run` and tests build their own). The
    PostgreSQL publication is a step only where UMKM_POSTGRES_URL is set."""
    postgres = [postgres_marts] if Settings.from_env().postgres_url else []
    return dg.Definitions(
        assets=with_freshness_policies([*ALL_ASSETS, *postgres]),
        asset_checks=ALL_CHECKS,
        jobs=[load_landing_file_job, refresh_marts_job, full_refresh_job, freshness_job],
        schedules=[nightly_schedule, freshness_schedule],
        sensors=[landing_file_sensor, refresh_after_file_loads, alert_on_run_failure],
        resources=build_resources(),
    )


defs = build_definitions()
freeze_long_lived()   # the imports above live as long as the process
