-- Selling through PPKM: per restriction period, platform, region and sector (of the UMKM, from
-- dim_umkm; null for orders of merchants in no enrollment), the counted orders of fct_orders dated
-- inside the period and in its baseline, the n_days days just before start_date. Sellers are
-- counted by umkm_key, else by merchant id (platform and platform_merchant_id). One row per
-- combination with a counted order in either window.
-- Incremental: a build recomputes the periods that changed orders fall in, or all when a file
-- feeding dim_umkm changed (macros/incremental_recompute.sql); a new day after the last period
-- recomputes none. It reads only the counted orders dated inside the span of those periods.
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.period_id in (" ~ changed_restriction_periods() ~ ")"],
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
-- depends_on: {{ ref('int_orders_recomputed') }}
-- depends_on: {{ ref('stg_pipeline__landing_files') }}
with

periods as (

    select
        period_id,
        period_name,
        start_date,
        end_date,
        n_days,
        cast({{ dbt.dateadd('day', '0 - n_days', 'start_date') }} as date) as baseline_start_date
    from {{ ref('stg_reference__restriction_periods') }}
    {%- if is_incremental() %}
    where period_id in ({{ changed_restriction_periods() }})
    {%- endif %}

),

orders as (

    select
        platform,
        platform_merchant_id,
        umkm_key,
        order_date,
        amount_idr
    from {{ ref('fct_orders') }}
    where
        is_counted
        and order_date >= (select min(spanned.baseline_start_date) from periods as spanned)
        and order_date <= (select max(spanned.end_date) from periods as spanned)

),

period_orders as (

    select
        periods.period_id,
        orders.platform,
        orders.umkm_key,
        coalesce(
            orders.umkm_key,
            {{ dbt.concat(["'merchant:'", "orders.platform", "':'", "orders.platform_merchant_id"]) }}
        ) as seller_id,
        orders.order_date >= periods.start_date as is_during,
        orders.amount_idr
    from periods
    inner join orders
        on orders.order_date between periods.baseline_start_date and periods.end_date

),

summed as (

    select
        period_orders.period_id,
        period_orders.platform,
        umkm.region_code,
        umkm.sector_code,
        sum(case when period_orders.is_during then 1 else 0 end) as n_orders_during,
        count(distinct case when period_orders.is_during then period_orders.seller_id end) as n_active_umkm_during,
        sum(case when period_orders.is_during then period_orders.amount_idr else 0 end) as turnover_during_idr,
        sum(case when period_orders.is_during then 0 else 1 end) as n_orders_baseline,
        count(distinct case when not period_orders.is_during then period_orders.seller_id end)
            as n_active_umkm_baseline,
        sum(case when period_orders.is_during then 0 else period_orders.amount_idr end) as turnover_baseline_idr
    from period_orders
    left join {{ ref('dim_umkm') }} as umkm
        on period_orders.umkm_key = umkm.umkm_key
    group by period_orders.period_id, period_orders.platform, umkm.region_code, umkm.sector_code

)

select
    cast(periods.period_id as {{ dbt.type_string() }}) as period_id,
    cast(periods.period_name as {{ dbt.type_string() }}) as period_name,
    cast(periods.start_date as date) as start_date,
    cast(periods.end_date as date) as end_date,
    cast(periods.n_days as integer) as n_days,
    cast(summed.platform as {{ dbt.type_string() }}) as platform,
    cast(summed.region_code as {{ dbt.type_string() }}) as region_code,
    cast(summed.sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(summed.n_orders_during as {{ dbt.type_bigint() }}) as n_orders_during,
    cast(summed.n_active_umkm_during as {{ dbt.type_bigint() }}) as n_active_umkm_during,
    cast(summed.turnover_during_idr as decimal(18, 2)) as turnover_during_idr,
    cast(summed.n_orders_baseline as {{ dbt.type_bigint() }}) as n_orders_baseline,
    cast(summed.n_active_umkm_baseline as {{ dbt.type_bigint() }}) as n_active_umkm_baseline,
    cast(summed.turnover_baseline_idr as decimal(18, 2)) as turnover_baseline_idr

from summed
inner join periods
    on summed.period_id = periods.period_id
