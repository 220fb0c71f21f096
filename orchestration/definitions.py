"""The one Definitions root: raw loads, dbt models, serving copy (and, later, automation)."""

from __future__ import annotations

import dagster as dg
from orchestration.assets.dbt import dbt_cli_resource, umkm_dbt_models
from orchestration.assets.ingest import raw_load
from orchestration.assets.serving import serving_marts
from orchestration.resources import UmkmSettings

ALL_ASSETS = [raw_load, umkm_dbt_models, serving_marts]


def build_resources() -> dict:
    return {"umkm": UmkmSettings.from_env(), "dbt": dbt_cli_resource()}


defs = dg.Definitions(assets=ALL_ASSETS, resources=build_resources())
