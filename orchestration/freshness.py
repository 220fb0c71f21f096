"""Freshness: partner feeds that stopped delivering, and marts older than the newest raw load.

Both read the file ledger (when files landed) rather than Dagster's materialization times:
a feed is stale when no new file *landed*, whatever ran since.
"""

from datetime import datetime, timezone

import dagster as dg
import duckdb

from ingest.settings import Settings
from orchestration.assets.ingest import SOURCE_KEYS
from orchestration.assets.serving import serving_marts
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings

PARTNER_FEEDS = ("gofood", "shopee", "uvo")


def stale_days() -> float:
    return Settings.from_env().feed_stale_days


def newest_file_per_source(warehouse) -> dict[str, datetime]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("select source, max(first_seen) from raw.landing_files "
                                "where status = 'loaded' group by source").fetchall())
    finally:
        con.close()


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("feed_is_fresh", asset=SOURCE_KEYS[feed],
                             description=f"A new {feed} file landed within UMKM_FEED_STALE_DAYS days")
           for feed in PARTNER_FEEDS],
    pool=WAREHOUSE_POOL,
)
def partner_feeds_fresh(umkm: UmkmSettings):
    newest = newest_file_per_source(umkm.warehouse)
    now, limit = datetime.now(timezone.utc).replace(tzinfo=None), stale_days()
    for feed in PARTNER_FEEDS:
        landed = newest.get(feed)
        age_days = None if landed is None else (now - landed).total_seconds() / 86400
        yield dg.AssetCheckResult(
            asset_key=SOURCE_KEYS[feed], check_name="feed_is_fresh",
            passed=age_days is not None and age_days <= limit, severity=dg.AssetCheckSeverity.WARN,
            metadata={"newest_file_first_seen": str(landed), "stale_after_days": limit,
                      "age_days": round(age_days, 2) if age_days is not None else -1})


@dg.asset_check(asset=serving_marts, pool=WAREHOUSE_POOL,
                description="The published marts include the newest raw load")
def marts_include_newest_load(context: dg.AssetCheckExecutionContext, umkm: UmkmSettings) -> dg.AssetCheckResult:
    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        [(newest_load,)] = con.execute("select max(loaded_at) from raw.landing_files").fetchall()
    finally:
        con.close()
    event = context.instance.get_latest_materialization_event(serving_marts.key)
    published = (datetime.fromtimestamp(event.timestamp, timezone.utc).replace(tzinfo=None)
                 if event else None)
    current = newest_load is None or (published is not None and published >= newest_load)
    return dg.AssetCheckResult(passed=current, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"newest_raw_load": str(newest_load), "marts_published": str(published)})


FRESHNESS_CHECKS = [partner_feeds_fresh, marts_include_newest_load]
