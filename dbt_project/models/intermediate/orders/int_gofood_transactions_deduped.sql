-- One row per GoBiz Transaction ID: the latest landed version wins (a re-run report may
-- carry a newer status, e.g. pending -> settlement). Incremental: a build recomputes the
-- transactions of int_orders_changed from all their loaded rows (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.order_id in (" ~ changed_orders('gofood') ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
with

transactions as (

    select * from {{ ref('stg_gobiz__transactions') }}
    {%- if is_incremental() %}
    where transaction_id in ({{ changed_orders('gofood') }})
    {%- endif %}

),

ranked as (

    select
        transactions.*,
        row_number() over (
            partition by transaction_id
            order by {{ latest_landed_order('transactions') }}
        ) as version_rank

    from transactions

)

select
    'gofood' as platform,
    transaction_id as order_id,
    merchant_id as platform_merchant_id,
    feature,
    transaction_date_wib as order_date,
    transaction_ts_utc as order_ts_utc,
    transaction_status as status_raw,
    is_settled as is_counted,
    'ID' as buyer_country,
    currency,
    amount as amount_original,
    cast(amount as decimal(18, 2)) as amount_idr,
    landing_path,
    file_landed_at,
    loaded_at

from ranked
where version_rank = 1
