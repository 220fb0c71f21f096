-- One row per order, counted or not, on every platform (the deduplicated orders of GoBiz, Shopee
-- with its lines summed, UVO, and Mbizmarket with its Subtotal as the amount). umkm_key is that of
-- the deduplicated enrollment whose program runs on the order's platform and whose
-- platform_merchant_id is the order's merchant (the latest landed one if several); null when the
-- merchant is in no enrollment.
-- Incremental: a build recomputes the orders of int_orders_changed (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=[
        "(DBT_INTERNAL_DEST.platform, DBT_INTERNAL_DEST.order_id) in (" ~ changed_orders() ~ ")"],
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
{%- set order_columns = [
    'platform', 'order_id', 'platform_merchant_id', 'feature', 'order_date', 'order_ts_utc',
    'status_raw', 'is_counted', 'buyer_country', 'currency', 'amount_original', 'amount_idr',
    'landing_path'
] %}
with

gofood as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_gofood_transactions_deduped') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('gofood') }})
    {%- endif %}

),

shopee as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_shopee_orders_summed') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('shopee') }})
    {%- endif %}

),

uvo as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_uvo_transactions_converted') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('uvo') }})
    {%- endif %}

),

mbizmarket as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_mbizmarket_orders_deduped') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('mbizmarket') }})
    {%- endif %}

),

orders as (

    select * from gofood
    union all
    select * from shopee
    union all
    select * from uvo
    union all
    select * from mbizmarket

),

enrollments as (

    select * from {{ ref('int_enrollments_deduped') }}
    where platform is not null

),

merchants_ranked as (

    select
        platform,
        platform_merchant_id,
        umkm_key,
        row_number() over (
            partition by platform, platform_merchant_id
            order by {{ latest_landed_order('enrollments') }}
        ) as merchant_rank

    from enrollments

),

merchants as (

    select platform, platform_merchant_id, umkm_key
    from merchants_ranked
    where merchant_rank = 1

)

select
    cast(orders.platform as {{ dbt.type_string() }}) as platform,
    cast(orders.order_id as {{ dbt.type_string() }}) as order_id,
    cast(orders.platform_merchant_id as {{ dbt.type_string() }}) as platform_merchant_id,
    cast(merchants.umkm_key as {{ dbt.type_string() }}) as umkm_key,
    cast(orders.feature as {{ dbt.type_string() }}) as feature,
    cast(orders.order_date as date) as order_date,
    cast(orders.order_ts_utc as {{ dbt.type_timestamp() }}) as order_ts_utc,
    cast(orders.status_raw as {{ dbt.type_string() }}) as status_raw,
    cast(orders.is_counted as {{ dbt.type_boolean() }}) as is_counted,
    cast(orders.buyer_country as {{ dbt.type_string() }}) as buyer_country,
    cast(orders.currency as {{ dbt.type_string() }}) as currency,
    cast(orders.amount_original as decimal(18, 2)) as amount_original,
    cast(orders.amount_idr as decimal(18, 2)) as amount_idr,
    cast(orders.landing_path as {{ dbt.type_string() }}) as landing_path

from orders
left join merchants
    on orders.platform = merchants.platform
    and orders.platform_merchant_id = merchants.platform_merchant_id
