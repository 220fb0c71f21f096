"""Freshness: partner feeds that stopped delivering, and marts older than the newest raw load.

Two views, side by side in the UI:
- the checks below read the file ledger (when files landed) rather than Dagster's
  materialization times: a feed is stale when no new file *landed*, whatever ran since;
- Dagster's own freshness status (`FreshnessPolicy.time_window`, evaluated by the daemon of
  `dagster dev`): the partner feeds' raw tables and the marts every build refreshes should have
  materialized within UMKM_FEED_STALE_DAYS days (WARN after half of it).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import dagster as dg
import duckdb
from dagster_dbt import get_asset_key_for_model

from ingest.settings import Settings
from orchestration.assets.dbt import umkm_dbt_models
from orchestration.assets.ingest import SOURCE_KEYS
from orchestration.assets.postgres import postgres_marts
from orchestration.assets.serving import MARTS, serving_marts
from orchestration.automation import WAREHOUSE_POOL
from orchestration.resources import UmkmSettings
from orchestration.status import PARTNER_FEEDS, feed_age_days, is_stale, newest_file_per_source


def stale_days() -> float:
    return Settings.from_env().feed_stale_days


def freshness_policy() -> dg.FreshnessPolicy:
    """Materialized within UMKM_FEED_STALE_DAYS days; WARN after half of that (Dagster's minimum: 1 min)."""
    fail = max(timedelta(days=stale_days()), timedelta(minutes=2))
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=max(fail / 2, timedelta(minutes=1)))


def fresh_keys() -> set[dg.AssetKey]:
    """The partner feeds' raw tables, the marts every build refreshes (the serving copy's deps, not
    the survey's or the dims, which change rarely), and their publications."""
    return ({SOURCE_KEYS[feed] for feed in PARTNER_FEEDS}
            | {get_asset_key_for_model([umkm_dbt_models], name) for name in MARTS}
            | {serving_marts.key, postgres_marts.key})


def with_freshness_policies(assets: Sequence) -> list:
    """The assets, those of `fresh_keys` with Dagster's own freshness policy."""
    policy, keys = freshness_policy(), fresh_keys()
    return dg.map_asset_specs(
        lambda spec: spec.replace_attributes(freshness_policy=policy) if spec.key in keys else spec, assets)


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("feed_is_fresh", asset=SOURCE_KEYS[feed],
                             description=f"A new {feed} file landed within UMKM_FEED_STALE_DAYS days")
           for feed in PARTNER_FEEDS],
    pool=WAREHOUSE_POOL,
)
def partner_feeds_fresh(umkm: UmkmSettings):
    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        newest = newest_file_per_source(con)
    finally:
        con.close()
    now, limit = datetime.now(timezone.utc).replace(tzinfo=None), stale_days()
    for feed in PARTNER_FEEDS:
        landed = newest.get(feed)
        age_days = feed_age_days(landed, now)
        yield dg.AssetCheckResult(
            asset_key=SOURCE_KEYS[feed], check_name="feed_is_fresh",
            passed=not is_stale(age_days, limit), severity=dg.AssetCheckSeverity.WARN,
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
