-- The orders this build recomputes, found from the file versions loaded since the last build:
-- every order in their rows; every order whose winning row came from a file that was replaced
-- (the loader deleted the old version's rows); for Shopee, every order of a shop one of whose
-- exports was replaced (an order's lines can win from several exports); and every order of a
-- merchant whose enrollments changed (its UMKM, programs or joined dates may have moved).
-- previous_order_month is the month the order had in fct_orders before this build.
-- Built before any incremental model; it reads fct_orders and int_enrollments_deduped as the
-- last build left them (not ref(): they are rebuilt after it). See macros/incremental/.
{{ config(
    materialized='table',
    post_hook="{{ record_change_set() }}",
) }}
-- depends_on: {{ ref('stg_pipeline__landing_files') }}
-- depends_on: {{ ref('stg_gobiz__transactions') }}
-- depends_on: {{ ref('stg_shopee__order_lines') }}
-- depends_on: {{ ref('stg_uvo__transactions') }}
-- depends_on: {{ ref('stg_registry__enrollments') }}
-- depends_on: {{ ref('stg_reference__programs') }}
{%- set plan = change_set_plan() %}
{%- set order_sources = {
    'gofood': (ref('stg_gobiz__transactions'), 'transaction_id'),
    'shopee': (ref('stg_shopee__order_lines'), 'order_id'),
    'uvo': (ref('stg_uvo__transactions'), 'transaction_id'),
} %}
{%- set changed = plan.get('changed_sources', []) %}
{%- set replaced = plan.get('replaced_sources', []) %}

{%- if plan.mode != 'changed' %}

-- no change set (first build, --full-refresh, changed code): every incremental model rebuilds in full
select
    cast(null as {{ dbt.type_string() }}) as platform,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as date) as previous_order_month
where 1 = 0

{%- else %}

with

ledger as (

    select * from {{ ref('stg_pipeline__landing_files') }}

),

processed as (

    select * from {{ landing_snapshot_relation() }}

),

-- file versions the last build did not see (a version loaded again has a new first_seen)
changed_versions as (

    select ledger.landing_path, ledger.file_sha256, ledger.source
    from ledger
    left join processed
        on processed.landing_path = ledger.landing_path
       and processed.sha256 = ledger.file_sha256
       and processed.first_seen = ledger.first_seen
    where processed.landing_path is null

),

-- paths of which the last build saw another version: that version's rows are gone from raw
replaced_paths as (

    select distinct changed_versions.landing_path, changed_versions.source
    from changed_versions
    inner join processed
        on processed.landing_path = changed_versions.landing_path

),

previous_orders as (

    select platform, platform_merchant_id, order_id, order_date, landing_path
    from {{ model_relation('fct_orders') }}

),

{%- if 'enrollment' in changed %}

changed_merchants as (

    select programs.platform, enrollments.platform_merchant_id
    from {{ ref('stg_registry__enrollments') }} as enrollments
    inner join {{ ref('stg_reference__programs') }} as programs
        on programs.program_id = enrollments.program_id
    where enrollments.loaded_at >= {{ change_set_since(plan, 'enrollment') }}
      and (enrollments.landing_path, enrollments.file_sha256) in (
          select landing_path, file_sha256 from changed_versions)

    {%- if 'enrollment' in replaced %}

    union

    select platform, platform_merchant_id
    from {{ model_relation('int_enrollments_deduped') }}
    where landing_path in (select landing_path from replaced_paths)

    {%- endif %}

),

{%- endif %}

changed_orders as (

    select platform, order_id from previous_orders where 1 = 0

    {%- for source, read in order_sources.items() if source in changed %}

    union

    select '{{ source }}' as platform, {{ read[1] }} as order_id
    from {{ read[0] }}
    where loaded_at >= {{ change_set_since(plan, source) }}
      and (landing_path, file_sha256) in (select landing_path, file_sha256 from changed_versions)

    {%- endfor %}

    {%- if replaced | select('in', order_sources) | list %}

    union

    select platform, order_id
    from previous_orders
    where landing_path in (select landing_path from replaced_paths)

    {%- endif %}

    {%- if 'shopee' in replaced %}

    union

    select platform, order_id
    from previous_orders
    where platform = 'shopee'
      and platform_merchant_id in (
          select {{ dbt.split_part('landing_path', "'/'", 2) }}   -- shopee/<shop_id>/...
          from replaced_paths
          where source = 'shopee')

    {%- endif %}

    {%- if 'enrollment' in changed %}

    union

    select platform, order_id
    from previous_orders
    where (platform, platform_merchant_id) in (select platform, platform_merchant_id from changed_merchants)

    {%- endif %}

)

select
    changed_orders.platform,
    changed_orders.order_id,
    cast({{ dbt.date_trunc('month', 'previous_orders.order_date') }} as date) as previous_order_month

from changed_orders
left join previous_orders
    on previous_orders.platform = changed_orders.platform
   and previous_orders.order_id = changed_orders.order_id

{%- endif %}
