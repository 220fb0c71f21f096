-- One row per UVO id_transaksi (latest landed version wins), its amount converted to IDR
-- with the monthly rate of the month of the transaction's WIB date. Incremental: a build
-- recomputes the transactions of int_orders_changed (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.order_id in (" ~ changed_orders('uvo') ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
with

transactions as (

    select * from {{ ref('stg_uvo__transactions') }}
    {%- if is_incremental() %}
    where transaction_id in ({{ changed_orders('uvo') }})
    {%- endif %}

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates_monthly') }}

),

ranked as (

    select
        transactions.*,
        cast({{ dbt.date_trunc('month', 'transactions.transaction_date_wib') }} as date) as transaction_month,
        row_number() over (
            partition by transaction_id
            order by {{ latest_landed_order('transactions') }}
        ) as version_rank

    from transactions

),

latest as (

    select * from ranked where version_rank = 1

)

select
    'uvo' as platform,
    latest.transaction_id as order_id,
    latest.participant_id as platform_merchant_id,
    cast(null as {{ dbt.type_string() }}) as feature,
    latest.transaction_date_wib as order_date,
    latest.transaction_ts_utc as order_ts_utc,
    latest.status as status_raw,
    latest.is_paid as is_counted,
    latest.buyer_country,
    latest.currency,
    latest.amount as amount_original,
    fx_rates.idr_per_unit,
    cast(latest.amount * fx_rates.idr_per_unit as decimal(18, 2)) as amount_idr,
    latest.landing_path,
    latest.file_landed_at,
    latest.loaded_at

from latest
left join fx_rates
    on latest.transaction_month = fx_rates.month_start
    and latest.currency = fx_rates.currency
