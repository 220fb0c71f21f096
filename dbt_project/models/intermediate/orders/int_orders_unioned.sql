-- Every deduplicated order of the three platforms in one shape, with the UMKM it belongs to:
-- the umkm_key of the deduplicated enrollment whose program runs on the order's platform
-- and whose platform_merchant_id is the order's merchant (the latest landed one if several).
{%- set order_columns = [
    'platform', 'order_id', 'platform_merchant_id', 'feature', 'order_date', 'order_ts_utc',
    'status_raw', 'is_counted', 'buyer_country', 'currency', 'amount_original', 'amount_idr',
    'landing_path', 'file_landed_at', 'loaded_at'
] %}
with

gofood as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_gofood_transactions_deduped') }}

),

shopee as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_shopee_orders_summed') }}

),

uvo as (

    select {{ order_columns | join(', ') }}
    from {{ ref('int_uvo_transactions_converted') }}

),

orders as (

    select * from gofood
    union all
    select * from shopee
    union all
    select * from uvo

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
    orders.platform,
    orders.order_id,
    orders.platform_merchant_id,
    merchants.umkm_key,
    orders.feature,
    orders.order_date,
    orders.order_ts_utc,
    orders.status_raw,
    orders.is_counted,
    orders.buyer_country,
    orders.currency,
    orders.amount_original,
    orders.amount_idr,
    orders.landing_path,
    orders.file_landed_at,
    orders.loaded_at

from orders
left join merchants
    on orders.platform = merchants.platform
   and orders.platform_merchant_id = merchants.platform_merchant_id
