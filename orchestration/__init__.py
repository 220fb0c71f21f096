"""Dagster definitions and the `umkm` command, thin over `ingest/` and `dbt_project/`."""
