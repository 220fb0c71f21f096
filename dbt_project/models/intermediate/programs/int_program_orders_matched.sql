-- Program turnover (data contract section 3): one row per (program, counted order) where the
-- order's merchant is enrolled in the program, the order is on the program's platform (and
-- GoBiz feature, where the program sets one), dated inside [start_date, end_date] and on or
-- after the UMKM's joined_date. Incremental: a build recomputes the orders of
-- int_orders_changed (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=[
        "(DBT_INTERNAL_DEST.platform, DBT_INTERNAL_DEST.order_id) in (" ~ changed_orders() ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
-- depends_on: {{ ref('int_orders_recomputed') }}
with

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_deduped') }}

),

-- incremental: the changed orders as fct_orders now holds them
orders as (

    {%- if is_incremental() %}
    select * from {{ ref('int_orders_recomputed') }}
    {%- else %}
    select * from {{ ref('fct_orders') }}
    {%- endif %}

)

select
    programs.program_id,
    enrollments.umkm_key,
    orders.platform,
    orders.platform_merchant_id,
    orders.order_id,
    orders.feature,
    orders.order_date,
    cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
    orders.buyer_country,
    coalesce(orders.buyer_country <> 'ID', false) as is_foreign_buyer,
    orders.currency,
    orders.amount_original,
    orders.amount_idr,
    enrollments.joined_date,
    programs.start_date as program_start_date,
    programs.end_date as program_end_date

from enrollments
inner join programs
    on enrollments.program_id = programs.program_id
inner join orders
    on programs.platform = orders.platform
    and enrollments.platform_merchant_id = orders.platform_merchant_id
where
    orders.is_counted
    and (programs.feature is null or lower(orders.feature) = lower(programs.feature))
    and orders.order_date >= programs.start_date
    and orders.order_date <= programs.end_date
    and orders.order_date >= enrollments.joined_date
