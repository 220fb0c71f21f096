-- The orders this build recomputes, from the change set: the file versions of the ledger not
-- yet published (ingest/change_set.py). Every order in their rows; every order whose winning
-- row came from a path that has a new version (the loader deleted the old version's rows);
-- for Shopee, every order of a shop one of whose exports was replaced (an order's lines can
-- win from several exports). previous_order_date and previous_umkm_key are the date and UMKM the
-- order had in fct_orders before this build, read as the last build left it. Empty when
-- fct_orders does not exist yet or the build is a full refresh: every incremental model then
-- builds from all rows.
-- (An enrollment file changes which UMKM and program an old order belongs to: Dagster builds
-- in full when one arrives, orchestration/assets/dbt.py.)
-- depends_on: {{ ref('stg_gobiz__transactions') }}
-- depends_on: {{ ref('stg_shopee__order_lines') }}
-- depends_on: {{ ref('stg_uvo__transactions') }}
-- depends_on: {{ ref('stg_mbizmarket__orders') }}
{%- set previous = previous_relation('fct_orders') %}
with

ledger as (

    select * from {{ ref('stg_pipeline__landing_files') }}

),

changed_versions as (

    select landing_path, file_sha256, source from ledger where published_at is null

),

-- read by the incremental branch below only: a full build leaves it unused
replaced_paths as (  -- noqa: ST03

    select distinct changed_versions.landing_path, changed_versions.source
    from changed_versions
    inner join ledger
        on changed_versions.landing_path = ledger.landing_path
        and changed_versions.file_sha256 <> ledger.file_sha256

),

{%- if previous is none or flags.FULL_REFRESH %}

changed_orders as (

    select
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as order_id
    where 1 = 0

),

previous_orders as (

    select
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as date) as order_date,
        cast(null as {{ dbt.type_string() }}) as umkm_key
    where 1 = 0

)

{%- else %}

-- read three times, each with its own filter: materialized whole it would copy every order
previous_orders as {{ cte_hint('not materialized') }}(

    select platform, platform_merchant_id, order_id, order_date, umkm_key, landing_path
    from {{ previous }}

),

changed_orders as (

    select 'gofood' as platform, transaction_id as order_id
    from {{ ref('stg_gobiz__transactions') }}
    where (landing_path, file_sha256) in (select landing_path, file_sha256 from changed_versions)

    union

    select 'shopee' as platform, order_id
    from {{ ref('stg_shopee__order_lines') }}
    where (landing_path, file_sha256) in (select landing_path, file_sha256 from changed_versions)

    union

    select 'uvo' as platform, transaction_id as order_id
    from {{ ref('stg_uvo__transactions') }}
    where (landing_path, file_sha256) in (select landing_path, file_sha256 from changed_versions)

    union

    select 'mbizmarket' as platform, order_id
    from {{ ref('stg_mbizmarket__orders') }}
    where (landing_path, file_sha256) in (select landing_path, file_sha256 from changed_versions)

    union

    select platform, order_id
    from previous_orders
    where landing_path in (select landing_path from replaced_paths)

    union

    select platform, order_id
    from previous_orders
    where platform = 'shopee'
      and platform_merchant_id in (
          select {{ dbt.split_part('landing_path', "'/'", 2) }}   -- shopee/<shop_id>/...
          from replaced_paths
          where source = 'shopee')

)

{%- endif %}

select
    changed_orders.platform,
    changed_orders.order_id,
    previous_orders.order_date as previous_order_date,
    previous_orders.umkm_key as previous_umkm_key

from changed_orders
left join previous_orders
    on changed_orders.platform = previous_orders.platform
    and changed_orders.order_id = previous_orders.order_id
