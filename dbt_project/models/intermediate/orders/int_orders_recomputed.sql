-- The changed orders (int_orders_changed) as fct_orders holds them after this build. The models
-- downstream that need a changed order's date, UMKM or amount read these few rows: DuckDB finds
-- orders by id with a scan of the whole of fct_orders, 0.1-0.2 s at 10 M orders, which eight reads
-- had paid each new day. Empty after a full build, as int_orders_changed is.
with

changed_orders as (

    select platform, order_id from {{ ref('int_orders_changed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

)

select
    orders.platform,
    orders.platform_merchant_id,
    orders.order_id,
    orders.umkm_key,
    orders.feature,
    orders.order_date,
    orders.is_counted,
    orders.buyer_country,
    orders.currency,
    orders.amount_original,
    orders.amount_idr

from orders
where (orders.platform, orders.order_id) in (
    select changed_orders.platform, changed_orders.order_id from changed_orders
)
