-- One row per order, counted or not, on every platform (Shopee: one row per order, lines
-- summed). umkm_key is null when the merchant is in no enrollment.
select
    cast(platform as {{ dbt.type_string() }}) as platform,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(platform_merchant_id as {{ dbt.type_string() }}) as platform_merchant_id,
    cast(umkm_key as {{ dbt.type_string() }}) as umkm_key,
    cast(feature as {{ dbt.type_string() }}) as feature,
    cast(order_date as date) as order_date,
    cast(order_ts_utc as {{ dbt.type_timestamp() }}) as order_ts_utc,
    cast(status_raw as {{ dbt.type_string() }}) as status_raw,
    cast(is_counted as {{ dbt.type_boolean() }}) as is_counted,
    cast(buyer_country as {{ dbt.type_string() }}) as buyer_country,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(amount_original as decimal(18, 2)) as amount_original,
    cast(amount_idr as decimal(18, 2)) as amount_idr,
    cast(landing_path as {{ dbt.type_string() }}) as landing_path
from {{ ref('int_orders_unioned') }}
