-- One row per Mbizmarket order (No. Pesanan): the latest landed version wins (exports overlap by
-- date range and an order moves Dikirim -> Diterima -> Selesai). The turnover is Subtotal, before
-- VAT and shipping; Total Pesanan is kept beside it, never counted (data contract 2.6).
-- Incremental: a build recomputes the orders of int_orders_changed from all their loaded rows
-- (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.order_id in (" ~ changed_orders('mbizmarket') ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
with

orders as (

    select * from {{ ref('stg_mbizmarket__orders') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('mbizmarket') }})
    {%- endif %}

),

ranked as (

    select
        orders.*,
        row_number() over (
            partition by order_id
            order by {{ latest_landed_order('orders') }}
        ) as version_rank

    from orders

)

select
    'mbizmarket' as platform,
    order_id,
    vendor_id as platform_merchant_id,
    cast(null as {{ dbt.type_string() }}) as feature,
    order_date_wib as order_date,
    order_ts_utc,
    order_status as status_raw,
    is_completed as is_counted,
    'ID' as buyer_country,
    'IDR' as currency,
    subtotal as amount_original,
    cast(subtotal as decimal(18, 2)) as amount_idr,
    cast(order_total as decimal(18, 2)) as order_total,
    landing_path,
    file_landed_at,
    loaded_at

from ranked
where version_rank = 1
