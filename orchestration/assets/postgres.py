"""PostgreSQL serving (marts-contract section 4): each publication of the serving copy also goes to
PostgreSQL, as a step of its own after the DuckDB serving copy (`orchestration.postgres_serving`).

Defined only when UMKM_POSTGRES_URL is set. A PostgreSQL that is down fails this step alone: the
DuckDB serving copy is already published, and the run reports the failed step.
"""

import dagster as dg

from ingest.settings import Settings
from orchestration.assets.serving import serving_marts
from orchestration.postgres_serving import (PostgresPublishError, PostgresUnavailable, describe,
                                            publish_to_postgres)
from orchestration.resources import UmkmSettings


class PostgresServing(dg.ConfigurableResource):
    """Where the marts go in PostgreSQL. The URL (with its password) and the reader's password are
    read from the settings when the step runs, never kept in the run config the UI shows."""

    target: str                      # the URL without its password
    schema_name: str = "marts"
    reader: str = "umkm_reader"      # the read-only role for BI tools ("": none)

    @classmethod
    def from_settings(cls, settings: Settings) -> "PostgresServing | None":
        if not settings.postgres_url:
            return None
        return cls(target=describe(settings.postgres_url), schema_name=settings.postgres_schema,
                   reader=settings.postgres_reader)


@dg.asset(deps=[serving_marts], group_name="serving", kinds={"postgres"}, owners=["team:data-platform"])
def postgres_marts(context: dg.AssetExecutionContext, umkm: UmkmSettings,
                   postgres: PostgresServing) -> dg.MaterializeResult:
    """The serving copy's tables in PostgreSQL (UMKM_POSTGRES_URL, schema UMKM_POSTGRES_SCHEMA),
    swapped in whole within one transaction; fct_orders partitioned by month: only the months the
    serving copy rewrote, and the tables whose rows changed, are copied. A read-only role
    (UMKM_POSTGRES_READER) for BI tools."""
    settings = Settings.from_env()
    if not settings.postgres_url:
        raise dg.Failure("PostgreSQL publication failed: UMKM_POSTGRES_URL is not set in this process")
    try:
        publication = publish_to_postgres(umkm.serving, settings.postgres_url, postgres.schema_name,
                                          postgres.reader or None, settings.postgres_reader_password)
    except (PostgresUnavailable, PostgresPublishError) as error:
        raise dg.Failure(description=str(error)) from None
    for note in publication.notes:
        context.log.warning(note)
    context.log.info(f"PostgreSQL {publication.target}: version {publication.version} in {publication.seconds:.1f}s, "
                     f"{publication.rows_copied} rows copied; fct_orders months copied "
                     f"{', '.join(publication.months_copied) or 'none'}, {publication.months_kept} kept; "
                     f"tables kept: {', '.join(publication.tables_kept) or 'none'}")
    return dg.MaterializeResult(metadata={
        "target": publication.target,
        "version": publication.version or "",
        "dagster/row_count": sum(publication.counts.values()),
        "rows_copied": publication.rows_copied,
        "fct_orders_months_copied": len(publication.months_copied),
        "fct_orders_months_kept": publication.months_kept,
        "tables_kept": ", ".join(publication.tables_kept),
        "seconds": round(publication.seconds, 2),
        "swap_retries": publication.swap_retries,
        **{f"rows_{table}": count for table, count in publication.counts.items()},
    })
